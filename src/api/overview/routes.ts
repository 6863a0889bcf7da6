import { z } from 'zod';
import { DIAL_OUTCOMES } from '../../meetings/dial-attempts';
import { meetingStatuses } from '../../meetings/meeting.entity';
import { buildOverview, connectedNow, type Overview } from '../../meetings/overview';
import { loadOverviewRows } from '../../meetings/overview-rows';
import { authProblems, iso, problems } from '../common';
import type { ApiDeps } from '../deps';
import { route } from '../route';

/** GET /overview: the operator console's "Today" page in one request. */

export interface OverviewDeps extends Pick<ApiDeps, 'ds' | 'live' | 'readiness'> {
  now?: () => Date;
}

/** Dial-out attempts older than this do not make a problem any more. */
export const DIAL_LOOKBACK_MS = 24 * 3600_000;

const datetime = z.iso.datetime();
const dependencyState = z.enum(['up', 'down', 'connecting', 'not configured']);
const siteRef = z.object({ id: z.uuid(), code: z.string(), name: z.string() });

const overviewQuery = z
  .object({
    hours: z.coerce.number().int().min(1).max(168).default(12).describe('Scheduled meetings starting within this many hours are listed'),
    failedAttempts: z.coerce.number().int().min(1).max(20).default(3).describe('A site whose last this many dial-out attempts all failed is a problem'),
  })
  .strict();

const problemOut = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('dependency-down'), dependency: z.string().describe('As named by /readyz'), state: dependencyState }),
    z.object({
      kind: z.literal('sites-missing').describe('A live meeting past its start with enabled invited sites not connected'),
      meeting: z.object({ id: z.uuid(), title: z.string(), roomNumber: z.number().int(), startsAt: datetime }),
      sites: z.array(siteRef),
    }),
    z.object({
      kind: z.literal('dial-failures').describe('The last `attempts` dial-out attempts to this site all failed'),
      site: siteRef,
      attempts: z.number().int(),
      lastOutcome: z.enum(DIAL_OUTCOMES),
      lastSipStatus: z.number().int().nullable(),
      lastAttemptAt: datetime,
      meetingId: z.uuid().describe('The meeting of the last attempt'),
    }),
  ])
  .meta({ id: 'OverviewProblem' });

const overviewOut = z
  .object({
    generatedAt: datetime,
    window: z.object({ from: datetime, to: datetime }).describe('Scheduled meetings overlapping this span are listed, with every live one'),
    meetings: z.array(
      z.object({
        id: z.uuid(),
        title: z.string(),
        roomNumber: z.number().int(),
        startsAt: datetime,
        endsAt: datetime,
        status: z.enum(meetingStatuses),
        invited: z.number().int().describe('Invited sites'),
        joined: z.number().int().describe('Invited sites connected now'),
        participants: z.number().int().describe('Everyone connected now: sites, guests, browsers'),
        unreachable: z.number().int().describe('Invited sites that did not answer their latest readiness check'),
      }),
    ),
    sites: z.object({
      total: z.number().int(),
      enabled: z.number().int(),
      disabled: z.number().int(),
      registered: z.number().int().describe('With a registration that has not expired'),
      inCall: z.number().int().describe('Connected to a meeting now'),
      unreachable: z.number().int().describe('Did not answer the latest readiness check of a meeting listed here'),
    }),
    dependencies: z.record(z.string(), dependencyState).describe('As /readyz reports them'),
    problems: z.array(problemOut).describe('What needs a person: dependencies down, then missing sites, then failing dial-outs'),
  })
  .meta({ id: 'Overview' });

export type OverviewOut = z.infer<typeof overviewOut>;

export function presentOverview(o: Overview): OverviewOut {
  return {
    generatedAt: iso(o.generatedAt),
    window: { from: iso(o.window.from), to: iso(o.window.to) },
    meetings: o.meetings.map((m) => ({ ...m, startsAt: iso(m.startsAt), endsAt: iso(m.endsAt) })),
    sites: o.sites,
    dependencies: o.dependencies,
    problems: o.problems.map((p) => {
      if (p.kind === 'sites-missing') return { ...p, meeting: { ...p.meeting, startsAt: iso(p.meeting.startsAt) } };
      if (p.kind === 'dial-failures') return { ...p, lastAttemptAt: iso(p.lastAttemptAt) };
      return p;
    }),
  };
}

export function overviewRoutes({ ds, live, readiness, now = () => new Date() }: OverviewDeps) {
  return [
    route({
      method: 'get',
      path: '/overview',
      tag: 'overview',
      summary: 'Today: meetings live and coming, sites registered, in a call and unreachable, and the problems that need a person',
      permission: 'read',
      query: overviewQuery,
      responses: { 200: { description: 'The overview', schema: overviewOut }, ...authProblems, 422: problems[422] },
      async handler(ctx, { query }) {
        const at = now();
        const options = {
          now: at,
          until: new Date(at.getTime() + query.hours * 3600_000),
          failedAttempts: query.failedAttempts,
          dialSince: new Date(at.getTime() - DIAL_LOOKBACK_MS),
        };
        const [rows, dependencies] = await Promise.all([loadOverviewRows(ds, options), readiness()]);
        // With SIP configured the roster of each listed meeting is the truth; without, the records are.
        if (live) rows.connected = connectedNow(rows.connected, new Map(rows.meetings.map((m) => [m.id, live.control.participants(m.id)])));
        ctx.body = presentOverview(buildOverview(rows, dependencies, options));
      },
    }),
  ];
}
