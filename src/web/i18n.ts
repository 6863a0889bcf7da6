/**
 * Every string the page shows, in Vietnamese and English. Vietnamese is written precomposed (NFC),
 * as the district's documents are. Keys are checked at compile time: `en` must have every key `vi` has.
 */

export type Language = 'vi' | 'en';

const vi = {
  'page.title': 'Tham gia cuộc họp trực tuyến',
  'lang.label': 'Ngôn ngữ',
  'room.label': 'Số phòng',
  'room.find': 'Tìm',
  'room.required': 'Vui lòng nhập số phòng.',
  'room.invalid': 'Số phòng gồm 3 đến 9 chữ số.',
  'name.label': 'Tên hiển thị',
  'name.placeholder': 'Ví dụ: Nguyễn Văn An – UBND xã Ia Pal',
  'name.required': 'Vui lòng nhập tên hiển thị.',
  'name.tooLong': 'Tên dài tối đa 60 ký tự.',
  'pin.label': 'Mã PIN của cuộc họp',
  'pin.required': 'Cuộc họp này cần mã PIN.',
  'mode.label': 'Tham gia với tư cách',
  'mode.guest': 'Khách mời',
  'mode.site': 'Tài khoản điểm cầu',
  'site.hint':
    'Đăng nhập bằng tài khoản điểm cầu: tên đăng nhập và mật khẩu SIP của điểm cầu trong danh bạ. Cuộc họp hiển thị tên điểm cầu; điểm cầu được mời không cần mã PIN.',
  'username.label': 'Tên đăng nhập SIP',
  'username.required': 'Vui lòng nhập tên đăng nhập SIP.',
  'username.invalid': 'Tên đăng nhập gồm chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới (tối đa 64 ký tự).',
  'password.label': 'Mật khẩu SIP',
  'password.required': 'Vui lòng nhập mật khẩu SIP.',
  'mic.label': 'Micrô',
  'cam.label': 'Camera',
  'device.none': 'Không có',
  'device.unnamed.audioinput': 'Micrô {n}',
  'device.unnamed.videoinput': 'Camera {n}',
  'preview.label': 'Hình ảnh của bạn',
  'preview.off': 'Chưa có hình ảnh từ camera',
  'media.asking': 'Đang xin phép dùng micrô và camera…',
  'media.denied': 'Trình duyệt chưa được phép dùng micrô và camera. Hãy cho phép trong thanh địa chỉ rồi bấm “Thử lại”.',
  'media.noDevice': 'Không tìm thấy micrô hoặc camera. Bạn vẫn có thể vào họp để xem và nghe.',
  'media.busy': 'Micrô hoặc camera đang được ứng dụng khác sử dụng. Hãy đóng ứng dụng đó rồi bấm “Thử lại”.',
  'media.insecure': 'Hãy mở trang này qua HTTPS để dùng micrô và camera.',
  'media.failed': 'Không mở được micrô hoặc camera.',
  'media.retry': 'Thử lại',
  'join.button': 'Vào phòng họp',
  'join.joining': 'Đang kết nối…',
  'join.site': 'Đăng nhập và vào họp',
  'join.withoutMedia': 'Bạn sẽ vào họp mà không có micrô và camera.',
  'status.open': 'Đang mở',
  'status.not-open-yet': 'Chưa mở',
  'status.ended': 'Đã kết thúc',
  'status.cancelled': 'Đã hủy',
  'meeting.when': '{date}, {start} – {end}',
  'meeting.opensAt': 'Phòng họp mở lúc {time}',
  'err.wrongPin': 'Mã PIN không đúng.',
  'err.pinRequired': 'Cuộc họp này cần mã PIN.',
  'err.notOpenYet': 'Cuộc họp chưa mở. Bạn có thể vào từ {time}.',
  'err.ended': 'Cuộc họp đã kết thúc.',
  'err.cancelled': 'Cuộc họp đã bị hủy.',
  'err.noMeeting': 'Không có cuộc họp nào được đặt ở phòng {room}.',
  'err.guests': 'Cuộc họp này chỉ dành cho các điểm cầu được mời. Điểm cầu được mời hãy chọn “Tài khoản điểm cầu” để đăng nhập.',
  'err.siteForbidden': 'Không vào được cuộc họp: điểm cầu này không được mời, hoặc tên đăng nhập hay mật khẩu SIP không đúng.',
  'err.siteAuth': 'Hệ thống không chấp nhận thông tin đăng nhập của điểm cầu. Hãy kiểm tra tên đăng nhập và mật khẩu SIP rồi thử lại.',
  'err.tooMany': 'Nhập sai mã PIN quá nhiều lần. Vui lòng thử lại sau {minutes} phút.',
  'err.notConfigured': 'Hệ thống chưa bật chức năng tham gia từ trình duyệt.',
  'err.roomFull': 'Phòng họp đã đầy hoặc đang khóa. Vui lòng thử lại sau.',
  'err.refused': 'Hệ thống từ chối cuộc gọi (mã {code}).',
  'err.busy': 'Hệ thống đang bận. Vui lòng thử lại sau ít phút.',
  'err.network': 'Không kết nối được tới máy chủ. Hãy kiểm tra mạng rồi thử lại.',
  'err.generic': 'Đã xảy ra lỗi. Vui lòng thử lại.',
  'reconnect.lost': 'Mất kết nối. Tự động kết nối lại sau {seconds} giây (lần {attempt}).',
  'reconnect.trying': 'Đang kết nối lại… (lần {attempt})',
  'reconnect.now': 'Kết nối lại ngay',
  'reconnect.cancel': 'Hủy',
  'call.mute': 'Tắt micrô',
  'call.unmute': 'Bật micrô',
  'call.videoOff': 'Tắt camera',
  'call.videoOn': 'Bật camera',
  'call.leave': 'Rời cuộc họp',
  'documents.title': 'Tài liệu cuộc họp',
  'documents.empty': 'Cuộc họp chưa có tài liệu.',
  'documents.added': 'Tài liệu mới: {name}',
  'documents.size': '{kb} KB',
  'call.waiting': 'Đang chờ hình ảnh từ phòng họp…',
  'ended.self': 'Bạn đã rời cuộc họp.',
  'ended.remote': 'Cuộc gọi đã kết thúc.',
  'ended.rejoin': 'Vào lại',
  'footer.sip': 'Thiết bị hội nghị gọi vào: {sipUri}',
} as const;

type Key = keyof typeof vi;

const en: Record<Key, string> = {
  'page.title': 'Join a video meeting',
  'lang.label': 'Language',
  'room.label': 'Room number',
  'room.find': 'Find',
  'room.required': 'Please enter the room number.',
  'room.invalid': 'A room number has 3 to 9 digits.',
  'name.label': 'Your name',
  'name.placeholder': 'e.g. Nguyen Van An – Ia Pal commune',
  'name.required': 'Please enter your name.',
  'name.tooLong': 'At most 60 characters.',
  'pin.label': 'Meeting PIN',
  'pin.required': 'This meeting needs its PIN.',
  'mode.label': 'Join as',
  'mode.guest': 'Guest',
  'mode.site': 'Site account',
  'site.hint': 'Sign in as a site with its SIP username and password from the directory. The meeting shows the site’s name; invited sites need no PIN.',
  'username.label': 'SIP username',
  'username.required': 'Please enter the SIP username.',
  'username.invalid': 'A SIP username has letters, digits, dots, dashes or underscores (at most 64).',
  'password.label': 'SIP password',
  'password.required': 'Please enter the SIP password.',
  'mic.label': 'Microphone',
  'cam.label': 'Camera',
  'device.none': 'None',
  'device.unnamed.audioinput': 'Microphone {n}',
  'device.unnamed.videoinput': 'Camera {n}',
  'preview.label': 'Your camera',
  'preview.off': 'No camera picture yet',
  'media.asking': 'Asking for the microphone and camera…',
  'media.denied': 'The browser may not use your microphone and camera. Allow them in the address bar, then press “Try again”.',
  'media.noDevice': 'No microphone or camera found. You can still join to watch and listen.',
  'media.busy': 'Another application is using the microphone or camera. Close it, then press “Try again”.',
  'media.insecure': 'Open this page over HTTPS to use the microphone and camera.',
  'media.failed': 'The microphone or camera could not be opened.',
  'media.retry': 'Try again',
  'join.button': 'Join meeting',
  'join.joining': 'Connecting…',
  'join.site': 'Sign in and join',
  'join.withoutMedia': 'You will join without microphone and camera.',
  'status.open': 'Open now',
  'status.not-open-yet': 'Not open yet',
  'status.ended': 'Ended',
  'status.cancelled': 'Cancelled',
  'meeting.when': '{date}, {start} – {end}',
  'meeting.opensAt': 'The room opens at {time}',
  'err.wrongPin': 'Wrong PIN.',
  'err.pinRequired': 'This meeting needs its PIN.',
  'err.notOpenYet': 'The meeting is not open yet. You can join from {time}.',
  'err.ended': 'The meeting has ended.',
  'err.cancelled': 'The meeting was cancelled.',
  'err.noMeeting': 'No meeting is booked in room {room}.',
  'err.guests': 'This meeting admits invited room systems only. An invited site can sign in under “Site account”.',
  'err.siteForbidden': 'Not admitted: this site is not invited to the meeting, or the SIP username or password is wrong.',
  'err.siteAuth': 'The bridge did not accept the site’s sign-in. Check the SIP username and password and try again.',
  'err.tooMany': 'Too many wrong PINs. Please try again in {minutes} min.',
  'err.notConfigured': 'Joining from a browser is not enabled on this bridge.',
  'err.roomFull': 'The meeting room is full or locked. Please try again later.',
  'err.refused': 'The bridge refused the call (code {code}).',
  'err.busy': 'The bridge is busy. Please try again in a few minutes.',
  'err.network': 'Cannot reach the server. Check the network and try again.',
  'err.generic': 'Something went wrong. Please try again.',
  'reconnect.lost': 'Connection lost. Reconnecting in {seconds} s (attempt {attempt}).',
  'reconnect.trying': 'Reconnecting… (attempt {attempt})',
  'reconnect.now': 'Reconnect now',
  'reconnect.cancel': 'Cancel',
  'call.mute': 'Mute',
  'call.unmute': 'Unmute',
  'call.videoOff': 'Stop video',
  'call.videoOn': 'Start video',
  'call.leave': 'Leave',
  'documents.title': 'Meeting documents',
  'documents.empty': 'The meeting has no documents yet.',
  'documents.added': 'New document: {name}',
  'documents.size': '{kb} KB',
  'call.waiting': 'Waiting for the meeting picture…',
  'ended.self': 'You left the meeting.',
  'ended.remote': 'The call has ended.',
  'ended.rejoin': 'Join again',
  'footer.sip': 'Room systems dial {sipUri}',
};

export type MessageKey = Key;
export type Params = Record<string, string | number>;

const dictionaries: Record<Language, Record<Key, string>> = { vi, en };

export function translate(lang: Language, key: MessageKey, params: Params = {}): string {
  return dictionaries[lang][key].replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

export function isMessageKey(key: string): key is MessageKey {
  return key in vi;
}

/**
 * `?lang=` first (links in invitations can pin it), then the user's earlier choice, then the
 * browser's language (`navigator.language`): Vietnamese for `vi*`, English for anything else.
 */
export function pickLanguage(search: string, stored: string | null, browser: string | undefined): Language {
  const asked = new URLSearchParams(search).get('lang');
  if (asked === 'vi' || asked === 'en') return asked;
  if (stored === 'vi' || stored === 'en') return stored;
  if (!browser) return 'vi';
  return browser.toLowerCase().startsWith('vi') ? 'vi' : 'en';
}

/** BCP 47 tag used to format dates and times in the chosen language. */
export function locale(lang: Language): string {
  return lang === 'vi' ? 'vi-VN' : 'en-GB';
}
