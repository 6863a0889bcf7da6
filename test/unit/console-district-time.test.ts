import assert from 'node:assert/strict';
import { addDays, instantOf, spanText, zonedFields } from '../../src/console/district-time';

describe("console: times in the district's zone, whatever the browser's", () => {
  it("turns a date and time typed in the district's zone into the instant, and back", () => {
    assert.equal(instantOf('2026-12-08', '09:00', 'Asia/Ho_Chi_Minh').toISOString(), '2026-12-08T02:00:00.000Z');
    assert.equal(instantOf('2026-12-08', '00:00', 'Asia/Ho_Chi_Minh').toISOString(), '2026-12-07T17:00:00.000Z');
    assert.deepEqual(zonedFields('2026-12-07T17:00:00.000Z', 'Asia/Ho_Chi_Minh'), { date: '2026-12-08', time: '00:00' });
  });

  it('takes the offset in force on the day, on both sides of a daylight-saving change', () => {
    assert.equal(instantOf('2026-03-28', '12:00', 'Europe/Berlin').toISOString(), '2026-03-28T11:00:00.000Z');
    assert.equal(instantOf('2026-03-29', '12:00', 'Europe/Berlin').toISOString(), '2026-03-29T10:00:00.000Z');
    for (const iso of ['2026-03-29T00:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-10-25T12:00:00.000Z']) {
      const { date, time } = zonedFields(iso, 'Europe/Berlin');
      assert.equal(instantOf(date, time, 'Europe/Berlin').toISOString(), iso, `${iso} → ${date} ${time} → back`);
    }
  });

  it('moves dates across months and years, and names both days of a meeting through midnight', () => {
    assert.equal(addDays('2026-12-31', 1), '2027-01-01');
    assert.equal(addDays('2026-03-01', -1), '2026-02-28');
    assert.equal(spanText('2026-12-08T02:00:00Z', '2026-12-08T03:30:00Z', 'Asia/Ho_Chi_Minh', 'en'), '09:00–10:30, Tuesday, 08/12/2026');
    assert.match(spanText('2026-12-08T15:00:00Z', '2026-12-08T18:00:00Z', 'Asia/Ho_Chi_Minh', 'vi'), /^22:00–01:00 .*9\/12\/2026, .*8\/12\/2026$/);
  });
});
