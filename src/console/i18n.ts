/** Vietnamese first, English second: every text the console shows, by key. */

export type Language = 'vi' | 'en';

const vi = {
  'app.title': 'Điểm Cầu — Điều hành',
  'signin.heading': 'Đăng nhập',
  'signin.username': 'Tên đăng nhập',
  'signin.password': 'Mật khẩu',
  'signin.submit': 'Đăng nhập',
  'signin.failed': 'Tên đăng nhập hoặc mật khẩu không đúng.',
  'signin.throttled': 'Đăng nhập sai quá nhiều lần. Thử lại sau {seconds} giây.',
  signout: 'Đăng xuất',
  'nav.today': 'Hôm nay',
  'today.live': 'Đang họp',
  'today.coming': 'Sắp diễn ra',
  'today.none.live': 'Không có cuộc họp nào đang diễn ra.',
  'today.none.coming': 'Không có cuộc họp nào trong 7 ngày tới.',
  'meeting.room': 'Phòng {room}',
  'meeting.sites': '{count} điểm cầu',
  'error.network': 'Không kết nối được với máy chủ.',
  'error.generic': 'Có lỗi: {detail}',
  loading: 'Đang tải…',
  'lang.switch': 'English',
} as const;

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  'app.title': 'Điểm Cầu — Operations',
  'signin.heading': 'Sign in',
  'signin.username': 'Username',
  'signin.password': 'Password',
  'signin.submit': 'Sign in',
  'signin.failed': 'Wrong username or password.',
  'signin.throttled': 'Too many failed sign-ins. Try again in {seconds} s.',
  signout: 'Sign out',
  'nav.today': 'Today',
  'today.live': 'Live now',
  'today.coming': 'Coming up',
  'today.none.live': 'No meeting is live.',
  'today.none.coming': 'No meeting in the next 7 days.',
  'meeting.room': 'Room {room}',
  'meeting.sites': '{count} sites',
  'error.network': 'The server cannot be reached.',
  'error.generic': 'Error: {detail}',
  loading: 'Loading…',
  'lang.switch': 'Tiếng Việt',
};

const messages: Record<Language, Record<MessageKey, string>> = { vi, en };

export function translate(lang: Language, key: MessageKey, params: Record<string, string | number> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

/** Local date and time as a district office reads them. */
export function formatWhen(iso: string, lang: Language): string {
  return new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}
