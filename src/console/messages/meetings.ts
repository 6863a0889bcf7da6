/** The meetings page's texts: Vietnamese first, English second. */

export const vi = {
  'week.previous': '← Tuần trước',
  'week.next': 'Tuần sau →',
  'week.of': 'Tuần {from} – {to}',
  'week.free': 'Không có cuộc họp.',
} as const;

export const en: Record<keyof typeof vi, string> = {
  'week.previous': '← Previous week',
  'week.next': 'Next week →',
  'week.of': 'Week of {from} – {to}',
  'week.free': 'No meeting.',
};
