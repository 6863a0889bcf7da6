import type { DataSource, EntityManager } from 'typeorm';
import type { DialRow, InvitationRow, OverviewMeetingRow, OverviewRows, SiteTotals } from './overview';
import { latestReadiness, openParticipations, registeredSites } from './site-presence';

/** The rows the overview (./overview.ts) is built from, read in one snapshot. */

export interface OverviewQuery {
  now: Date;
  /** Scheduled meetings starting before this are "coming". */
  until: Date;
  /** How many of each site's latest dial-out attempts to read (K). */
  failedAttempts: number;
  /** Dial-out attempts started before this are not read. */
  dialSince: Date;
}

const date = (v: Date | string) => new Date(v);

export async function loadOverviewRows(ds: DataSource, q: OverviewQuery): Promise<OverviewRows> {
  return ds.transaction('REPEATABLE READ', async (em) => {
    const meetings = await loadMeetings(em, q);
    const ids = meetings.map((m) => m.id);
    return {
      meetings,
      invitations: await loadInvitations(em, ids),
      connected: await openParticipations(em, q.now),
      readiness: await latestReadiness(em, { meetings: ids }),
      dials: await loadDials(em, q),
      sites: await loadSiteTotals(em, q.now),
    };
  });
}

async function loadMeetings(em: EntityManager, q: OverviewQuery): Promise<OverviewMeetingRow[]> {
  const rows = (await em.query(
    `SELECT id, title, room_number AS "roomNumber", starts_at AS "startsAt", ends_at AS "endsAt", status
       FROM meeting
      WHERE status = 'live' OR (status = 'scheduled' AND starts_at < $2::timestamptz AND ends_at > $1::timestamptz)
      ORDER BY starts_at, room_number`,
    [q.now.toISOString(), q.until.toISOString()],
  )) as (Omit<OverviewMeetingRow, 'startsAt' | 'endsAt'> & { startsAt: Date | string; endsAt: Date | string })[];
  return rows.map((r) => ({ ...r, startsAt: date(r.startsAt), endsAt: date(r.endsAt) }));
}

async function loadInvitations(em: EntityManager, meetingIds: string[]): Promise<InvitationRow[]> {
  if (!meetingIds.length) return [];
  return em.query(
    `SELECT ms.meeting_id AS "meetingId", s.id, s.code, s.name, s.enabled
       FROM meeting_site ms JOIN site s ON s.id = ms.site_id
      WHERE ms.meeting_id = ANY($1::uuid[])`,
    [meetingIds],
  );
}

/** Each site's K latest finished attempts since `dialSince`, cancelled ones left out (they say nothing about the site). */
async function loadDials(em: EntityManager, q: OverviewQuery): Promise<DialRow[]> {
  const rows = (await em.query(
    `SELECT s.id, s.code, s.name, d.meeting_id AS "meetingId", d.outcome, d.sip_status AS "sipStatus",
            d.started_at AS "startedAt", d.ended_at AS "endedAt"
       FROM (SELECT *, row_number() OVER (PARTITION BY site_id ORDER BY started_at DESC, attempt DESC, id DESC) AS n
               FROM dial_attempt
              WHERE site_id IS NOT NULL AND outcome IS NOT NULL AND outcome <> 'cancelled' AND started_at >= $1::timestamptz AND started_at <= $2::timestamptz) d
       JOIN site s ON s.id = d.site_id
      WHERE d.n <= $3
      ORDER BY s.id, d.n`,
    [q.dialSince.toISOString(), q.now.toISOString(), q.failedAttempts],
  )) as {
    id: string;
    code: string;
    name: string;
    meetingId: string;
    outcome: DialRow['outcome'];
    sipStatus: number | null;
    startedAt: Date | string;
    endedAt: Date | string | null;
  }[];
  return rows.map((r) => ({
    site: { id: r.id, code: r.code, name: r.name },
    meetingId: r.meetingId,
    outcome: r.outcome,
    sipStatus: r.sipStatus,
    startedAt: date(r.startedAt),
    endedAt: r.endedAt === null ? null : date(r.endedAt),
  }));
}

async function loadSiteTotals(em: EntityManager, now: Date): Promise<SiteTotals> {
  const [row] = (await em.query(`SELECT count(*)::int AS total, (count(*) FILTER (WHERE NOT enabled))::int AS disabled FROM site`)) as Omit<
    SiteTotals,
    'registered'
  >[];
  return { ...row!, registered: (await registeredSites(em, now)).length };
}
