/**
 * A moment as the clocks of a time zone (the district's TIME_ZONE) show it: the one place that asks
 * Intl for zoned fields, for the attendance CSV, invitations and the refusal texts alike.
 */

export interface ZonedTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Minutes east of UTC. */
  offset: number;
}

export const pad = (v: number, width = 2): string => String(v).padStart(width, '0');

/** `d` in `timeZone`, to the second (milliseconds dropped). */
export function zonedTime(d: Date, timeZone: string): ZonedTime {
  const t = Math.floor(d.getTime() / 1000) * 1000;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(t);
  const n = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return {
    year: n('year'),
    month: n('month'),
    day: n('day'),
    hour: n('hour'),
    minute: n('minute'),
    second: n('second'),
    weekday: new Date(Date.UTC(n('year'), n('month') - 1, n('day'))).getUTCDay(),
    offset: Math.round((local - t) / 60_000),
  };
}

/** ISO 8601 in the zone, to the second, with its offset: 2026-12-01T08:00:00+07:00. */
export function localIso(d: Date, timeZone: string): string {
  const z = zonedTime(d, timeZone);
  const zone = `${z.offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(z.offset) / 60))}:${pad(Math.abs(z.offset) % 60)}`;
  return `${pad(z.year, 4)}-${pad(z.month)}-${pad(z.day)}T${pad(z.hour)}:${pad(z.minute)}:${pad(z.second)}${zone}`;
}
