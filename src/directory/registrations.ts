import { preparedQuery } from '../db/prepared';
import type { DataSource } from 'typeorm';

export interface Binding {
  contact: string;
  expiresAt: Date;
  userAgent: string | null;
  source: string;
  transport: string;
}

export interface BindingChange {
  contact: string;
  /** Seconds; 0 removes the binding. */
  expires: number;
}

export interface RegisterContext {
  callId: string;
  cseq: number;
  userAgent: string | null;
  sourceAddress: string;
  sourcePort: number;
  transport: string;
}

/** A site may keep this many contacts at once; the oldest go first. */
const MAX_BINDINGS_PER_SITE = 5;

/**
 * Where room systems are registered, kept in Postgres so that a restart keeps them. Expired rows are
 * ignored by every read and swept now and then.
 */
export class Registrations {
  constructor(private readonly ds: DataSource) {}

  /** Applies one REGISTER's changes atomically and returns the site's bindings afterwards. */
  async apply(siteId: string, changes: BindingChange[] | 'remove-all', ctx: RegisterContext): Promise<Binding[]> {
    return this.ds.transaction(async (em) => {
      // Serialise REGISTERs of one site so bindings and the cap stay consistent.
      await em.query(`SELECT 1 FROM site WHERE id = $1 FOR UPDATE`, [siteId]);
      if (changes === 'remove-all') {
        await em.query(`DELETE FROM registration WHERE site_id = $1`, [siteId]);
      } else {
        for (const c of changes) {
          if (c.expires === 0) {
            await em.query(`DELETE FROM registration WHERE site_id = $1 AND contact = $2`, [siteId, c.contact]);
            continue;
          }
          await em.query(
            `INSERT INTO registration (site_id, contact, call_id, cseq, user_agent, source_address, source_port, transport, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
             ON CONFLICT (site_id, contact) DO UPDATE SET call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq,
               user_agent = EXCLUDED.user_agent, source_address = EXCLUDED.source_address,
               source_port = EXCLUDED.source_port, transport = EXCLUDED.transport,
               registered_at = now(), expires_at = EXCLUDED.expires_at`,
            [siteId, c.contact, ctx.callId, ctx.cseq, ctx.userAgent, ctx.sourceAddress, ctx.sourcePort, ctx.transport, c.expires],
          );
        }
        await em.query(
          `DELETE FROM registration WHERE site_id = $1 AND id NOT IN (
             SELECT id FROM registration WHERE site_id = $1 AND expires_at > now() ORDER BY registered_at DESC LIMIT $2)`,
          [siteId, MAX_BINDINGS_PER_SITE],
        );
      }
      return this.#read(em.query.bind(em), siteId);
    });
  }

  /**
   * The common REGISTER, a room system renewing a binding it already has (a contact that is live, the
   * request not out of order), in ONE statement: the row is rewritten as `apply`'s upsert would (Call-ID,
   * CSeq, source, user agent, registration time, expiry) and the site's bindings come back. A new
   * contact or a removal is left to `apply`; the answer says whether the request is out of order, so
   * that `outOfOrder` need not be asked. No row is added or removed here, so neither the per-site
   * lock nor the cap of `apply` is needed.
   */
  async refresh(siteId: string, change: BindingChange, ctx: RegisterContext): Promise<{ bindings: Binding[] } | { outOfOrder: boolean }> {
    // The outer SELECT reads the snapshot from before the UPDATE: the refreshed row's new values
    // come from the CTE. `late` is `outOfOrder`.
    const rows = await preparedQuery<Binding & { refreshed: boolean; late: boolean }>(
      this.ds,
      'registration-refresh',
      `WITH late AS (
         SELECT EXISTS (SELECT 1 FROM registration WHERE site_id = $1 AND call_id = $3 AND cseq >= $4 AND expires_at > now()) AS late),
       refreshed AS (
         UPDATE registration SET call_id = $3, cseq = $4, user_agent = $5, source_address = $6, source_port = $7, transport = $8,
                registered_at = now(), expires_at = now() + make_interval(secs => $9)
          WHERE site_id = $1 AND contact = $2 AND expires_at > now() AND $9 > 0 AND NOT (SELECT late FROM late)
          RETURNING id, registered_at, expires_at, user_agent, source_address || ':' || source_port AS source, transport)
       SELECT r.contact, coalesce(f.expires_at, r.expires_at) AS "expiresAt",
              CASE WHEN f.id IS NULL THEN r.user_agent ELSE f.user_agent END AS "userAgent",
              coalesce(f.source, r.source_address || ':' || r.source_port) AS source, coalesce(f.transport, r.transport) AS transport,
              f.id IS NOT NULL AS refreshed, (SELECT late FROM late) AS late
         FROM registration r LEFT JOIN refreshed f ON f.id = r.id
        WHERE r.site_id = $1 AND r.expires_at > now()
        ORDER BY coalesce(f.registered_at, r.registered_at) DESC`,
      [siteId, change.contact, ctx.callId, ctx.cseq, ctx.userAgent, ctx.sourceAddress, ctx.sourcePort, ctx.transport, change.expires],
    );
    // No live binding at all: nothing to refresh and nothing to be out of order with.
    if (!rows.some((r) => r.refreshed)) return { outOfOrder: rows[0]?.late ?? false };
    return { bindings: rows.map(({ refreshed: _r, late: _l, ...b }) => b) };
  }

  /**
   * True when this Call-ID already registered with a CSeq at least as high: RFC 3261 §10.3 step 7
   * says such a request is out of order and must not change anything.
   */
  async outOfOrder(siteId: string, callId: string, cseq: number): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      `SELECT 1 FROM registration WHERE site_id = $1 AND call_id = $2 AND cseq >= $3 AND expires_at > now() LIMIT 1`,
      [siteId, callId, cseq],
    );
    return rows.length > 0;
  }

  async current(siteId: string): Promise<Binding[]> {
    return this.#read(this.ds.query.bind(this.ds), siteId);
  }

  /** Removes expired rows; returns how many. */
  async sweep(): Promise<number> {
    const [row] = (await this.ds.query(
      `WITH gone AS (DELETE FROM registration WHERE expires_at <= now() RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    )) as { n: number }[];
    return row!.n;
  }

  async #read(query: (sql: string, params: unknown[]) => Promise<unknown>, siteId: string): Promise<Binding[]> {
    const rows = (await query(
      `SELECT contact, expires_at AS "expiresAt", user_agent AS "userAgent",
              source_address || ':' || source_port AS source, transport
         FROM registration WHERE site_id = $1 AND expires_at > now() ORDER BY registered_at DESC`,
      [siteId],
    )) as Binding[];
    return rows;
  }
}
