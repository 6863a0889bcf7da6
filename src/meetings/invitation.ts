import type { Meeting } from './meeting.entity';
import { pad, zonedTime, type ZonedTime } from '../time-zone';

/**
 * Invitation material for one meeting: the short text an operator pastes into a message to the
 * communes (Vietnamese and English), and an RFC 5545 iCalendar file with the same content. Pure:
 * no I/O, the clock an argument.
 */

export type InvitationMeeting = Pick<Meeting, 'id' | 'title' | 'roomNumber' | 'pin' | 'startsAt' | 'endsAt' | 'status' | 'updatedAt'>;

export interface InvitationContext {
  /** SIP_DOMAIN: `sip:<room>@<sipDomain>`, and the calendar UID's right-hand side. */
  sipDomain: string;
  /** TIME_ZONE: the times in the text. */
  timeZone: string;
  /** Operators and admins see the PIN; viewers do not. */
  showPin: boolean;
  /** PUBLIC_URL without a trailing slash; null = no join page link. */
  publicUrl: string | null;
  /** Whether H.323 room systems can dial in (H323_HOST is set). */
  h323: boolean;
}

export interface Invitation {
  sipUri: string;
  /** What a SIP room system dials: with the PIN inline when the caller may see it. */
  dialString: string;
  /** What an H.323 room system registered to the bridge dials; null without H.323. */
  h323Dial: string | null;
  joinUrl: string | null;
  /** The PIN when the caller may see it and the meeting has one. */
  pin: string | null;
  text: { vi: string; en: string };
}

export function invitation(m: InvitationMeeting, c: InvitationContext): Invitation {
  const pin = c.showPin ? m.pin : null;
  const dialled = pin ? `${m.roomNumber}*${pin}` : String(m.roomNumber);
  const sipUri = `sip:${m.roomNumber}@${c.sipDomain}`;
  const dialString = `sip:${dialled}@${c.sipDomain}`;
  const h323Dial = c.h323 ? dialled : null;
  const joinUrl = c.publicUrl ? `${c.publicUrl}/join/${m.roomNumber}` : null;
  const cancelled = m.status === 'cancelled';
  const vi = [
    `${cancelled ? 'ĐÃ HỦY — ' : ''}Mời dự họp trực tuyến: ${m.title}`,
    `Thời gian: ${when(m.startsAt, m.endsAt, c.timeZone, 'vi')}`,
    `Phòng họp số ${m.roomNumber}`,
    `- Thiết bị phòng họp (SIP) gọi: ${sipUri}`,
    ...(h323Dial ? [`- Thiết bị H.323 gọi số: ${h323Dial}`] : []),
    ...(pin ? [`- Mã PIN: ${pin} (gọi kèm PIN: ${dialString})`] : []),
    ...(joinUrl ? [`- Tham gia bằng trình duyệt: ${joinUrl}`] : []),
  ].join('\n');
  const en = [
    `${cancelled ? 'CANCELLED — ' : ''}Video meeting: ${m.title}`,
    `When: ${when(m.startsAt, m.endsAt, c.timeZone, 'en')}`,
    `Room ${m.roomNumber}`,
    `- Room systems (SIP) dial: ${sipUri}`,
    ...(h323Dial ? [`- H.323 room systems dial: ${h323Dial}`] : []),
    ...(pin ? [`- PIN: ${pin} (with the PIN in the call: ${dialString})`] : []),
    ...(joinUrl ? [`- Join from a browser: ${joinUrl}`] : []),
  ].join('\n');
  return { sipUri, dialString, h323Dial, joinUrl, pin, text: { vi, en } };
}

/* ---------- iCalendar (RFC 5545) ---------- */

/**
 * The meeting as a one-event calendar: UTC times, the SIP URI as LOCATION, the invitation text in
 * both languages as DESCRIPTION, lines folded at 75 octets and ended with CRLF. `stamp` is when
 * the file was made (DTSTAMP).
 */
export function meetingCalendar(m: InvitationMeeting, c: InvitationContext, stamp: Date): string {
  const inv = invitation(m, c);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//diemcau//diemcau conference bridge//VI',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${escapeText(`${m.id}@${c.sipDomain}`)}`,
    `DTSTAMP:${icsUtc(stamp)}`,
    `LAST-MODIFIED:${icsUtc(m.updatedAt)}`,
    `DTSTART:${icsUtc(m.startsAt)}`,
    `DTEND:${icsUtc(m.endsAt)}`,
    `SUMMARY:${escapeText(m.title)}`,
    `LOCATION:${escapeText(inv.sipUri)}`,
    `DESCRIPTION:${escapeText(`${inv.text.vi}\n\n${inv.text.en}`)}`,
    ...(inv.joinUrl ? [`URL:${inv.joinUrl}`] : []),
    `STATUS:${m.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED'}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map((l) => `${foldLine(l)}\r\n`).join('');
}

/** `meeting-2001-2026-12-01.ics`: the room and the meeting's local start date. */
export function calendarFilename(m: Pick<InvitationMeeting, 'roomNumber' | 'startsAt'>, timeZone: string): string {
  const p = zonedTime(m.startsAt, timeZone);
  return `meeting-${m.roomNumber}-${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}.ics`;
}

/**
 * A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, every line break as
 * `\n`; other control characters, which TEXT may not carry, are dropped.
 */
export function escapeText(value: string): string {
  return value
    .normalize('NFC')
    .replace(/[\\;,]/g, (ch) => `\\${ch}`)
    .replace(/\r\n|\r|\n/g, '\\n')
    .split('')
    .filter((ch) => ch === '\t' || (ch >= ' ' && ch !== '\u007f'))
    .join('');
}

/**
 * Folds a content line (RFC 5545 §3.1): no line longer than 75 octets, each continuation starting
 * with one space. Folds fall between characters, never inside a UTF-8 sequence, so a reader that
 * unfolds byte-wise and one that unfolds text both get the Vietnamese back intact.
 */
export function foldLine(line: string): string {
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  let limit = 75;
  // An escape (`\,`) stays on one line too: readers that unescape before unfolding still read it.
  for (const [ch] of line.matchAll(/\\.|[\s\S]/gu)) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (octets + size > limit) {
      parts.push(current);
      current = '';
      octets = 0;
      limit = 74; // the leading space counts
    }
    current += ch;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}

/** DATE-TIME in UTC: 20261201T010000Z. */
export function icsUtc(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/* ---------- local times ---------- */

const WEEKDAYS = {
  vi: ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'],
  en: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
};
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** GMT+7, GMT+5:30, GMT−3, GMT. */
function offsetLabel(minutes: number): string {
  if (minutes === 0) return 'GMT';
  const abs = Math.abs(minutes);
  return `GMT${minutes < 0 ? '-' : '+'}${Math.floor(abs / 60)}${abs % 60 ? `:${pad(abs % 60)}` : ''}`;
}

/**
 * "08:00–10:00, Thứ Hai 02/03/2026 (GMT+7)" / "Monday 2 March 2026, 08:00–10:00 (GMT+7)"; a
 * meeting that ends on another local day names both days.
 */
export function when(startsAt: Date, endsAt: Date, timeZone: string, language: 'vi' | 'en'): string {
  const s = zonedTime(startsAt, timeZone);
  const e = zonedTime(endsAt, timeZone);
  const time = (p: ZonedTime) => `${pad(p.hour)}:${pad(p.minute)}`;
  const day = (p: ZonedTime) =>
    language === 'vi'
      ? `${WEEKDAYS.vi[p.weekday]} ${pad(p.day)}/${pad(p.month)}/${p.year}`
      : `${WEEKDAYS.en[p.weekday]} ${p.day} ${MONTHS[p.month - 1]} ${p.year}`;
  const zone = s.offset === e.offset ? `(${offsetLabel(s.offset)})` : `(${offsetLabel(s.offset)} – ${offsetLabel(e.offset)})`;
  const sameDay = s.year === e.year && s.month === e.month && s.day === e.day;
  if (sameDay) return language === 'vi' ? `${time(s)}–${time(e)}, ${day(s)} ${zone}` : `${day(s)}, ${time(s)}–${time(e)} ${zone}`;
  return language === 'vi' ? `${time(s)} ${day(s)} – ${time(e)} ${day(e)} ${zone}` : `${day(s)} ${time(s)} – ${day(e)} ${time(e)} ${zone}`;
}
