import { z } from 'zod';
import { loadSiteStates } from '../../meetings/site-states';
import { authProblems, iso, problems } from '../common';
import type { ApiDeps } from '../deps';
import { route } from '../route';

/** GET /site-states: the live columns of the Sites page for every site on it, in one request. */

export interface SiteStatesDeps extends Pick<ApiDeps, 'ds' | 'sites' | 'live'> {
  now?: () => Date;
}

/** Enough for a page of a table, and short enough for a URL (Node reads at most 16 KiB of headers). */
const MAX_IDS = 200;

const siteStatesQuery = z
  .object({
    group: z.string().max(64).optional().describe('Only the sites of this group (id or code)'),
    ids: z
      .string()
      .max(MAX_IDS * 37)
      .transform((s) => s.split(',').filter(Boolean))
      .pipe(z.array(z.uuid('must be site ids separated by commas')).max(MAX_IDS))
      .optional()
      .describe(`Only these sites: up to ${MAX_IDS} ids separated by commas (ids of no site are left out)`),
  })
  .strict();

const siteStateOut = z
  .object({
    siteId: z.uuid(),
    registered: z.boolean().describe('Has a registration that has not expired'),
    userAgent: z.string().nullable().describe('Of the newest registration'),
    inCall: z.object({ meetingId: z.uuid() }).nullable().describe('Connected to a meeting now'),
    readiness: z
      .object({ meetingId: z.uuid(), reachable: z.boolean(), checkedAt: z.iso.datetime() })
      .nullable()
      .describe('The latest readiness check before any meeting'),
    lastSeenAt: z.iso.datetime().nullable().describe('Latest registration refresh or call heartbeat on record; null if never seen'),
  })
  .meta({ id: 'SiteState' });

const siteStatesOut = z.object({ generatedAt: z.iso.datetime(), items: z.array(siteStateOut) }).meta({ id: 'SiteStates' });

export function siteStateRoutes({ ds, sites, live, now = () => new Date() }: SiteStatesDeps) {
  return [
    route({
      method: 'get',
      path: '/site-states',
      tag: 'sites',
      summary: 'Registered, in a call, latest readiness check and last seen, for many sites at once (in the directory order)',
      permission: 'read',
      query: siteStatesQuery,
      responses: { 200: { description: 'One state per site', schema: siteStatesOut }, ...authProblems, 422: problems[422] },
      async handler(ctx, { query }) {
        const at = now();
        const ids = await sites.ids({ group: query.group, ids: query.ids });
        const states = await loadSiteStates(ds, ids, { now: at, ...(live && { roster: (id: string) => live.control.participants(id) }) });
        ctx.body = {
          generatedAt: iso(at),
          items: states.map((s) => ({
            ...s,
            readiness: s.readiness && { ...s.readiness, checkedAt: iso(s.readiness.checkedAt) },
            lastSeenAt: s.lastSeenAt && iso(s.lastSeenAt),
          })),
        };
      },
    }),
  ];
}
