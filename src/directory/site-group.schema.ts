import { z } from 'zod';
import { siteCode, text } from './site.schema';

/** What a client may send about a site group; also the source of the OpenAPI document. */

const siteRefs = z
  .array(z.string().min(1).max(64).describe('A site id or code'))
  .max(1000)
  .describe('The members, by site id or code; replaces the whole list');

export const siteGroupCreateSchema = z
  .object({
    code: siteCode,
    name: text(200),
    description: text(1000).nullable().optional(),
    sites: siteRefs.default([]),
  })
  .strict()
  .meta({ id: 'SiteGroupCreate' });

export const siteGroupUpdateSchema = z
  .object({
    code: siteCode.optional(),
    name: text(200).optional(),
    description: text(1000).nullable().optional(),
    sites: siteRefs.optional(),
  })
  .strict()
  .meta({ id: 'SiteGroupUpdate' });

export type SiteGroupCreate = z.infer<typeof siteGroupCreateSchema>;
export type SiteGroupUpdate = z.infer<typeof siteGroupUpdateSchema>;

export const siteGroupListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export type SiteGroupListQuery = z.infer<typeof siteGroupListQuerySchema>;
