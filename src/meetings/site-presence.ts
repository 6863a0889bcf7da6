import type { EntityManager } from 'typeorm';
import { STALE_AFTER_MS } from './attendance-report';
import type { ConnectedRow, ReadinessRow } from './overview';

/**
 * Where sites are now, as the database records it: registered, in a call, answering readiness
 * checks, last seen. One home for these queries, read by the overview (Today) and by
 * GET /site-states (Sites), so that both pages count the same things.
 *
 * `sites` narrows a query to some sites; null reads them all.
 */

type Queryable = Pick<EntityManager, 'query'>;
type SiteScope = readonly string[] | null;

const date = (v: Date | string) => new Date(v);
const scope = (sites: SiteScope) => (sites === null ? null : [...sites]);

/** Open participations whose heartbeat is fresh (a stale one belongs to a process that died). */
export async function openParticipations(q: Queryable, now: Date, sites: SiteScope = null): Promise<ConnectedRow[]> {
  return q.query(
    `SELECT meeting_id AS "meetingId", site_id AS "siteId" FROM participation
      WHERE left_at IS NULL AND last_seen_at >= $1::timestamptz AND ($2::uuid[] IS NULL OR site_id = ANY($2::uuid[]))`,
    [new Date(now.getTime() - STALE_AFTER_MS).toISOString(), scope(sites)],
  );
}

export interface RegisteredRow {
  siteId: string;
  /** Of the newest binding that has not expired. */
  userAgent: string | null;
  registeredAt: Date;
}

/** Each site with a registration that has not expired, once, with its newest binding. */
export async function registeredSites(q: Queryable, now: Date, sites: SiteScope = null): Promise<RegisteredRow[]> {
  const rows = (await q.query(
    `SELECT DISTINCT ON (site_id) site_id AS "siteId", user_agent AS "userAgent", registered_at AS "registeredAt"
       FROM registration WHERE expires_at > $1::timestamptz AND ($2::uuid[] IS NULL OR site_id = ANY($2::uuid[]))
      ORDER BY site_id, registered_at DESC, id DESC`,
    [now.toISOString(), scope(sites)],
  )) as (Omit<RegisteredRow, 'registeredAt'> & { registeredAt: Date | string })[];
  return rows.map((r) => ({ ...r, registeredAt: date(r.registeredAt) }));
}

/**
 * The latest readiness check (ties on checked_at go to the later row): per meeting and site for the
 * meetings given, or per site over every meeting.
 */
export async function latestReadiness(q: Queryable, of: { meetings: readonly string[] } | { sites: SiteScope }): Promise<ReadinessRow[]> {
  const perMeeting = 'meetings' in of;
  if (perMeeting && !of.meetings.length) return [];
  const rows = (await q.query(
    `SELECT DISTINCT ON (${perMeeting ? 'meeting_id, site_id' : 'site_id'}) meeting_id AS "meetingId", site_id AS "siteId", reachable, checked_at AS "checkedAt"
       FROM readiness_check WHERE ${perMeeting ? 'meeting_id = ANY($1::uuid[])' : '($1::uuid[] IS NULL OR site_id = ANY($1::uuid[]))'}
      ORDER BY ${perMeeting ? 'meeting_id, site_id' : 'site_id'}, checked_at DESC, id DESC`,
    [perMeeting ? [...of.meetings] : scope(of.sites)],
  )) as (Omit<ReadinessRow, 'checkedAt'> & { checkedAt: Date | string })[];
  return rows.map((r) => ({ ...r, checkedAt: date(r.checkedAt) }));
}

/**
 * When each site was last heard from: the latest REGISTER refresh still on record (expired rows
 * stay until the sweep; an unregister deletes them) or the last heartbeat of any of its calls (a
 * call's last_seen_at is also set when it ends). Sites never heard from are absent.
 */
export async function lastSeen(q: Queryable, sites: SiteScope = null): Promise<Map<string, Date>> {
  const rows = (await q.query(
    `SELECT site_id AS "siteId", max(at) AS "lastSeenAt" FROM (
        SELECT site_id, registered_at AS at FROM registration
        UNION ALL SELECT site_id, last_seen_at FROM participation WHERE site_id IS NOT NULL) seen
      WHERE $1::uuid[] IS NULL OR site_id = ANY($1::uuid[])
      GROUP BY site_id`,
    [scope(sites)],
  )) as { siteId: string; lastSeenAt: Date | string }[];
  return new Map(rows.map((r) => [r.siteId, date(r.lastSeenAt)]));
}
