import { z } from 'zod';
import { importSites } from '../../directory/site-import';
import { siteStatus } from '../../directory/site-status';
import { siteCreateSchema, siteListQuerySchema, siteUpdateSchema } from '../../directory/site.schema';
import type { ApiDeps } from '../deps';
import { authProblems, pageOf, problems, writeProblems } from '../common';
import type { Caller } from '../middleware/auth';
import { route, uuidParams } from '../route';
import { presentSite, siteOut } from './site.presenter';

const importReport = z.object({ created: z.number().int(), updated: z.number().int(), dryRun: z.boolean() }).meta({ id: 'SiteImportReport' });

const siteStatusOut = z
  .object({
    registered: z.boolean(),
    registrations: z.array(
      z.object({
        contact: z.string(),
        userAgent: z.string().nullable(),
        source: z.string(),
        transport: z.string(),
        expiresAt: z.iso.datetime(),
      }),
    ),
    inCall: z.object({ meetingId: z.uuid(), callId: z.string(), since: z.iso.datetime() }).nullable(),
  })
  .meta({ id: 'SiteStatus' });

const actorOf = (caller: Caller | null) => caller!.actor;

export function siteRoutes({ ds, sites }: ApiDeps) {
  // The directory hands out the same frozen page until a site changes: serialise it once.
  const pageBodies = new WeakMap<object, string>();
  return [
    route({
      method: 'get',
      path: '/sites',
      tag: 'sites',
      summary: 'List and search sites',
      permission: 'read',
      query: siteListQuerySchema,
      responses: { 200: { description: 'A page of sites', schema: pageOf(siteOut, 'SitePage') }, ...authProblems, 422: problems[422] },
      async handler(ctx, { query }) {
        const page = await sites.list(query);
        let body = pageBodies.get(page);
        if (body === undefined) {
          body = JSON.stringify({ ...page, items: page.items.map(presentSite) });
          pageBodies.set(page, body);
        }
        ctx.type = 'application/json';
        ctx.body = body;
      },
    }),
    route({
      method: 'post',
      path: '/sites',
      tag: 'sites',
      summary: 'Add a site',
      permission: 'sites:write',
      body: siteCreateSchema,
      responses: { 201: { description: 'Created', schema: siteOut }, ...writeProblems, 409: problems[409] },
      async handler(ctx, { body, caller }) {
        const site = await sites.create(body, actorOf(caller));
        ctx.status = 201;
        ctx.set('Location', `/api/v1/sites/${site.id}`);
        ctx.body = presentSite(site);
      },
    }),
    route({
      method: 'post',
      path: '/sites/import',
      tag: 'sites',
      summary: 'Create or update sites from a CSV file (all or nothing; every bad line is reported)',
      permission: 'sites:write',
      body: z.string().describe('CSV with a header row; columns as in SiteCreate, allowedNetworks separated by ";"'),
      bodyFormat: 'csv',
      query: z
        .object({
          dryRun: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .default(false),
        })
        .strict(),
      responses: { 200: { description: 'Imported', schema: importReport }, ...writeProblems },
      async handler(ctx, { body, query, caller }) {
        ctx.body = await importSites(ds, sites, body, actorOf(caller), { dryRun: query.dryRun });
      },
    }),
    route({
      method: 'get',
      path: '/sites/{id}',
      tag: 'sites',
      summary: 'One site',
      permission: 'read',
      params: uuidParams,
      responses: { 200: { description: 'The site', schema: siteOut }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params }) {
        ctx.body = presentSite(await sites.get(params.id));
      },
    }),
    route({
      method: 'get',
      path: '/sites/{id}/status',
      tag: 'sites',
      summary: 'Where the site is registered (contact, user agent, expiry) and whether it is in a call',
      permission: 'read',
      params: uuidParams,
      responses: { 200: { description: 'Registration and call state', schema: siteStatusOut }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params }) {
        const site = await sites.get(params.id);
        const status = await siteStatus(ds, site.id);
        ctx.body = {
          registered: status.registered,
          registrations: status.bindings.map((b) => ({
            contact: b.contact,
            userAgent: b.userAgent,
            source: b.source,
            transport: b.transport,
            expiresAt: b.expiresAt.toISOString(),
          })),
          inCall: status.inCall ? { ...status.inCall, since: status.inCall.since.toISOString() } : null,
        };
      },
    }),
    route({
      method: 'patch',
      path: '/sites/{id}',
      tag: 'sites',
      summary: 'Change some fields of a site',
      permission: 'sites:write',
      params: uuidParams,
      body: siteUpdateSchema,
      responses: { 200: { description: 'Updated', schema: siteOut }, ...writeProblems, 404: problems[404], 409: problems[409] },
      async handler(ctx, { params, body, caller }) {
        ctx.body = presentSite(await sites.update(params.id, body, actorOf(caller)));
      },
    }),
    route({
      method: 'delete',
      path: '/sites/{id}',
      tag: 'sites',
      summary: 'Delete a site no meeting refers to (otherwise disable it)',
      permission: 'sites:write',
      params: uuidParams,
      responses: { 204: { description: 'Deleted' }, ...authProblems, 404: problems[404], 409: problems[409] },
      async handler(ctx, { params, caller }) {
        await sites.delete(params.id, actorOf(caller));
        ctx.status = 204;
      },
    }),
  ];
}
