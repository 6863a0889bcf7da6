import { EntitySchema } from 'typeorm';

export type SiteProtocol = 'sip' | 'h323';

/** One room system in a commune or at the district. */
export interface Site {
  id: string;
  code: string;
  name: string;
  /** `name` and `code` folded to lower-case ASCII, so "bo ngoong" finds "Bờ Ngoong". */
  searchText: string;
  protocol: SiteProtocol;
  sipUri: string | null;
  h323Address: string | null;
  /** What the room system registers with at the gatekeeper (E.164 number or H323-ID). */
  h323Alias: string | null;
  sipUsername: string | null;
  /** MD5(username:realm:password) — the only form of the SIP password we keep. */
  sipHa1: string | null;
  sipRealm: string | null;
  allowedNetworks: string[];
  deviceModel: string | null;
  bandwidthKbps: number | null;
  h264PacketizationMode: 0 | 1 | null;
  /** Where the site is, as FREESWITCH_REGIONS names regions: a cascade places it on a node there (docs/scale.md). */
  region: string | null;
  contactName: string | null;
  contactPhone: string | null;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** How a site is named to clients that only need to recognise it. */
export interface SiteRef {
  id: string;
  code: string;
  name: string;
}

const nullableText = { type: 'text', nullable: true } as const;

export const SiteEntity = new EntitySchema<Site>({
  name: 'Site',
  tableName: 'site',
  columns: {
    id: { type: 'uuid', primary: true, default: () => 'gen_random_uuid()' },
    code: { type: 'text' },
    name: { type: 'text' },
    searchText: { type: 'text', name: 'search_text' },
    protocol: { type: 'text' },
    sipUri: { ...nullableText, name: 'sip_uri' },
    h323Address: { ...nullableText, name: 'h323_address' },
    h323Alias: { ...nullableText, name: 'h323_alias' },
    sipUsername: { ...nullableText, name: 'sip_username' },
    sipHa1: { ...nullableText, name: 'sip_ha1' },
    sipRealm: { ...nullableText, name: 'sip_realm' },
    allowedNetworks: { type: 'text', array: true, name: 'allowed_networks' },
    deviceModel: { ...nullableText, name: 'device_model' },
    bandwidthKbps: { type: 'integer', nullable: true, name: 'bandwidth_kbps' },
    h264PacketizationMode: { type: 'smallint', nullable: true, name: 'h264_packetization_mode' },
    region: { ...nullableText },
    contactName: { ...nullableText, name: 'contact_name' },
    contactPhone: { ...nullableText, name: 'contact_phone' },
    enabled: { type: 'boolean' },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
  },
});
