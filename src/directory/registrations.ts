import { preparedQuery } from '../db/prepared';
import { StatementBatch } from '../db/statement-batch';
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

interface Refresh {
  siteId: string;
  change: BindingChange;
  ctx: RegisterContext;
}
type RefreshOutcome = { bindings: Binding[] } | { outOfOrder: boolean };

/**
 * The refresh of `Registrations.refresh` for the requests `req` (one row each, numbered `n`). Every CTE
 * reads the snapshot from before the UPDATE: a refreshed row's new values come from `refreshed`. One
 * site per request (StatementBatch's key), so no row is updated twice.
 */
const refreshSql = (req: string) => `WITH req AS (${req}),
  late AS (
    SELECT n, EXISTS (SELECT 1 FROM registration g WHERE g.site_id = req.site_id AND g.call_id = req.call_id
                                                   AND g.cseq >= req.cseq AND g.expires_at > now()) AS late
      FROM req),
  refreshed AS (
    UPDATE registration g SET call_id = req.call_id, cseq = req.cseq, user_agent = req.user_agent,
           source_address = req.source_address, source_port = req.source_port, transport = req.transport,
           registered_at = now(), expires_at = now() + make_interval(secs => req.secs)
      FROM req JOIN late USING (n)
     WHERE g.site_id = req.site_id AND g.contact = req.contact AND g.expires_at > now() AND req.secs > 0 AND NOT late.late
     RETURNING g.id, g.registered_at, g.expires_at, g.user_agent, g.source_address || ':' || g.source_port AS source, g.transport)
  SELECT req.n::int AS n, late.late, r.contact, coalesce(f.expires_at, r.expires_at) AS "expiresAt",
         CASE WHEN f.id IS NULL THEN r.user_agent ELSE f.user_agent END AS "userAgent",
         coalesce(f.source, r.source_address || ':' || r.source_port) AS source, coalesce(f.transport, r.transport) AS transport,
         f.id IS NOT NULL AS refreshed
    FROM req JOIN late USING (n)
    LEFT JOIN registration r ON r.site_id = req.site_id AND r.expires_at > now()
    LEFT JOIN refreshed f ON f.id = r.id
   ORDER BY req.n, coalesce(f.registered_at, r.registered_at) DESC`;
const REQUEST_COLUMNS = 'site_id, contact, call_id, cseq, user_agent, source_address, source_port, transport, secs, n';
/**
 * One request, the rate at which a registrar mostly runs: one row of scalar parameters, which
 * PostgreSQL plans once per connection (a generic plan). Arrays of unknown length it plans anew every
 * time (≈ 0.3 ms, more than the statement runs), which only a batch of several repays.
 */
const REFRESH_ONE = refreshSql(
  `SELECT * FROM (VALUES ($1::uuid, $2::text, $3::text, $4::int, $5::text, $6::text, $7::int, $8::text, $9::int, 1::bigint)) AS r(${REQUEST_COLUMNS})`,
);
const REFRESH_MANY = refreshSql(
  `SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::text[], $9::int[])
           WITH ORDINALITY AS r(${REQUEST_COLUMNS})`,
);

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
   * request not out of order): the row is rewritten as `apply`'s upsert would (Call-ID, CSeq, source,
   * user agent, registration time, expiry) and the site's bindings come back. A new contact or a
   * removal is left to `apply`; the answer says whether the request is out of order, so that
   * `outOfOrder` need not be asked. No row is added or removed here, so neither the per-site lock nor
   * the cap of `apply` is needed, and the refreshes of many sites can share one statement (the
   * registrar's round trips and commits were most of what a REGISTER cost at its ceiling).
   */
  refresh(siteId: string, change: BindingChange, ctx: RegisterContext): Promise<{ bindings: Binding[] } | { outOfOrder: boolean }> {
    return this.#refreshes.submit({ siteId, change, ctx });
  }

  readonly #refreshes = new StatementBatch<Refresh, RefreshOutcome>(
    (batch) => this.#refreshAll(batch),
    (r) => r.siteId,
  );

  async #refreshAll(batch: readonly Refresh[]): Promise<RefreshOutcome[]> {
    const fields = (r: Refresh) => [
      r.siteId,
      r.change.contact,
      r.ctx.callId,
      r.ctx.cseq,
      r.ctx.userAgent,
      r.ctx.sourceAddress,
      r.ctx.sourcePort,
      r.ctx.transport,
      r.change.expires,
    ];
    const requests = batch.map(fields);
    const [name, text, values] =
      requests.length === 1
        ? ['registration-refresh', REFRESH_ONE, requests[0]!]
        : ['registration-refresh-batch', REFRESH_MANY, requests[0]!.map((_, i) => requests.map((r) => r[i]))];
    const rows = await preparedQuery<Binding & { n: number; refreshed: boolean; late: boolean }>(this.ds, name, text, values);
    const byRequest = batch.map(() => [] as typeof rows);
    for (const row of rows) byRequest[row.n - 1]!.push(row);
    return byRequest.map((mine) => {
      // No live binding refreshed: nothing was changed, and the site's bindings are `apply`'s to read.
      if (!mine.some((row) => row.refreshed)) return { outOfOrder: mine[0]?.late ?? false };
      return { bindings: mine.map(({ n: _n, refreshed: _r, late: _l, ...b }) => b) };
    });
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
