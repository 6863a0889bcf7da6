/** The meetings page's texts (week and list): Vietnamese first, English second. */

export const vi = {
  'week.previous': '← Tuần trước',
  'week.next': 'Tuần sau →',
  'week.of': 'Tuần {from} – {to}',
  'week.free': 'Không có cuộc họp.',
  'meetings.views': 'Cách xem lịch họp',
  'meetings.week': 'Theo tuần',
  'meetings.list': 'Danh sách',
  'meetings.zone': 'Giờ địa phương: {zone} ({offset})',
  'meetings.book': 'Đặt lịch họp',
  'meetings.upcoming': 'Các cuộc họp sắp tới',
  'meetings.none': 'Chưa có cuộc họp nào sắp tới.',
  'meetings.more': 'Đang hiện {shown} cuộc họp đầu tiên trong {total}; xem theo tuần để thấy các cuộc họp sau.',
} as const;

export const en: Record<keyof typeof vi, string> = {
  'week.previous': '← Previous week',
  'week.next': 'Next week →',
  'week.of': 'Week of {from} – {to}',
  'week.free': 'No meeting.',
  'meetings.views': 'How to show the meetings',
  'meetings.week': 'Week',
  'meetings.list': 'List',
  'meetings.zone': 'Local time: {zone} ({offset})',
  'meetings.book': 'Book a meeting',
  'meetings.upcoming': 'Upcoming meetings',
  'meetings.none': 'No upcoming meeting.',
  'meetings.more': 'The first {shown} of {total} meetings; the week view shows the later ones.',
};
