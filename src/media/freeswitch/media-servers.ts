import { EventEmitter } from 'node:events';
import Mrf from 'drachtio-fsmrf';
import type { DependencyState } from '../../observability/dependency-state';
import type { Logger } from '../../log';
import { createFsmrfEndpoint, fsmrfConferenceControl, killFsmrfChannel, pingFsmrf } from './fsmrf-endpoint';
import type { ConferenceControl, MediaLease, MediaPool } from './media-endpoint';

export interface FreeswitchServer {
  host: string;
  port: number;
  password: string;
}

export interface MediaServerPoolOptions {
  /** Address FreeSWITCH's outbound event socket connects back to (drachtio-fsmrf would guess a public one). */
  callbackAddress: string;
  log: Logger;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * How often each server is asked `status`; three unanswered in a row and it counts as down. A server
   * that dies with its machine or behind a broken network closes no socket: this is how it is noticed.
   */
  healthIntervalMs?: number;
}

/** The default: long enough for a FreeSWITCH saturated by a large meeting to answer (its replies wait behind the load). */
const HEALTH_INTERVAL_MS = 5000;
/** Unanswered `status` requests in a row that make a server down. */
const HEALTH_MISSES = 3;

interface Slot {
  id: string;
  server: FreeswitchServer;
  ms: Mrf.MediaServer | null;
  state: DependencyState;
  active: number;
  retryMs: number;
  timer: NodeJS.Timeout | null;
  health: NodeJS.Timeout | null;
  misses: number;
  /** Calls waiting to learn whether this server goes down (`serverDown`): told when it does. */
  downWaiters: Set<() => void>;
}

/**
 * Every configured FreeSWITCH, each connected through drachtio-fsmrf and reconnected with backoff when
 * its event socket drops. A server that is down takes no new calls; `pick` leases the least loaded one.
 */
export class MediaServerPool extends EventEmitter implements MediaPool {
  readonly #slots: Slot[];
  readonly #mrf: Mrf;
  #closed = false;

  constructor(
    srf: unknown,
    servers: readonly FreeswitchServer[],
    private readonly options: MediaServerPoolOptions,
  ) {
    super();
    this.#mrf = new Mrf(srf);
    this.#slots = servers.map((server) => ({
      id: `${server.host}:${server.port}`,
      server,
      ms: null,
      state: 'connecting',
      active: 0,
      retryMs: options.reconnectMinMs ?? 500,
      timer: null,
      health: null,
      misses: 0,
      downWaiters: new Set(),
    }));
  }

  start(): void {
    for (const slot of this.#slots) void this.#connect(slot);
  }

  /**
   * The server `prefer` names when it is up (a meeting's calls must share one conference), else the
   * least loaded server that is up, or undefined when none is (the caller answers 503).
   */
  pick(prefer?: string): MediaLease | undefined {
    const up = this.#slots.filter((s) => s.state === 'up' && s.ms);
    if (!up.length) return undefined;
    return this.#lease(up.find((s) => s.id === prefer) ?? up.reduce((a, b) => (b.active < a.active ? b : a)));
  }

  #lease(slot: Slot): MediaLease {
    slot.active++;
    let released = false;
    const ms = slot.ms!;
    return {
      serverId: slot.id,
      createEndpoint: (opts) => createFsmrfEndpoint(ms, opts),
      killChannel: (uuid) => killFsmrfChannel(ms, uuid),
      serverDown: (withinMs) => this.#downWithin(slot, ms, withinMs),
      release: () => {
        if (released) return;
        released = true;
        slot.active--;
      },
    };
  }

  #downWithin(slot: Slot, ms: Mrf.MediaServer, withinMs: number): Promise<boolean> {
    if (slot.ms !== ms) return Promise.resolve(true);
    // Every call of a dead server asks at once: one waiter each in a set, not an event listener each.
    return new Promise((resolve) => {
      const onDown = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        slot.downWaiters.delete(onDown);
        resolve(false);
      }, withinMs);
      slot.downWaiters.add(onDown);
    });
  }

  /** A lease on one given server (a call already running there), or undefined when it is not up. */
  leaseOn(serverId: string): MediaLease | undefined {
    const slot = this.#slots.find((s) => s.id === serverId && s.state === 'up' && s.ms);
    return slot ? this.#lease(slot) : undefined;
  }

  /** Leases not yet released, across servers: what least-loaded routing counts (tests check an attempt gives its lease back). */
  leased(): number {
    return this.#slots.reduce((n, s) => n + s.active, 0);
  }

  /** Ids of the servers that are up now. */
  upServerIds(): string[] {
    return this.#slots.filter((s) => s.state === 'up' && s.ms).map((s) => s.id);
  }

  /** Ids (`host:port`) of every configured server. */
  get serverIds(): string[] {
    return this.#slots.map((s) => s.id);
  }

  states(): Record<string, DependencyState> {
    return Object.fromEntries(this.#slots.map((s) => [`freeswitch ${s.id}`, s.state]));
  }

  /** Control of the conferences on the connected media server with this id (calls it already carries). */
  control(id: string): ConferenceControl | undefined {
    const ms = this.#slots.find((s) => s.id === id && s.state === 'up')?.ms;
    return ms ? fsmrfConferenceControl(ms) : undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      if (slot.timer) clearTimeout(slot.timer);
      if (slot.health) clearInterval(slot.health);
      slot.timer = null;
      slot.health = null;
      slot.ms?.disconnect();
      slot.ms = null;
      slot.state = 'down';
    }
  }

  async #connect(slot: Slot): Promise<void> {
    const log = this.options.log.child({ mediaServer: slot.id });
    try {
      const ms = await this.#mrf.connect({
        address: slot.server.host,
        port: slot.server.port,
        secret: slot.server.password,
        listenAddress: this.options.callbackAddress,
        advertisedAddress: this.options.callbackAddress,
      });
      if (this.#closed) {
        ms.disconnect();
        return;
      }
      slot.ms = ms;
      slot.state = 'up';
      slot.retryMs = this.options.reconnectMinMs ?? 500;
      log.info('media server up');
      this.emit('up', slot.id);
      ms.once('end', () => this.#lost(slot, 'event socket closed'));
      ms.on('error', (err) => log.warn({ err }, 'media server error'));
      slot.misses = 0;
      slot.health = setInterval(() => void this.#check(slot, ms), this.options.healthIntervalMs ?? HEALTH_INTERVAL_MS);
      slot.health.unref();
    } catch (err) {
      log.warn({ err: (err as Error).message, retryMs: slot.retryMs }, 'media server unreachable');
      this.#retry(slot);
    }
  }

  async #check(slot: Slot, ms: Mrf.MediaServer): Promise<void> {
    const interval = this.options.healthIntervalMs ?? HEALTH_INTERVAL_MS;
    const ok = await pingFsmrf(ms, interval);
    if (slot.ms !== ms) return;
    slot.misses = ok ? 0 : slot.misses + 1;
    if (slot.misses >= HEALTH_MISSES) this.#lost(slot, `no answer to status ${slot.misses} times`);
  }

  #lost(slot: Slot, why: string): void {
    if (slot.health) clearInterval(slot.health);
    slot.health = null;
    if (this.#closed || slot.state !== 'up') return;
    this.options.log.warn({ mediaServer: slot.id, why }, 'media server down');
    slot.ms?.removeAllListeners();
    try {
      slot.ms?.disconnect();
    } catch {
      // already gone
    }
    slot.ms = null;
    slot.state = 'down';
    this.emit('down', slot.id);
    const waiters = [...slot.downWaiters];
    slot.downWaiters.clear();
    for (const w of waiters) w();
    this.#retry(slot);
  }

  #retry(slot: Slot): void {
    if (this.#closed) return;
    if (slot.state !== 'up') slot.state = 'down';
    slot.timer = setTimeout(() => {
      slot.timer = null;
      void this.#connect(slot);
    }, slot.retryMs);
    slot.retryMs = Math.min(slot.retryMs * 2, this.options.reconnectMaxMs ?? 10_000);
  }
}
