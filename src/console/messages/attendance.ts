/** The attendance page's texts: Vietnamese first, English second. */

export const vi = {
  'attendance.open': 'Điểm danh',
  'attendance.summary': '{attended}/{invited} điểm cầu dự họp, {absent} vắng',
  'attendance.csv': 'Tải bảng tính (CSV)',
  'attendance.site': 'Điểm cầu',
  'attendance.attended': 'Dự họp',
  'attendance.first': 'Vào lúc',
  'attendance.last': 'Rời lúc',
  'attendance.minutes': 'Số phút',
  'attendance.reconnects': 'Số lần vào lại',
  'attendance.dials': 'Các lần gọi',
  'attendance.yes': 'Có',
  'attendance.no': 'Vắng',
} as const;

export const en: Record<keyof typeof vi, string> = {
  'attendance.open': 'Attendance',
  'attendance.summary': '{attended}/{invited} sites attended, {absent} absent',
  'attendance.csv': 'Download spreadsheet (CSV)',
  'attendance.site': 'Site',
  'attendance.attended': 'Attended',
  'attendance.first': 'First joined',
  'attendance.last': 'Last left',
  'attendance.minutes': 'Minutes',
  'attendance.reconnects': 'Reconnects',
  'attendance.dials': 'Dial attempts',
  'attendance.yes': 'Yes',
  'attendance.no': 'Absent',
};
