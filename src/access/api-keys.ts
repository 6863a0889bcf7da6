import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { IsNull } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
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

export class ApiKeys {
  constructor(private readonly ds: DataSource) {}

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
    const key = await this.ds.manager.findOneBy(ApiKeyEntity, { prefix: m[1]!, revokedAt: IsNull() });
    if (!key) return null;
    const given = Buffer.from(sha256(m[2]!), 'hex');
    const stored = Buffer.from(key.secretHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return null;
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      key.lastUsedAt = new Date(now);
      await this.ds.manager.update(ApiKeyEntity, { id: key.id }, { lastUsedAt: key.lastUsedAt });
    }
    return key;
  }

  async list(): Promise<ApiKey[]> {
    return this.ds.manager.find(ApiKeyEntity, { order: { createdAt: 'ASC' } });
  }

  /** Revoking twice is a no-op. */
  async revoke(id: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (em) => {
      const key = isUuid(id) ? await em.findOneBy(ApiKeyEntity, { id }) : null;
      if (!key) throw new NotFoundError('api key', id);
      if (key.revokedAt) return;
      await em.update(ApiKeyEntity, { id }, { revokedAt: new Date() });
      await recordAudit(em, actor, { action: 'apikey.revoke', resourceType: 'api_key', resourceId: id, detail: { name: key.name } });
    });
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
