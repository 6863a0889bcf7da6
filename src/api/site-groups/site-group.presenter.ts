import { z } from 'zod';
import type { SiteGroupSummary, SiteGroupView } from '../../directory/site-groups';
import { iso } from '../common';

const groupFields = {
  id: z.uuid(),
  code: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
};

export const siteGroupSummaryOut = z.object({ ...groupFields, siteCount: z.number().int() }).meta({ id: 'SiteGroupSummary' });

export const siteGroupOut = z
  .object({
    ...groupFields,
    sites: z.array(
      z
        .object({ id: z.uuid(), code: z.string(), name: z.string(), enabled: z.boolean().describe('A disabled member is left out of bookings') })
        .meta({ id: 'SiteGroupMember' }),
    ),
  })
  .meta({ id: 'SiteGroup' });

type GroupOut = Omit<z.infer<typeof siteGroupOut>, 'sites'>;

function presentGroup(g: SiteGroupView['group']): GroupOut {
  return { id: g.id, code: g.code, name: g.name, description: g.description, createdAt: iso(g.createdAt), updatedAt: iso(g.updatedAt) };
}

export function presentSiteGroupSummary({ group, siteCount }: SiteGroupSummary): z.infer<typeof siteGroupSummaryOut> {
  return { ...presentGroup(group), siteCount };
}

export function presentSiteGroup({ group, sites }: SiteGroupView): z.infer<typeof siteGroupOut> {
  return { ...presentGroup(group), sites };
}
