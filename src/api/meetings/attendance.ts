import type { Context } from 'koa';
import { z } from 'zod';
import { meetingStatuses } from '../../meetings/meeting.entity';
import { DIAL_OUTCOMES } from '../../meetings/dial-attempts';
import { localIso } from '../../time-zone';
import { attendanceReport, type AttendanceReport, type Attendee, type SiteAttendance } from '../../meetings/attendance-report';
import { authProblems, iso, problems } from '../common';
import type { ApiDeps } from '../deps';
import { route, uuidParams } from '../route';

/** GET /meetings/{id}/attendance: the attendance record as JSON, or as a CSV file for a spreadsheet. */

export interface AttendanceDeps extends Pick<ApiDeps, 'ds'> {
  /** The district's time zone (config `timeZone`): CSV times carry its offset. */
  timeZone: string;
  now?: () => Date;
}

const datetime = z.iso.datetime();

const attendeeShape = {
  attended: z.boolean().describe('Connected for more than zero time inside the window'),
  firstJoinedAt: datetime.nullable().describe('Start of the first connected span, clipped to the window'),
  lastLeftAt: datetime.nullable().describe('End of the last span; null if never connected or still connected'),
  connectedNow: z.boolean(),
  connectedSeconds: z.number().int().describe('Connected time inside the window, overlapping calls counted once'),
  connectedMinutes: z.number().describe('The same in minutes, to one decimal'),
  reconnects: z.number().int().describe('Connected spans − 1: how often it came back after a gap'),
  spans: z.array(z.object({ from: datetime, to: datetime.nullable().describe('Null while still connected') })),
};

const dialAttemptOut = z.object({
  attempt: z.number().int(),
  target: z.string(),
  startedAt: datetime,
  endedAt: datetime.nullable(),
  outcome: z.enum(DIAL_OUTCOMES).nullable(),
  sipStatus: z.number().int().nullable(),
});

const presentationOut = z
  .object({
    participantId: z.uuid().nullable().describe("The presenter's participation; null if it is no longer on record"),
    name: z.string(),
    siteId: z.uuid().nullable().describe('Null for a guest'),
    protocol: z.enum(['sip', 'h323', 'webrtc']),
    startedAt: datetime,
    endedAt: datetime.nullable().describe('Null while presenting'),
    durationMs: z.number().int().describe('To the end, or to now while presenting'),
    endReason: z
      .enum(['released', 'revoked', 'taken-over', 'left', 'ended'])
      .nullable()
      .describe('released by the presenter, revoked by an operator, taken over by another presenter, the presenter left, the meeting ended'),
  })
  .meta({ id: 'Presentation' });

const attendanceOut = z
  .object({
    meeting: z.object({
      id: z.uuid(),
      title: z.string(),
      roomNumber: z.number().int(),
      startsAt: datetime,
      endsAt: datetime,
      status: z.enum(meetingStatuses),
      wentLiveAt: datetime.nullable(),
      endedAt: datetime.nullable(),
    }),
    window: z.object({ from: datetime, to: datetime }).describe('Connected time is counted inside this span: went live (or booked start) to ended (or now)'),
    generatedAt: datetime,
    sites: z.array(
      z.object({
        site: z.object({ id: z.uuid(), code: z.string(), name: z.string() }),
        invited: z.boolean().describe('False for a directory site that joined as a guest'),
        ...attendeeShape,
        dialAttempts: z.array(dialAttemptOut),
        readiness: z.object({ reachable: z.boolean(), latencyMs: z.number().int().nullable(), checkedAt: datetime }).nullable(),
      }),
    ),
    guests: z.array(z.object({ name: z.string(), ...attendeeShape })),
    presentations: z.array(presentationOut).describe('Who presented content, in the order they began'),
    summary: z.object({ invited: z.number().int(), attended: z.number().int(), absent: z.number().int() }),
  })
  .meta({ id: 'Attendance' });

export type AttendanceOut = z.infer<typeof attendanceOut>;

const isoOrNull = (d: Date | null) => (d ? iso(d) : null);

function presentAttendee(a: Attendee) {
  return {
    attended: a.attended,
    firstJoinedAt: isoOrNull(a.firstJoinedAt),
    lastLeftAt: isoOrNull(a.lastLeftAt),
    connectedNow: a.connectedNow,
    connectedSeconds: a.connectedSeconds,
    connectedMinutes: a.connectedMinutes,
    reconnects: a.reconnects,
    spans: a.spans.map((s) => ({ from: iso(s.from), to: s.open ? null : iso(s.to) })),
  };
}

export function presentAttendance(r: AttendanceReport): AttendanceOut {
  const m = r.meeting;
  return {
    meeting: { ...m, startsAt: iso(m.startsAt), endsAt: iso(m.endsAt), wentLiveAt: isoOrNull(m.wentLiveAt), endedAt: isoOrNull(m.endedAt) },
    window: { from: iso(r.window.from), to: iso(r.window.to) },
    generatedAt: iso(r.generatedAt),
    sites: r.sites.map((s) => ({
      site: s.site,
      invited: s.invited,
      ...presentAttendee(s),
      dialAttempts: s.dialAttempts.map((d) => ({ ...d, startedAt: iso(d.startedAt), endedAt: isoOrNull(d.endedAt) })),
      readiness: s.readiness && { ...s.readiness, checkedAt: iso(s.readiness.checkedAt) },
    })),
    guests: r.guests.map((g) => ({ name: g.name, ...presentAttendee(g) })),
    presentations: r.presentations.map((p) => ({ ...p, startedAt: iso(p.startedAt), endedAt: isoOrNull(p.endedAt) })),
    summary: r.summary,
  };
}

/**
 * CSV when asked for by `?format=csv`, or when the Accept header names text/csv and prefers it to JSON
 * (q-values, then order, as Koa negotiates). A wildcard-only or missing Accept gets JSON.
 */
function wantsCsv(ctx: Context, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  if (!/\btext\/csv\b/i.test(ctx.get('accept'))) return false;
  return ctx.accepts('text/csv', 'application/json') === 'text/csv';
}

export function attendanceRoute({ ds, timeZone, now = () => new Date() }: AttendanceDeps) {
  return route({
    method: 'get',
    path: '/meetings/{id}/attendance',
    tag: 'meetings',
    summary: 'Attendance record: who took part and for how long (JSON, or CSV with Accept: text/csv or ?format=csv)',
    permission: 'read',
    params: uuidParams,
    query: z.object({ format: z.enum(['json', 'csv']).optional().describe('Overrides the Accept header') }).strict(),
    responses: {
      200: { description: 'The record. As text/csv (UTF-8 with BOM, CRLF) when asked for', schema: attendanceOut },
      ...authProblems,
      404: problems[404],
      422: problems[422],
    },
    async handler(ctx, { params, query }) {
      const report = await attendanceReport(ds, params.id, now());
      ctx.vary('Accept');
      if (!wantsCsv(ctx, query.format)) {
        ctx.body = presentAttendance(report);
        return;
      }
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('Content-Disposition', `attachment; filename="${attendanceFilename(report, timeZone)}"`);
      ctx.body = attendanceCsv(report, timeZone);
    },
  });
}

/* ---------- CSV ---------- */

const CSV_COLUMNS = [
  'kind',
  'site_code',
  'site_name',
  'invited',
  'attended',
  'first_joined',
  'last_left',
  'connected_minutes',
  'reconnects',
  'dial_attempts',
  'readiness',
] as const;

const PRESENTATION_COLUMNS = ['kind', 'site_code', 'name', 'protocol', 'started', 'ended', 'minutes', 'end_reason'] as const;

/**
 * The record as a spreadsheet file: one row per site (sorted by name), then one per guest; then, when
 * anybody presented content, an empty line and a second table with its own header, one row per
 * presentation (its columns are not the attendance's, and a person reads two tables). UTF-8 with
 * a BOM, because Excel reads a BOM-less file in the machine's ANSI code page and mangles Vietnamese;
 * CRLF and RFC 4180 quoting, because that is what Excel and LibreOffice expect.
 */
export function attendanceCsv(r: AttendanceReport, timeZone: string): string {
  const time = (d: Date | null) => (d ? localIso(d, timeZone) : '');
  const yesNo = (b: boolean) => (b ? 'yes' : 'no');
  const common = (a: Attendee) => [yesNo(a.attended), time(a.firstJoinedAt), time(a.lastLeftAt), a.connectedMinutes.toFixed(1), String(a.reconnects)];
  const rows: string[][] = [
    [...CSV_COLUMNS],
    ...r.sites.map((s) => ['site', s.site.code, text(s.site.name), yesNo(s.invited), ...common(s), dialSummary(s), readinessSummary(s)]),
    ...r.guests.map((g) => ['guest', '', text(g.name), 'no', ...common(g), '', '']),
  ];
  if (r.presentations.length) {
    const codes = new Map(r.sites.map((s) => [s.site.id, s.site.code]));
    rows.push(
      [],
      [...PRESENTATION_COLUMNS],
      ...r.presentations.map((p) => [
        'presentation',
        (p.siteId && codes.get(p.siteId)) ?? '',
        text(p.name),
        p.protocol,
        time(p.startedAt),
        time(p.endedAt),
        (p.durationMs / 60_000).toFixed(1),
        p.endReason ?? '',
      ]),
    );
  }
  return `\uFEFF${rows.map((row) => `${row.map(quote).join(',')}\r\n`).join('')}`;
}

/** `attendance-2001-2026-12-01.csv`: the room and the meeting's local start date. */
export function attendanceFilename(r: AttendanceReport, timeZone: string): string {
  return `attendance-${r.meeting.roomNumber}-${localIso(r.meeting.startsAt, timeZone).slice(0, 10)}.csv`;
}

/** "3: busy, busy, answered"; an attempt still ringing shows as "ringing". */
function dialSummary(s: SiteAttendance): string {
  if (!s.dialAttempts.length) return '';
  return `${s.dialAttempts.length}: ${s.dialAttempts.map((d) => d.outcome ?? 'ringing').join(', ')}`;
}

function readinessSummary(s: SiteAttendance): string {
  if (!s.readiness) return '';
  if (!s.readiness.reachable) return 'unreachable';
  return s.readiness.latencyMs === null ? 'reachable' : `reachable ${s.readiness.latencyMs} ms`;
}

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/**
 * Guests name themselves; a name starting with = + - @ would run as a formula when the file is opened
 * in a spreadsheet, so such a cell is prefixed with an apostrophe (OWASP "CSV injection").
 */
function text(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
