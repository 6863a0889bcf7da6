/**
 * Vietnamese first, English second: every text the console shows, by key. Each page keeps its texts
 * in `messages/<page>.ts`; this joins them, and the compiler checks both languages have every key.
 */

import * as admin from './messages/admin';
import * as attendance from './messages/attendance';
import * as booking from './messages/booking';
import * as common from './messages/common';
import * as live from './messages/live';
import * as meetingDetail from './messages/meeting-detail';
import * as meetings from './messages/meetings';
import * as sites from './messages/sites';
import * as today from './messages/today';

export type Language = 'vi' | 'en';

const vi = { ...common.vi, ...today.vi, ...meetings.vi, ...booking.vi, ...meetingDetail.vi, ...attendance.vi, ...live.vi, ...admin.vi, ...sites.vi };

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  ...common.en,
  ...today.en,
  ...meetings.en,
  ...booking.en,
  ...meetingDetail.en,
  ...attendance.en,
  ...live.en,
  ...admin.en,
  ...sites.en,
};

const messages: Record<Language, Record<MessageKey, string>> = { vi, en };

/** For texts keyed by what the server sends (layout names): whether the console has words for it. */
export function isMessageKey(key: string): key is MessageKey {
  return key in vi;
}

export function translate(lang: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** What a page says when the API refused or could not be reached (a 401 is the caller's to handle: sign-in again). */
export function errorText(lang: Language, err: { status: number; title: string; detail: string }): string {
  return err.status === 0 ? translate(lang, 'error.network') : translate(lang, 'error.generic', { detail: err.detail || err.title });
}

/** Local date and time as a district office reads them. */
export function formatWhen(iso: string, lang: Language): string {
  return new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
