import { Client, type ClientConfig, type Notification } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../log';

/** The channel the triggers of migration CacheNotifications1797033600000 notify on. */
export const CACHE_CHANNEL = 'diemcau_cache';

/** What changed: a table's topic and a key in it, or null for "anything in it" (a TRUNCATE, a lost connection). */
export type ChangeHandler = (key: string | null) => void;

const RECONNECT_MS = 1000;

/**
 * Tells this process's caches when a row they copied has changed in the database, in this process or
 * in any other on the same database: a dedicated connection LISTENs on `diemcau_cache`, which the
 * triggers notify at commit. `publish` tells this process's own caches synchronously, so a writer
 * here does not wait for its own notification to come back.
 *
 * A cache may only trust its entries while `live`: notifications missed while the connection was
 * down cannot be recovered, so losing it, and getting it back, tell every subscriber to drop
 * everything. The embedded database (PGlite) is one process by construction (it is locked), so there
 * `publish` and the local writes' notifications are all there is, and the feed is always live.
 */
export class ChangeFeed {
  readonly #handlers = new Map<string, Set<ChangeHandler>>();
  readonly #config: ClientConfig | null;
  #client: Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #live: boolean;
  #closed = false;

  constructor(
    ds: DataSource,
    private readonly log: Logger,
  ) {
    this.#config = listenerConfig(ds);
    this.#live = this.#config === null;
  }

  /** Whether every change made since the subscribers last heard "drop everything" reaches them. */
  get live(): boolean {
    return this.#live;
  }

  /** Resolves once listening (or at once for the embedded database); a failure is retried in the background. */
  async start(): Promise<void> {
    if (this.#config && !this.#client && !this.#closed) await this.#connect();
  }

  subscribe(topic: string, handler: ChangeHandler): () => void {
    const set = this.#handlers.get(topic) ?? new Set<ChangeHandler>();
    this.#handlers.set(topic, set);
    set.add(handler);
    return () => set.delete(handler);
  }

  /** This process changed `key` of `topic` (null: all of it); its caches hear it now. */
  publish(topic: string, key: string | null): void {
    for (const h of this.#handlers.get(topic) ?? []) h(key);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new Client(this.#config!);
    this.#client = client;
    client.on('notification', (n) => this.#notified(n));
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${CACHE_CHANNEL}`);
    } catch (err) {
      this.#lost(client, err);
      return;
    }
    if (this.#client !== client) return;
    this.#live = true;
    // Whatever changed while nobody listened is unknown.
    this.#dropAll();
  }

  #notified(n: Notification): void {
    if (n.channel !== CACHE_CHANNEL || !n.payload) return;
    const colon = n.payload.indexOf(':');
    if (colon < 0) return;
    const key = n.payload.slice(colon + 1);
    this.publish(n.payload.slice(0, colon), key === '*' ? null : key);
  }

  #lost(client: Client, err: unknown): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.#live = false;
    this.#dropAll();
    client.end().catch(() => {});
    if (this.#closed) return;
    this.log.warn({ err }, 'cache notifications lost; caches bypassed until the connection is back');
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#closed) void this.#connect();
    }, RECONNECT_MS);
  }

  #dropAll(): void {
    for (const topic of this.#handlers.keys()) this.publish(topic, null);
  }
}

/** The connection settings of `ds` for a plain pg Client, or null for the embedded database. */
function listenerConfig(ds: DataSource): ClientConfig | null {
  const o = ds.options;
  if (o.type !== 'postgres' || o.driver) return null;
  const p = o;
  return {
    ...(p.url ? { connectionString: p.url } : {}),
    ...(p.host ? { host: p.host } : {}),
    ...(p.port ? { port: p.port } : {}),
    ...(p.username ? { user: p.username } : {}),
    ...(typeof p.password === 'string' ? { password: p.password } : {}),
    ...(p.database ? { database: p.database } : {}),
    ...(typeof p.ssl === 'boolean' ? { ssl: p.ssl } : {}),
    application_name: 'diemcau cache notifications',
  };
}
