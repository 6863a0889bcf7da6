/**
 * What the Sites page shows, worked out without the DOM: a site's condition in words, how long ago
 * it was seen, a form's text fields to and from the API's site, and problems' field errors sorted by
 * the input (or the CSV line) they belong to.
 */

/** A site as `GET /sites` answers it; the SIP password never comes back, only whether there is one. */
export interface Site {
  id: string;
  code: string;
  name: string;
  protocol: 'sip' | 'h323';
  sipUri: string | null;
  h323Address: string | null;
  h323Alias: string | null;
  sipUsername: string | null;
  hasSipPassword: boolean;
  allowedNetworks: string[];
  deviceModel: string | null;
  bandwidthKbps: number | null;
  h264PacketizationMode: 0 | 1 | null;
  region: string | null;
  contactName: string | null;
  contactPhone: string | null;
  enabled: boolean;
}

/** What the console sends to add or change a site (`sipPassword` only when typed). */
export type SiteInput = Omit<Site, 'id' | 'hasSipPassword'> & { sipPassword?: string };

/** `GET /site-states`: one per site. */
export interface SiteState {
  siteId: string;
  registered: boolean;
  userAgent: string | null;
  inCall: { meetingId: string } | null;
  readiness: { meetingId: string; reachable: boolean; checkedAt: string } | null;
  lastSeenAt: string | null;
}

/** One field a 422 (or a 409 about a field) names. */
export interface FieldError {
  field: string;
  message: string;
}

export type SiteCondition = 'disabled' | 'in-call' | 'registered' | 'unreachable' | 'not-registered';

/** One word for the table: what matters most to an operator first. */
export function siteCondition(site: Pick<Site, 'enabled'>, state: SiteState | undefined): SiteCondition {
  if (!site.enabled) return 'disabled';
  if (state?.inCall) return 'in-call';
  if (state?.registered) return 'registered';
  if (state?.readiness && !state.readiness.reachable) return 'unreachable';
  return 'not-registered';
}

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "5 phút trước" / "5 minutes ago"; under a minute "bây giờ" / "now". */
export function relativeTime(iso: string, now: number, locale: string): string {
  const ago = now - Date.parse(iso);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(ago) >= ms) return format.format(-Math.trunc(ago / ms), unit);
  }
  return format.format(0, 'second');
}

/** The site form: every field as the text of its input. */
export interface SiteForm {
  code: string;
  name: string;
  protocol: 'sip' | 'h323';
  sipUri: string;
  h323Address: string;
  h323Alias: string;
  sipUsername: string;
  sipPassword: string;
  allowedNetworks: string;
  deviceModel: string;
  bandwidthKbps: string;
  h264PacketizationMode: '' | '0' | '1';
  region: string;
  contactName: string;
  contactPhone: string;
  enabled: boolean;
}

export const emptySiteForm: SiteForm = {
  code: '',
  name: '',
  protocol: 'sip',
  sipUri: '',
  h323Address: '',
  h323Alias: '',
  sipUsername: '',
  sipPassword: '',
  allowedNetworks: '',
  deviceModel: '',
  bandwidthKbps: '',
  h264PacketizationMode: '',
  region: '',
  contactName: '',
  contactPhone: '',
  enabled: true,
};

export function formOf(site: Site): SiteForm {
  const text = (v: string | number | null) => (v === null ? '' : String(v));
  return {
    code: site.code,
    name: site.name,
    protocol: site.protocol,
    sipUri: text(site.sipUri),
    h323Address: text(site.h323Address),
    h323Alias: text(site.h323Alias),
    sipUsername: text(site.sipUsername),
    sipPassword: '',
    allowedNetworks: site.allowedNetworks.join('\n'),
    deviceModel: text(site.deviceModel),
    bandwidthKbps: text(site.bandwidthKbps),
    h264PacketizationMode: site.h264PacketizationMode === null ? '' : site.h264PacketizationMode === 0 ? '0' : '1',
    region: text(site.region),
    contactName: text(site.contactName),
    contactPhone: text(site.contactPhone),
    enabled: site.enabled,
  };
}

/**
 * The body for POST or PATCH: an empty input clears its field; the password goes only when typed
 * (left empty it keeps the stored one).
 */
export function inputOf(form: SiteForm): SiteInput {
  const orNull = (s: string) => (s.trim() === '' ? null : s.trim());
  const kbps = form.bandwidthKbps.trim();
  return {
    code: form.code.trim(),
    name: form.name,
    protocol: form.protocol,
    sipUri: orNull(form.sipUri),
    h323Address: orNull(form.h323Address),
    h323Alias: orNull(form.h323Alias),
    sipUsername: orNull(form.sipUsername),
    ...(form.sipPassword !== '' && { sipPassword: form.sipPassword }),
    allowedNetworks: form.allowedNetworks.split(/[\s,;]+/).filter(Boolean),
    deviceModel: orNull(form.deviceModel),
    bandwidthKbps: kbps === '' ? null : Number(kbps),
    h264PacketizationMode: form.h264PacketizationMode === '' ? null : form.h264PacketizationMode === '0' ? 0 : 1,
    region: orNull(form.region),
    contactName: orNull(form.contactName),
    contactPhone: orNull(form.contactPhone),
    enabled: form.enabled,
  };
}

/** A problem's field errors by the input they belong to ("allowedNetworks.2" → allowedNetworks); the rest under "". */
export function errorsByField(errors: readonly FieldError[], fields: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of errors) {
    const head = e.field.split('.')[0] ?? '';
    const key = fields.includes(head) ? head : '';
    out[key] = [...(out[key] ?? []), key === '' && e.field !== 'body' ? `${e.field}: ${e.message}` : e.message];
  }
  return out;
}

export interface ImportLineError {
  /** Null when the error is about the file as a whole. */
  line: number | null;
  column: string | null;
  message: string;
}

/** The import's 422 names fields "line 3" or "line 3.sipUri"; in line order, for a table. */
export function importLineErrors(errors: readonly FieldError[]): ImportLineError[] {
  return errors
    .map((e) => {
      const m = /^line (\d+)(?:\.(.+))?$/.exec(e.field);
      return m ? { line: Number(m[1]), column: m[2] ?? null, message: e.message } : { line: null, column: null, message: `${e.field}: ${e.message}` };
    })
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
