import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { recordAudit } from '../audit/audit';
import { OperatorEntity, OperatorSessionEntity, type Operator, type OperatorSession } from './operator.entity';
import { operatorActor } from './operators';

/** How long a console session lasts: ended by `idleMs` without a request, and by `maxMs` after sign-in whatever happens. */
export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

/** A live session and the account it belongs to, as it is now (role and name read afresh). */
export interface ActiveSession {
  id: string;
  operator: Operator;
  csrfToken: string;
  /** When it ends unless used again (or at its absolute end, whichever is sooner). */
  expiresAt: Date;
}

/** A session token: 256 random bits, base64url. Anything else is not looked up. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** last_seen_at is written at most this often per session; the idle timeout is that coarse. */
const TOUCH_RESOLUTION_MS = 60_000;

/** When a session ends if nothing more happens: idle expiry or the absolute end, whichever is sooner. Pure. */
export function sessionEnd(s: Pick<OperatorSession, 'lastSeenAt' | 'expiresAt'>, policy: SessionPolicy): Date {
  return new Date(Math.min(s.lastSeenAt.getTime() + policy.idleMs, s.expiresAt.getTime()));
}

/**
 * Console sessions. The browser holds the token (in an HttpOnly cookie); the database only its
 * SHA-256, so a leaked backup signs nobody in. Time comes from `now`, so that tests can move it.
 */
export class Sessions {
  constructor(
    private readonly ds: DataSource,
    readonly policy: SessionPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Signs `operator` in: a new session, its sign-in time recorded and audited. Returns the token for the cookie. */
  async start(operator: Operator, source: string): Promise<{ token: string; session: ActiveSession }> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + this.policy.maxMs);
    const row = await this.ds.transaction(async (em) => {
      // The operator's ended sessions go now; the periodic sweep takes everyone else's.
      await this.sweepWhere(em.createQueryBuilder(), now, operator.id);
      const saved = await em.save(
        OperatorSessionEntity,
        em.create(OperatorSessionEntity, { operatorId: operator.id, tokenHash: sha256(token), csrfToken, createdAt: now, lastSeenAt: now, expiresAt }),
      );
      await em.update(OperatorEntity, { id: operator.id }, { lastSignInAt: now });
      await recordAudit(em, operatorActor(operator), {
        action: 'session.start',
        resourceType: 'operator',
        resourceId: operator.id,
        detail: { source },
      });
      return saved;
    });
    return { token, session: { id: row.id, operator, csrfToken, expiresAt: sessionEnd(row, this.policy) } };
  }

  /** The live session `token` names, or null (malformed, unknown, expired, account disabled). */
  async resolve(token: string): Promise<ActiveSession | null> {
    if (!TOKEN.test(token)) return null;
    const row = await this.ds.manager.findOneBy(OperatorSessionEntity, { tokenHash: sha256(token) });
    if (!row) return null;
    const now = this.now();
    if (sessionEnd(row, this.policy) <= now) {
      await this.ds.manager.delete(OperatorSessionEntity, { id: row.id });
      return null;
    }
    const operator = await this.ds.manager.findOneBy(OperatorEntity, { id: row.operatorId });
    if (!operator?.enabled) return null;
    if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_RESOLUTION_MS) {
      row.lastSeenAt = now;
      await this.ds.manager.update(OperatorSessionEntity, { id: row.id }, { lastSeenAt: now });
    }
    return { id: row.id, operator, csrfToken: row.csrfToken, expiresAt: sessionEnd(row, this.policy) };
  }

  /** Signs out: the session is gone, and the sign-out audited. */
  async end(session: ActiveSession): Promise<void> {
    await this.ds.transaction(async (em) => {
      await em.delete(OperatorSessionEntity, { id: session.id });
      await recordAudit(em, operatorActor(session.operator), { action: 'session.end', resourceType: 'operator', resourceId: session.operator.id });
    });
  }

  /** Deletes every session that has ended; returns how many. */
  async sweep(): Promise<number> {
    return this.sweepWhere(this.ds.createQueryBuilder(), this.now());
  }

  private async sweepWhere(qb: ReturnType<DataSource['createQueryBuilder']>, now: Date, operatorId?: string): Promise<number> {
    const q = qb
      .delete()
      .from(OperatorSessionEntity)
      .where('(expires_at <= :now OR last_seen_at <= :idleSince)', { now, idleSince: new Date(now.getTime() - this.policy.idleMs) });
    if (operatorId) q.andWhere('operator_id = :operatorId', { operatorId });
    return (await q.execute()).affected ?? 0;
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
