import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../directory/sites';
import { NotFoundError } from '../errors';
import type { DialOutcome } from './dial-attempts';
import { computeAttendance, presence, type Presence, type TimeWindow } from './attendance';
import { MeetingEntity, type Meeting, type MeetingStatus } from './meeting.entity';
import type { SiteRef } from '../directory/site.entity';
import { ContentShares, type Presentation } from './content-shares';
import { HEARTBEAT_MS } from './participations';

/**
 * The attendance record of one meeting: every invited site (and every site or guest that joined),
 * how long each was connected, how often it came back, what the bridge did to bring it in (dial-out
 * attempts) and whether it answered the readiness check. The maths is in ./attendance.ts.
 */

/**
 * An open participation whose heartbeat stopped this long ago belongs to a process that died; it is
 * counted up to its last heartbeat, exactly as the next start will close it (closeDangling), so the
 * report says the same before and after that restart.
 */
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

export interface DialAttempt {
  attempt: number;
  target: string;
  startedAt: Date;
  endedAt: Date | null;
  /** Null while the attempt is still ringing. */
  outcome: DialOutcome | null;
  sipStatus: number | null;
}

export interface Readiness {
  reachable: boolean;
  latencyMs: number | null;
  checkedAt: Date;
}

export type Attendee = Omit<Presence, 'connectedMs'>;

export interface SiteAttendance extends Attendee {
  site: SiteRef;
  invited: boolean;
  dialAttempts: DialAttempt[];
  /** The latest readiness check for this meeting, if any. */
  readiness: Readiness | null;
}

export interface GuestAttendance extends Attendee {
  name: string;
}

/** Who presented content, when, for how long, and why it ended (null: still presenting). */
export interface PresentationAttendance extends Presentation {
  /** To the end, or to now while it goes on (never past the meeting's end). */
  durationMs: number;
}

export interface AttendanceReport {
  meeting: {
    id: string;
    title: string;
    roomNumber: number;
    startsAt: Date;
    endsAt: Date;
    status: MeetingStatus;
    wentLiveAt: Date | null;
    endedAt: Date | null;
  };
  /** The span connected time was counted in. */
  window: TimeWindow;
  generatedAt: Date;
  sites: SiteAttendance[];
  guests: GuestAttendance[];
  presentations: PresentationAttendance[];
  /** Over invited sites only; uninvited sites and guests are listed but not counted here. */
  summary: { invited: number; attended: number; absent: number };
}

interface SiteRow extends SiteRef {
  invited: boolean;
}

interface ParticipationRow {
  siteId: string | null;
  displayName: string;
  joinedAt: Date;
  lastSeenAt: Date;
  leftAt: Date | null;
}

interface DialRow extends DialAttempt {
  siteId: string;
}

interface ReadinessRow extends Readiness {
  siteId: string;
}

const date = (v: Date | string) => new Date(v);
const dateOrNull = (v: Date | string | null) => (v === null ? null : new Date(v));

const collator = new Intl.Collator('vi');
const byName = (a: string, b: string) => collator.compare(a, b);

export async function attendanceReport(ds: DataSource, meetingId: string, now: Date): Promise<AttendanceReport> {
  if (!isUuid(meetingId)) throw new NotFoundError('meeting', meetingId);
  // One snapshot: during a live meeting calls come and go between the queries, and a site that
  // joined between two of them must not be half in the record.
  return ds.transaction('REPEATABLE READ', async (em) => {
    const meeting = await em.findOneBy(MeetingEntity, { id: meetingId });
    if (!meeting) throw new NotFoundError('meeting', meetingId);
    const rows = {
      meeting,
      sites: await loadSites(em, meeting.id),
      participations: await loadParticipations(em, meeting.id),
      dials: await loadDialAttempts(em, meeting.id),
      readiness: await loadReadiness(em, meeting.id),
      presentations: await new ContentShares(em).forMeeting(meeting.id),
    };
    return assemble(rows, now);
  });
}

interface Rows {
  meeting: Meeting;
  sites: SiteRow[];
  participations: ParticipationRow[];
  dials: DialRow[];
  readiness: ReadinessRow[];
  presentations: Presentation[];
}

function assemble({ meeting, sites, participations, dials, readiness, presentations }: Rows, now: Date): AttendanceReport {
  const attendance = computeAttendance(
    meeting,
    participations.map((p) => ({ siteId: p.siteId, displayName: p.displayName, joinedAt: p.joinedAt, leftAt: presumedLeftAt(p, now) })),
    now,
  );
  const nobody = presenceOf(presence([], attendance.window, now));

  const siteRows = sites
    .map((s): SiteAttendance => {
      const p = attendance.sites.get(s.id);
      return {
        site: { id: s.id, code: s.code, name: s.name },
        invited: s.invited,
        ...(p ? presenceOf(p) : nobody),
        dialAttempts: dials.filter((d) => d.siteId === s.id).map(({ siteId: _, ...d }) => d),
        readiness: readinessOf(readiness.find((r) => r.siteId === s.id)),
      };
    })
    .sort((a, b) => byName(a.site.name, b.site.name) || a.site.code.localeCompare(b.site.code));

  const guests = attendance.guests.map((g): GuestAttendance => ({ name: g.name, ...presenceOf(g.presence) })).sort((a, b) => byName(a.name, b.name));

  const invited = siteRows.filter((s) => s.invited);
  const attended = invited.filter((s) => s.attended).length;
  return {
    meeting: {
      id: meeting.id,
      title: meeting.title,
      roomNumber: meeting.roomNumber,
      startsAt: meeting.startsAt,
      endsAt: meeting.endsAt,
      status: meeting.status,
      wentLiveAt: meeting.wentLiveAt,
      endedAt: meeting.endedAt,
    },
    window: attendance.window,
    generatedAt: now,
    sites: siteRows,
    guests,
    presentations: presentations.map((p) => ({ ...p, durationMs: presentedMs(p, meeting, now) })),
    summary: { invited: invited.length, attended, absent: invited.length - attended },
  };
}

/** A row still open is taken as still connected unless its heartbeat has gone stale (see STALE_AFTER_MS). */
export function presumedLeftAt(p: { joinedAt: Date; lastSeenAt: Date; leftAt: Date | null }, now: Date): Date | null {
  if (p.leftAt) return p.leftAt;
  if (now.getTime() - p.lastSeenAt.getTime() <= STALE_AFTER_MS) return null;
  // biome-ignore lint/complexity/useMathMinMax: Dates, and the Date itself is returned
  return p.lastSeenAt > p.joinedAt ? p.lastSeenAt : p.joinedAt;
}

/**
 * A presentation still open counts to now, but not past the meeting's end: one a dead process left
 * open is closed there by the next start (ContentShares.closeDangling), and the record says so already.
 */
function presentedMs(p: Presentation, meeting: Meeting, now: Date): number {
  const until = p.endedAt ?? new Date(Math.min(now.getTime(), (meeting.endedAt ?? meeting.endsAt).getTime()));
  return Math.max(0, until.getTime() - p.startedAt.getTime());
}

function presenceOf({ connectedMs: _, ...rest }: Presence): Attendee {
  return rest;
}

function readinessOf(r: ReadinessRow | undefined): Readiness | null {
  return r ? { reachable: r.reachable, latencyMs: r.latencyMs, checkedAt: r.checkedAt } : null;
}

/** Invited sites, and sites that joined without an invitation (as guests with their directory identity). */
async function loadSites(em: EntityManager, meetingId: string): Promise<SiteRow[]> {
  const rows = (await em.query(
    `SELECT s.id, s.code, s.name, true AS invited
       FROM meeting_site ms JOIN site s ON s.id = ms.site_id
      WHERE ms.meeting_id = $1
     UNION
     SELECT s.id, s.code, s.name, false AS invited
       FROM site s
      WHERE s.id IN (SELECT p.site_id FROM participation p WHERE p.meeting_id = $1)
        AND s.id NOT IN (SELECT ms.site_id FROM meeting_site ms WHERE ms.meeting_id = $1)`,
    [meetingId],
  )) as SiteRow[];
  return rows;
}

async function loadParticipations(em: EntityManager, meetingId: string): Promise<ParticipationRow[]> {
  const rows = (await em.query(
    `SELECT site_id AS "siteId", display_name AS "displayName", joined_at AS "joinedAt",
            last_seen_at AS "lastSeenAt", left_at AS "leftAt"
       FROM participation WHERE meeting_id = $1 ORDER BY joined_at, id`,
    [meetingId],
  )) as { siteId: string | null; displayName: string; joinedAt: Date | string; lastSeenAt: Date | string; leftAt: Date | string | null }[];
  return rows.map((r) => ({ ...r, joinedAt: date(r.joinedAt), lastSeenAt: date(r.lastSeenAt), leftAt: dateOrNull(r.leftAt) }));
}

async function loadDialAttempts(em: EntityManager, meetingId: string): Promise<DialRow[]> {
  const rows = (await em.query(
    `SELECT site_id AS "siteId", attempt, target, started_at AS "startedAt", ended_at AS "endedAt",
            outcome, sip_status AS "sipStatus"
       FROM dial_attempt WHERE meeting_id = $1 AND site_id IS NOT NULL ORDER BY started_at, attempt, id`,
    [meetingId],
  )) as (Omit<DialRow, 'startedAt' | 'endedAt'> & { startedAt: Date | string; endedAt: Date | string | null })[];
  return rows.map((r) => ({ ...r, startedAt: date(r.startedAt), endedAt: dateOrNull(r.endedAt) }));
}

/** The latest check per site (ties on checked_at go to the later row). */
async function loadReadiness(em: EntityManager, meetingId: string): Promise<ReadinessRow[]> {
  const rows = (await em.query(
    `SELECT DISTINCT ON (site_id) site_id AS "siteId", reachable, latency_ms AS "latencyMs", checked_at AS "checkedAt"
       FROM readiness_check WHERE meeting_id = $1 ORDER BY site_id, checked_at DESC, id DESC`,
    [meetingId],
  )) as (Omit<ReadinessRow, 'checkedAt'> & { checkedAt: Date | string })[];
  return rows.map((r) => ({ ...r, checkedAt: date(r.checkedAt) }));
}
