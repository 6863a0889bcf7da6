import { z } from 'zod';
import { ValidationError } from '../../errors';
import { MediaQuality } from '../../meetings/media-quality';
import { authProblems, problems } from '../common';
import type { ApiDeps } from '../deps';
import { route, uuidParams } from '../route';

/** Media quality history: per site, and the sites whose links were poor over a period. */

const DAY_MS = 86_400_000;
const EARLIEST = new Date('2000-01-01T00:00:00Z');
const LATEST = new Date('9999-12-31T00:00:00Z');
/** A period longer than this is refused: the history is per minute. */
const MAX_PERIOD_DAYS = 31;
/** A site's history in one answer; a site in calls all month has ~45 000 minutes, so narrow the period. */
const MAX_SAMPLES = 10_000;

export const qualitySampleOut = z
  .object({
    sampledAt: z.iso.datetime().describe('When the interval ended'),
    intervalMs: z.number().int().describe('The time the sample covers (a minute by default; the last one of a call is shorter)'),
    packetsIn: z.number().int().describe('RTP packets the bridge received from the participant'),
    packetsOut: z.number().int().describe('RTP packets the bridge sent to the participant'),
    lossInPercent: z.number().describe('Packets the participant sent that never arrived (sequence gaps), %'),
    lossOutPercent: z.number().nullable().describe('Loss the participant reports in RTCP (browsers, through rtpengine); null when unknown'),
    jitterMs: z.number().nullable(),
    rttMs: z.number().nullable().describe('Round-trip time from RTCP (browsers, through rtpengine); null when unknown'),
    bitrateInKbps: z.number(),
    bitrateOutKbps: z.number(),
    mos: z.number().describe('Estimated MOS, 1–4.5 (simplified ITU-T G.107 E-model)'),
  })
  .meta({ id: 'QualitySample' });

const periodQuery = {
  from: z.iso.datetime({ offset: true }).optional().describe('Start (inclusive), ISO 8601; default 24 h before `to`'),
  to: z.iso.datetime({ offset: true }).optional().describe('End (exclusive), ISO 8601; default now'),
};

function period(query: { from?: string | undefined; to?: string | undefined }, now: Date): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY_MS);
  for (const [field, d] of [
    ['from', from],
    ['to', to],
  ] as const) {
    // PostgreSQL and JavaScript disagree on years before 1 and after 9999; no sample is that old anyway.
    if (d < EARLIEST || d > LATEST) throw new ValidationError([{ field, message: 'must be between 2000 and 9999' }]);
  }
  if (from >= to) throw new ValidationError([{ field: 'from', message: 'must be before to' }]);
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY_MS)
    throw new ValidationError([{ field: 'from', message: `the period is at most ${MAX_PERIOD_DAYS} days` }]);
  return { from, to };
}

const siteHistoryOut = z
  .object({
    siteId: z.uuid(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    items: z.array(qualitySampleOut.extend({ participationId: z.uuid(), meetingId: z.uuid(), final: z.boolean().describe('Taken as the call ended') })),
    truncated: z.boolean().describe(`More than ${MAX_SAMPLES} samples: the oldest are given; narrow the period`),
  })
  .meta({ id: 'SiteQualityHistory' });

const poorLinksQuery = z
  .object({
    ...periodQuery,
    lossPercent: z.coerce.number().min(0).max(100).default(5).describe('A sample with at least this loss in is poor (default 5)'),
    mos: z.coerce.number().min(1).max(4.5).default(3.5).describe('A sample with at most this MOS is poor (default 3.5)'),
  })
  .strict();

const poorLinksOut = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    lossPercent: z.number(),
    mos: z.number(),
    items: z.array(
      z.object({
        siteId: z.uuid(),
        siteName: z.string(),
        samples: z.number().int().describe('Samples of the site in the period'),
        poorSamples: z.number().int().describe('Of which poor'),
        avgLossInPercent: z.number(),
        maxLossInPercent: z.number(),
        avgJitterMs: z.number().nullable(),
        avgMos: z.number(),
        minMos: z.number(),
      }),
    ),
  })
  .meta({ id: 'PoorLinks' });

export function qualityRoutes({ ds, sites, now = () => new Date() }: Pick<ApiDeps, 'ds' | 'sites'> & { now?: () => Date }) {
  const quality = new MediaQuality(ds);
  return [
    route({
      method: 'get',
      path: '/sites/{id}/quality',
      tag: 'sites',
      summary: 'The media quality of a site’s calls, per sample (a minute by default), over a period',
      permission: 'read',
      params: uuidParams,
      query: z.object(periodQuery).strict(),
      responses: { 200: { description: 'Oldest first', schema: siteHistoryOut }, ...authProblems, 404: problems[404], 422: problems[422] },
      async handler(ctx, { params, query }) {
        await sites.get(params.id);
        const { from, to } = period(query, now());
        const rows = await quality.siteHistory(params.id, from, to, MAX_SAMPLES + 1);
        ctx.body = {
          siteId: params.id,
          from: from.toISOString(),
          to: to.toISOString(),
          items: rows.slice(0, MAX_SAMPLES).map(({ siteId: _site, ...s }) => s),
          truncated: rows.length > MAX_SAMPLES,
        };
      },
    }),
    route({
      method: 'get',
      path: '/quality/poor-links',
      tag: 'sites',
      summary: 'Sites whose link was poor over a period (a sample with too much loss or too low a MOS), worst first',
      permission: 'read',
      query: poorLinksQuery,
      responses: { 200: { description: 'Worst average MOS first', schema: poorLinksOut }, ...authProblems, 422: problems[422] },
      async handler(ctx, { query }) {
        const { from, to } = period(query, now());
        ctx.body = {
          from: from.toISOString(),
          to: to.toISOString(),
          lossPercent: query.lossPercent,
          mos: query.mos,
          items: await quality.poorLinks(from, to, { lossPercent: query.lossPercent, mos: query.mos }),
        };
      },
    }),
  ];
}
