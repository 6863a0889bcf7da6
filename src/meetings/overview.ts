import type { DependencyState } from '../observability/dependency-state';
import type { DialOutcome } from './dial-attempts';
import type { Meeting } from './meeting.entity';
import type { SiteRef } from '../directory/site.entity';

/**
 * The "Today" overview of the operator console: meetings live now and coming soon, how the
 * directory's sites are doing, and the problems that need a person. Pure — rows in, overview out,
 * the clock an argument; the rows come from ./overview-rows.ts and the live roster.
 *
 * Definitions (the route, the console and the tests follow these):
 *
 * - **Meetings**: every live meeting, and every scheduled one that overlaps [now, now + horizon).
 *   `invited` counts the invited sites; `joined` the invited sites connected now; `participants`
 *   everyone connected now (sites, guests, browsers); `unreachable` the invited sites whose latest
 *   readiness check for this meeting did not answer.
 * - **Connected now**: the live roster of each meeting when the bridge carries calls (SIP is
 *   configured), otherwise the open participations whose heartbeat is fresh.
 * - **Sites**: `registered` has a registration that has not expired; `inCall` is connected to any
 *   meeting now; `unreachable` did not answer the latest readiness check of a meeting listed here;
 *   `disabled` is switched off in the directory.
 * - **Problems**:
 *   - `dependency-down`: a dependency of /readyz is `down`;
 *   - `sites-missing`: a live meeting past its start with enabled invited sites not connected;
 *   - `dial-failures`: a site whose last K dial-out attempts (finished, not cancelled, within the
 *     look-back) all failed, unless it is connected now.
 */

/** A meeting that is live, or scheduled inside the horizon. */
export type OverviewMeetingRow = Pick<Meeting, 'id' | 'title' | 'roomNumber' | 'startsAt' | 'endsAt' | 'status'>;

/** One invited site of a listed meeting. */
export interface InvitationRow extends SiteRef {
  meetingId: string;
  enabled: boolean;
}

/** Someone connected to a meeting now: a site, or a guest (siteId null). */
export interface ConnectedRow {
  meetingId: string;
  siteId: string | null;
}

/** The latest readiness check of one invited site for one listed meeting. */
export interface ReadinessRow {
  meetingId: string;
  siteId: string;
  reachable: boolean;
  checkedAt: Date;
}

/** One of a site's latest finished dial-out attempts, newest first per site. */
export interface DialRow {
  site: SiteRef;
  meetingId: string;
  outcome: DialOutcome;
  sipStatus: number | null;
  startedAt: Date;
  endedAt: Date | null;
}

export interface SiteTotals {
  total: number;
  disabled: number;
  registered: number;
}

export interface OverviewRows {
  meetings: OverviewMeetingRow[];
  invitations: InvitationRow[];
  connected: ConnectedRow[];
  readiness: ReadinessRow[];
  dials: DialRow[];
  sites: SiteTotals;
}

export interface OverviewOptions {
  now: Date;
  /** The end of the "coming" window. */
  until: Date;
  /** K: this many failed dial-out attempts in a row make a problem. */
  failedAttempts: number;
  /** Dial-out attempts started before this are too old to count. */
  dialSince: Date;
}

export interface OverviewMeeting extends OverviewMeetingRow {
  invited: number;
  joined: number;
  participants: number;
  unreachable: number;
}

export type Problem =
  | { kind: 'dependency-down'; dependency: string; state: DependencyState }
  | { kind: 'sites-missing'; meeting: { id: string; title: string; roomNumber: number; startsAt: Date }; sites: SiteRef[] }
  | {
      kind: 'dial-failures';
      site: SiteRef;
      attempts: number;
      lastOutcome: DialOutcome;
      lastSipStatus: number | null;
      lastAttemptAt: Date;
      meetingId: string;
    };

export interface Overview {
  generatedAt: Date;
  window: { from: Date; to: Date };
  meetings: OverviewMeeting[];
  sites: { total: number; enabled: number; disabled: number; registered: number; inCall: number; unreachable: number };
  dependencies: Record<string, DependencyState>;
  problems: Problem[];
}

const collator = new Intl.Collator('vi');
const byName = (a: SiteRef, b: SiteRef) => collator.compare(a.name, b.name) || a.code.localeCompare(b.code);

/**
 * Who is connected now: the roster of every meeting the bridge carries calls for replaces the
 * database's open participations of that meeting (the roster is what is really in the conference).
 */
export function connectedNow(records: readonly ConnectedRow[], rosters: ReadonlyMap<string, readonly { siteId: string | null }[]>): ConnectedRow[] {
  return [
    ...records.filter((r) => !rosters.has(r.meetingId)),
    ...[...rosters].flatMap(([meetingId, roster]) => roster.map((p) => ({ meetingId, siteId: p.siteId }))),
  ];
}

export function buildOverview(
  rows: OverviewRows,
  dependencies: Record<string, DependencyState>,
  { now, until, failedAttempts, dialSince }: OverviewOptions,
): Overview {
  const groupBy = <T>(list: readonly T[], key: (t: T) => string) => {
    const out = new Map<string, T[]>();
    for (const item of list) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
    return out;
  };
  const invitedTo = groupBy(rows.invitations, (i) => i.meetingId);
  const connectedTo = groupBy(rows.connected, (c) => c.meetingId);
  const unreachableIn = groupBy(
    rows.readiness.filter((r) => !r.reachable),
    (r) => r.meetingId,
  );
  const connectedSites = new Set(rows.connected.flatMap((c) => (c.siteId ? [c.siteId] : [])));

  const meetings = [...rows.meetings]
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.roomNumber - b.roomNumber)
    .map((m): OverviewMeeting => {
      const invited = invitedTo.get(m.id) ?? [];
      const here = new Set((connectedTo.get(m.id) ?? []).flatMap((c) => (c.siteId ? [c.siteId] : [])));
      const invitedIds = new Set(invited.map((s) => s.id));
      return {
        ...m,
        invited: invited.length,
        joined: invited.filter((s) => here.has(s.id)).length,
        participants: connectedTo.get(m.id)?.length ?? 0,
        unreachable: new Set((unreachableIn.get(m.id) ?? []).map((r) => r.siteId).filter((id) => invitedIds.has(id))).size,
      };
    });

  const problems: Problem[] = [];
  for (const [dependency, state] of Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))) {
    if (state === 'down') problems.push({ kind: 'dependency-down', dependency, state });
  }
  for (const m of meetings) {
    if (m.status !== 'live' || now.getTime() < m.startsAt.getTime()) continue;
    const here = new Set((connectedTo.get(m.id) ?? []).map((c) => c.siteId));
    const missing = (invitedTo.get(m.id) ?? [])
      .filter((s) => s.enabled && !here.has(s.id))
      .map(({ id, code, name }) => ({ id, code, name }))
      .sort(byName);
    if (missing.length) {
      problems.push({ kind: 'sites-missing', meeting: { id: m.id, title: m.title, roomNumber: m.roomNumber, startsAt: m.startsAt }, sites: missing });
    }
  }
  const failing: Extract<Problem, { kind: 'dial-failures' }>[] = [];
  for (const attempts of groupBy(rows.dials, (d) => d.site.id).values()) {
    // A cancelled attempt (the meeting ended while it rang) says nothing about the site.
    const latest = attempts
      .filter((d) => d.outcome !== 'cancelled' && d.startedAt.getTime() >= dialSince.getTime())
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())
      .slice(0, failedAttempts);
    const last = latest[0];
    if (!last || latest.length < failedAttempts || connectedSites.has(last.site.id)) continue;
    if (latest.some((d) => d.outcome === 'answered')) continue;
    failing.push({
      kind: 'dial-failures',
      site: last.site,
      attempts: latest.length,
      lastOutcome: last.outcome,
      lastSipStatus: last.sipStatus,
      lastAttemptAt: last.endedAt ?? last.startedAt,
      meetingId: last.meetingId,
    });
  }
  problems.push(...failing.sort((a, b) => byName(a.site, b.site)));

  const listed = new Set(meetings.map((m) => m.id));
  const unreachableSites = new Set(rows.readiness.filter((r) => !r.reachable && listed.has(r.meetingId)).map((r) => r.siteId));
  return {
    generatedAt: now,
    window: { from: now, to: until },
    meetings,
    sites: {
      total: rows.sites.total,
      enabled: rows.sites.total - rows.sites.disabled,
      disabled: rows.sites.disabled,
      registered: rows.sites.registered,
      inCall: connectedSites.size,
      unreachable: unreachableSites.size,
    },
    dependencies,
    problems,
  };
}
