import { z } from 'zod';
import { parseCidr } from './networks';
import { REGION_MAX_LENGTH, REGION_PATTERN } from './region';

/**
 * What a client may send about a site. The same schemas validate the API, the CSV import and
 * generate the OpenAPI document.
 */

/** Free text as stored: NFC (Vietnamese typed on any system compares equal), trimmed, not empty. */
export const text = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').trim())
    .pipe(z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`));

export const siteCode = z
  .string()
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case letters, digits and single dashes, e.g. "ia-pal"')
  .max(40);

const sipUri = z
  .string()
  .trim()
  .regex(/^sips?:([^\s@:;]+@)?[A-Za-z0-9.\-[\]:]+(;[^\s]*)?$/i, 'must be a SIP URI such as sip:room@10.0.0.5');

const cidr = z.string().transform((s, ctx) => {
  const c = parseCidr(s);
  if (!c) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not an IP network such as 10.20.0.0/16` });
    return z.NEVER;
  }
  return c;
});

const siteFields = {
  code: siteCode,
  name: text(200),
  protocol: z.enum(['sip', 'h323']),
  sipUri: sipUri.nullable(),
  h323Address: text(200).nullable().describe('H.323 alias (E.164 or H323-ID) or IP[:port] to dial'),
  h323Alias: text(128).nullable().describe('Alias the room system registers with at the gatekeeper'),
  sipUsername: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 letters, digits, dots, dashes or underscores')
    .nullable(),
  sipPassword: z.string().min(8, 'must be at least 8 characters').max(128).nullable().describe('Write-only: stored as a digest HA1, never returned'),
  allowedNetworks: z.array(cidr).max(32).describe('Source networks the site may call or register from'),
  deviceModel: text(200).nullable().describe('Vendor and model, free text'),
  bandwidthKbps: z.number().int().min(64).max(20000).nullable(),
  h264PacketizationMode: z.union([z.literal(0), z.literal(1)]).nullable(),
  region: z
    .string()
    .regex(REGION_PATTERN, 'must be lower-case letters and digits, words joined by dashes (e.g. mien-bac)')
    .max(REGION_MAX_LENGTH)
    .nullable()
    .describe('The region the site is in, as FREESWITCH_REGIONS names it: a meeting over several FreeSWITCH nodes puts it on a node there'),
  contactName: text(200).nullable(),
  contactPhone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 .()-]{3,30}$/, 'must be a phone number')
    .nullable(),
  enabled: z.boolean(),
};

export const siteCreateSchema = z
  .object({
    ...siteFields,
    protocol: siteFields.protocol.default('sip'),
    sipUri: siteFields.sipUri.optional(),
    h323Address: siteFields.h323Address.optional(),
    h323Alias: siteFields.h323Alias.optional(),
    sipUsername: siteFields.sipUsername.optional(),
    sipPassword: siteFields.sipPassword.optional(),
    allowedNetworks: siteFields.allowedNetworks.default([]),
    deviceModel: siteFields.deviceModel.optional(),
    bandwidthKbps: siteFields.bandwidthKbps.optional(),
    h264PacketizationMode: siteFields.h264PacketizationMode.optional(),
    region: siteFields.region.optional(),
    contactName: siteFields.contactName.optional(),
    contactPhone: siteFields.contactPhone.optional(),
    enabled: siteFields.enabled.default(true),
  })
  .strict()
  .meta({ id: 'SiteCreate' });

export const siteUpdateSchema = z
  .object({
    code: siteFields.code.optional(),
    name: siteFields.name.optional(),
    protocol: siteFields.protocol.optional(),
    sipUri: siteFields.sipUri.optional(),
    h323Address: siteFields.h323Address.optional(),
    h323Alias: siteFields.h323Alias.optional(),
    sipUsername: siteFields.sipUsername.optional(),
    sipPassword: siteFields.sipPassword.optional(),
    allowedNetworks: siteFields.allowedNetworks.optional(),
    deviceModel: siteFields.deviceModel.optional(),
    bandwidthKbps: siteFields.bandwidthKbps.optional(),
    h264PacketizationMode: siteFields.h264PacketizationMode.optional(),
    region: siteFields.region.optional(),
    contactName: siteFields.contactName.optional(),
    contactPhone: siteFields.contactPhone.optional(),
    enabled: siteFields.enabled.optional(),
  })
  .strict()
  .meta({ id: 'SiteUpdate' });

export type SiteCreate = z.infer<typeof siteCreateSchema>;
export type SiteUpdate = z.infer<typeof siteUpdateSchema>;

export const siteListQuerySchema = z
  .object({
    q: z.string().max(100).optional().describe('Matches name or code, with or without diacritics'),
    protocol: siteFields.protocol.optional(),
    group: z.string().max(64).optional().describe('Only the sites of this group (id or code)'),
    enabled: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export type SiteListQuery = z.infer<typeof siteListQuerySchema>;
