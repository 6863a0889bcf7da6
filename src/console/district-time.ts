import { pad, zonedTime } from '../time-zone';
import type { Language } from './i18n';

/**
 * Meeting times as the district's clocks show them (the session's `timeZone`, the server's
 * TIME_ZONE), whatever zone the browser happens to be set to: a booking typed as 08:00 is 08:00 in
 * the district, and the week runs Monday to Sunday there.
 */

/** `YYYY-MM-DD` and `HH:MM` of an instant in `zone`: the values of a date and a time input. */
export function zonedFields(instant: Date | string, zone: string): { date: string; time: string } {
  const z = zonedTime(new Date(instant), zone);
  return { date: `${pad(z.year, 4)}-${pad(z.month)}-${pad(z.day)}`, time: `${pad(z.hour)}:${pad(z.minute)}` };
}

/**
 * The instant at which `zone`'s clocks show `date` `time`. The offset is looked up twice, so that a
 * time next to a daylight-saving change lands on the side its offset belongs to.
 */
export function instantOf(date: string, time: string, zone: string): Date {
  const [y = 0, m = 1, d = 1] = date.split('-').map(Number);
  const [h = 0, min = 0] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, h, min);
  const first = wall - zonedTime(new Date(wall), zone).offset * 60_000;
  return new Date(wall - zonedTime(new Date(first), zone).offset * 60_000);
}

/** `date` (YYYY-MM-DD) moved by `days`. */
export function addDays(date: string, days: number): string {
  const [y = 0, m = 1, d = 1] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The Monday (YYYY-MM-DD) of the district's week `offset` weeks from this one. */
export function mondayOf(offset: number, zone: string): string {
  const today = zonedFields(new Date(), zone).date;
  const weekday = new Date(`${today}T00:00:00Z`).getUTCDay();
  return addDays(today, -((weekday + 6) % 7) + offset * 7);
}

const locale = (lang: Language) => (lang === 'vi' ? 'vi-VN' : 'en-GB');

/** "Thứ Hai, 7/12" for a day heading; `date` is YYYY-MM-DD. */
export function dayName(date: string, lang: Language): string {
  return new Intl.DateTimeFormat(locale(lang), { weekday: 'long', day: 'numeric', month: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

/** "GMT+7": how far the zone's clocks are from UTC at that instant. */
export function offsetName(instant: Date | string, zone: string, lang: Language): string {
  const parts = new Intl.DateTimeFormat(locale(lang), { timeZone: zone, timeZoneName: 'shortOffset' }).formatToParts(new Date(instant));
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? zone;
}

/** "08:00–10:00, Thứ Hai 7/12/2026": a meeting's span in the district's time (the end's date too when it differs). */
export function spanText(startsAt: string, endsAt: string, zone: string, lang: Language): string {
  const day = new Intl.DateTimeFormat(locale(lang), { weekday: 'long', day: 'numeric', month: 'numeric', year: 'numeric', timeZone: zone });
  const s = zonedFields(startsAt, zone);
  const e = zonedFields(endsAt, zone);
  const end = e.date === s.date ? e.time : `${e.time} ${day.format(new Date(endsAt))}`;
  return `${s.time}–${end}, ${day.format(new Date(startsAt))}`;
}
