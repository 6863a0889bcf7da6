import { SiteGroups } from '../../directory/site-groups';
import { siteGroupCreateSchema, siteGroupListQuerySchema, siteGroupUpdateSchema } from '../../directory/site-group.schema';
import { authProblems, pageOf, problems, writeProblems } from '../common';
import type { ApiDeps } from '../deps';
import { route, uuidParams } from '../route';
import { presentSiteGroup, presentSiteGroupSummary, siteGroupOut, siteGroupSummaryOut } from './site-group.presenter';

/** Site groups: the same roles as sites (viewers read, admins write). */
export function siteGroupRoutes({ ds }: ApiDeps) {
  // Nothing to configure: built here rather than carried in ApiDeps.
  const groups = new SiteGroups(ds);
  return [
    route({
      method: 'get',
      path: '/site-groups',
      tag: 'site-groups',
      summary: 'List site groups with their member counts',
      permission: 'read',
      query: siteGroupListQuerySchema,
      responses: { 200: { description: 'A page of groups', schema: pageOf(siteGroupSummaryOut, 'SiteGroupPage') }, ...authProblems, 422: problems[422] },
      async handler(ctx, { query }) {
        const page = await groups.list(query);
        ctx.body = { ...page, items: page.items.map(presentSiteGroupSummary) };
      },
    }),
    route({
      method: 'post',
      path: '/site-groups',
      tag: 'site-groups',
      summary: 'Add a site group (unknown sites are each named in a 422)',
      permission: 'sites:write',
      body: siteGroupCreateSchema,
      responses: { 201: { description: 'Created', schema: siteGroupOut }, ...writeProblems, 409: problems[409] },
      async handler(ctx, { body, caller }) {
        const view = await groups.create(body, caller!.actor);
        ctx.status = 201;
        ctx.set('Location', `/api/v1/site-groups/${view.group.id}`);
        ctx.body = presentSiteGroup(view);
      },
    }),
    route({
      method: 'get',
      path: '/site-groups/{id}',
      tag: 'site-groups',
      summary: 'One site group with its members',
      permission: 'read',
      params: uuidParams,
      responses: { 200: { description: 'The group', schema: siteGroupOut }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params }) {
        ctx.body = presentSiteGroup(await groups.get(params.id));
      },
    }),
    route({
      method: 'patch',
      path: '/site-groups/{id}',
      tag: 'site-groups',
      summary: 'Change a site group; `sites` replaces the members (meetings already booked keep their sites)',
      permission: 'sites:write',
      params: uuidParams,
      body: siteGroupUpdateSchema,
      responses: { 200: { description: 'Updated', schema: siteGroupOut }, ...writeProblems, 404: problems[404], 409: problems[409] },
      async handler(ctx, { params, body, caller }) {
        ctx.body = presentSiteGroup(await groups.update(params.id, body, caller!.actor));
      },
    }),
    route({
      method: 'delete',
      path: '/site-groups/{id}',
      tag: 'site-groups',
      summary: 'Delete a site group (meetings booked with it keep their sites)',
      permission: 'sites:write',
      params: uuidParams,
      responses: { 204: { description: 'Deleted' }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params, caller }) {
        await groups.delete(params.id, caller!.actor);
        ctx.status = 204;
      },
    }),
  ];
}
