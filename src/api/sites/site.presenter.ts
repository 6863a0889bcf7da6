import { z } from 'zod';
import type { Site } from '../../directory/site.entity';
import { iso } from '../common';

export const siteOut = z
  .object({
    id: z.uuid(),
    code: z.string(),
    name: z.string(),
    protocol: z.enum(['sip', 'h323']),
    sipUri: z.string().nullable(),
    h323Address: z.string().nullable(),
    h323Alias: z.string().nullable(),
    sipUsername: z.string().nullable(),
    hasSipPassword: z.boolean(),
    allowedNetworks: z.array(z.string()),
    deviceModel: z.string().nullable(),
    bandwidthKbps: z.number().int().nullable(),
    h264PacketizationMode: z.union([z.literal(0), z.literal(1)]).nullable(),
    region: z.string().nullable(),
    contactName: z.string().nullable(),
    contactPhone: z.string().nullable(),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Site' });

export type SiteOut = z.infer<typeof siteOut>;

/** The HA1 and the realm it was made for never leave the server. */
export function presentSite(s: Site): SiteOut {
  return {
    id: s.id,
    code: s.code,
    name: s.name,
    protocol: s.protocol,
    sipUri: s.sipUri,
    h323Address: s.h323Address,
    h323Alias: s.h323Alias,
    sipUsername: s.sipUsername,
    hasSipPassword: s.sipHa1 !== null,
    allowedNetworks: s.allowedNetworks,
    deviceModel: s.deviceModel,
    bandwidthKbps: s.bandwidthKbps,
    h264PacketizationMode: s.h264PacketizationMode,
    region: s.region,
    contactName: s.contactName,
    contactPhone: s.contactPhone,
    enabled: s.enabled,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}
