import { locale, type Language } from './i18n';

/**
 * Dates and times in the browser's own time zone: a guest joining from elsewhere sees when the
 * meeting opens for them. 24-hour clock in both languages, as Vietnamese documents write it.
 */

export function formatTime(iso: string, lang: Language): string {
  return new Intl.DateTimeFormat(locale(lang), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

export function formatDate(iso: string, lang: Language): string {
  return new Intl.DateTimeFormat(locale(lang), { weekday: 'long', day: 'numeric', month: 'numeric', year: 'numeric' }).format(new Date(iso));
}

/** "08:45" today, "08:45, Thứ Hai, 1/12/2026" on another day. */
export function formatMoment(iso: string, lang: Language, now = new Date()): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? formatTime(iso, lang) : `${formatTime(iso, lang)}, ${formatDate(iso, lang)}`;
}
