/** The today page's texts: Vietnamese first, English second. */

export const vi = {
  'today.live': 'Đang họp',
  'today.coming': 'Sắp diễn ra',
  'today.problems': 'Cần xử lý',
  'today.sites': 'Các điểm cầu',
  'today.siteCounts': '{registered} đã đăng ký · {inCall} đang họp · {unreachable} không liên lạc được khi kiểm tra · {enabled} đang dùng',
  'today.joined': '{joined}/{invited} điểm cầu đã vào',
  'problem.down': 'Máy chủ {dependency} không hoạt động',
  'problem.missing': '{title}: chưa vào — {sites}',
  'problem.dialFailures': '{site}: {attempts} lần gọi gần nhất đều hỏng ({outcome})',
  'today.none.live': 'Không có cuộc họp nào đang diễn ra.',
  'today.none.coming': 'Không có cuộc họp nào trong 24 giờ tới.',
} as const;

export const en: Record<keyof typeof vi, string> = {
  'today.live': 'Live now',
  'today.coming': 'Coming up',
  'today.problems': 'Needs attention',
  'today.sites': 'Sites',
  'today.siteCounts': '{registered} registered · {inCall} in a call · {unreachable} unreachable at the last check · {enabled} in use',
  'today.joined': '{joined}/{invited} sites in',
  'problem.down': '{dependency} is down',
  'problem.missing': '{title}: not in yet — {sites}',
  'problem.dialFailures': '{site}: the last {attempts} dial-outs all failed ({outcome})',
  'today.none.live': 'No meeting is live.',
  'today.none.coming': 'No meeting in the next 24 hours.',
};
