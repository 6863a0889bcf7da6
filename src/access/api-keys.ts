import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import type { ChangeFeed } from '../db/change-feed';
import { isUuid } from '../directory/sites';
import { NotFoundError } from '../errors';
import { ApiKeyEntity, type ApiKey, type Role } from './api-key.entity';

/**
 * API keys look like `dck_<prefix>_<secret>`. The prefix finds the row; only SHA-256 of the secret is
 * stored (the secret is 256 random bits, so a slow hash would add nothing but latency).
 */
const TOKEN = /^dck_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
/** last_used_at is a hint for admins, not a log: write it at most this often per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface IssuedKey {
  key: ApiKey;
  /** The whole bearer token. Shown once; not recoverable later. */
  token: string;
}

/** The change feed's topic for API keys; the key is a key's prefix. */
export const API_KEY_TOPIC = 'api_key';
/**
 * A key checked against the database is trusted this long without asking again. The safety net under
 * the revocation NOTIFY: a process that missed it still refuses a revoked key after this long.
 */
export const KEY_CACHE_TTL_MS = 1000;

export class ApiKeys {
  /** Active keys by prefix, and when the database last confirmed them. */
  readonly #cache = new Map<string, { key: ApiKey; checkedAt: number }>();
  /** Bumped by every invalidation: a read that started before one must not be kept. */
  #epoch = 0;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly ds: DataSource,
    /** Revocations in other processes arrive here at once; without it they take up to KEY_CACHE_TTL_MS. */
    changes: ChangeFeed | null = null,
  ) {
    this.#unsubscribe = changes?.subscribe(API_KEY_TOPIC, (prefix) => this.#drop(prefix)) ?? (() => {});
  }

  async issue(name: string, role: Role, actor: Actor): Promise<IssuedKey> {
    const prefix = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const key = await this.ds.transaction(async (em) => {
      const saved = await em.save(ApiKeyEntity, em.create(ApiKeyEntity, { name, role, prefix, secretHash: sha256(secret) }));
      await recordAudit(em, actor, { action: 'apikey.create', resourceType: 'api_key', resourceId: saved.id, detail: { name, role } });
      return saved;
    });
    return { key, token: `dck_${prefix}_${secret}` };
  }

  /** The active key a bearer token names, or null for anything else (malformed, unknown, wrong secret, revoked). */
  async verify(token: string): Promise<ApiKey | null> {
    const m = TOKEN.exec(token);
    if (!m) return null;
    const key = await this.#active(m[1]!);
    if (!key) return null;
    const given = Buffer.from(sha256(m[2]!), 'hex');
    const stored = Buffer.from(key.secretHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      key.lastUsedAt = new Date(now);
      await this.ds.query(`UPDATE api_key SET last_used_at = $2 WHERE id = $1`, [key.id, key.lastUsedAt]);
    }
    return key;
  }

  /** The active key with this prefix: from memory while fresh, else one plain query (no entity hydration on the hot path). */
  async #active(prefix: string): Promise<ApiKey | null> {
    const now = Date.now();
    const hit = this.#cache.get(prefix);
    if (hit && now - hit.checkedAt < KEY_CACHE_TTL_MS) return hit.key;
    const epoch = this.#epoch;
    const [key] = (await this.ds.query(
      `SELECT id, name, role, prefix, secret_hash AS "secretHash", created_at AS "createdAt", last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"
         FROM api_key WHERE prefix = $1 AND revoked_at IS NULL`,
      [prefix],
    )) as ApiKey[];
    if (!key) {
      this.#cache.delete(prefix);
      return null;
    }
    if (epoch === this.#epoch) this.#cache.set(prefix, { key, checkedAt: now });
    return key;
  }

  #drop(prefix: string | null): void {
    this.#epoch++;
    if (prefix === null) this.#cache.clear();
    else this.#cache.delete(prefix);
  }

  /** Stops listening for revocations. */
  close(): void {
    this.#unsubscribe();
    this.#cache.clear();
  }

  async list(): Promise<ApiKey[]> {
    return this.ds.manager.find(ApiKeyEntity, { order: { createdAt: 'ASC' } });
  }

  /** Revoking twice is a no-op. */
  async revoke(id: string, actor: Actor): Promise<void> {
    let prefix: string | null = null;
    await this.ds.transaction(async (em) => {
      const key = isUuid(id) ? await em.findOneBy(ApiKeyEntity, { id }) : null;
      if (!key) throw new NotFoundError('api key', id);
      if (key.revokedAt) return;
      await em.update(ApiKeyEntity, { id }, { revokedAt: new Date() });
      await recordAudit(em, actor, { action: 'apikey.revoke', resourceType: 'api_key', resourceId: id, detail: { name: key.name } });
      prefix = key.prefix;
    });
    // Here at once; every other process through the trigger's NOTIFY.
    if (prefix !== null) this.#drop(prefix);
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
