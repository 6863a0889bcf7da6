import assert from 'node:assert/strict';
import { eventProperties, unescapeText, unfold } from '../support/ical';
import { calendarFilename, escapeText, foldLine, icsUtc, invitation, meetingCalendar, when, type InvitationContext } from '../../src/meetings/invitation';

const meeting = {
  id: '6f1c1f8e-0000-4000-8000-000000000001',
  title: 'Giao ban tháng 3: rà soát, "đầu tư"; nông thôn mới\\chuyển đổi số toàn huyện Chư Prông',
  roomNumber: 2001,
  pin: '2468',
  startsAt: new Date('2026-03-02T01:00:00Z'),
  endsAt: new Date('2026-03-02T03:00:00Z'),
  status: 'scheduled' as const,
  updatedAt: new Date('2026-02-20T01:02:03.456Z'),
};
const operator: InvitationContext = {
  sipDomain: 'bridge.test',
  timeZone: 'Asia/Ho_Chi_Minh',
  showPin: true,
  publicUrl: 'https://cau.example.gov.vn',
  h323: true,
};
const viewer: InvitationContext = { ...operator, showPin: false };
const stamp = new Date('2026-03-01T00:00:00Z');

describe('invitation material', () => {
  describe('iCalendar text', () => {
    it('escapes backslash, semicolon, comma and line breaks, and drops other control characters', () => {
      assert.equal(escapeText('a\\b;c,d\r\ne\nf\rg'), 'a\\\\b\\;c\\,d\\ne\\nf\\ng');
      assert.equal(escapeText('tab\there\u0007\u0000\u007f: ok'), 'tab\there: ok');
      assert.equal(escapeText('Xa\u0303 Bo\u031b\u0300 Ngoong'), 'Xã Bờ Ngoong', 'composed (NFC)');
    });

    it('folds at 75 octets, never inside a UTF-8 sequence or an escape, and unfolds back', () => {
      const line = `DESCRIPTION:${escapeText('Thiết bị phòng họp gọi, rồi nhập mã; '.repeat(8))}`;
      const folded = foldLine(line);
      const physical = folded.split('\r\n');
      assert.ok(physical.length > 4);
      for (const [i, l] of physical.entries()) {
        assert.ok(Buffer.byteLength(l) <= 75, `line ${i} has ${Buffer.byteLength(l)} octets`);
        if (i > 0) assert.ok(l.startsWith(' '), 'a continuation starts with a space');
        assert.ok(!/\\$/.test(l.replace(/\\\\/g, '')), 'no line ends inside an escape');
      }
      assert.ok(Buffer.from(folded).toString('utf8') === folded, 'valid UTF-8 throughout');
      assert.equal(unfold(`${folded}\r\n`)[0], line);
      assert.equal(foldLine('SUMMARY:short'), 'SUMMARY:short');
      const exactly75 = `X:${'a'.repeat(73)}`;
      assert.equal(foldLine(exactly75), exactly75);
      assert.equal(foldLine(`${exactly75}b`), `${exactly75}\r\n b`);
    });

    it('writes times in UTC', () => {
      assert.equal(icsUtc(new Date('2026-03-02T01:00:00.999Z')), '20260302T010000Z');
    });
  });

  describe('the calendar file', () => {
    it('is one VEVENT with UID, DTSTAMP, UTC times, SUMMARY, LOCATION, DESCRIPTION and URL that parse back', () => {
      const ics = meetingCalendar(meeting, operator, stamp);
      const lines = unfold(ics);
      assert.deepEqual(lines.slice(0, 2), ['BEGIN:VCALENDAR', 'VERSION:2.0']);
      assert.equal(lines.at(-1), 'END:VCALENDAR');
      assert.ok(lines.some((l) => l.startsWith('PRODID:')));
      const p = eventProperties(ics);
      assert.equal(p.get('UID'), '6f1c1f8e-0000-4000-8000-000000000001@bridge.test');
      assert.equal(p.get('DTSTAMP'), '20260301T000000Z');
      assert.equal(p.get('DTSTART'), '20260302T010000Z');
      assert.equal(p.get('DTEND'), '20260302T030000Z');
      assert.equal(p.get('LAST-MODIFIED'), '20260220T010203Z');
      assert.equal(unescapeText(p.get('SUMMARY')!), meeting.title);
      assert.equal(unescapeText(p.get('LOCATION')!), 'sip:2001@bridge.test');
      assert.equal(p.get('URL'), 'https://cau.example.gov.vn/join/2001');
      assert.equal(p.get('STATUS'), 'CONFIRMED');
      const description = unescapeText(p.get('DESCRIPTION')!);
      const inv = invitation(meeting, operator);
      assert.equal(description, `${inv.text.vi}\n\n${inv.text.en}`);
      assert.match(description, /sip:2001@bridge\.test/);
      assert.match(description, /2001\*2468/);
      assert.match(description, /https:\/\/cau\.example\.gov\.vn\/join\/2001/);
      for (const l of ics.split('\r\n')) assert.ok(Buffer.byteLength(l) <= 75, l);
    });

    it('keeps the PIN out for a viewer, the link out without PUBLIC_URL, and marks a cancelled meeting', () => {
      const p = eventProperties(meetingCalendar({ ...meeting, status: 'cancelled' }, { ...viewer, publicUrl: null, h323: false }, stamp));
      const description = unescapeText(p.get('DESCRIPTION')!);
      assert.doesNotMatch(description, /2468/);
      assert.doesNotMatch(description, /join|H\.323/);
      assert.equal(p.has('URL'), false);
      assert.equal(p.get('STATUS'), 'CANCELLED');
      assert.match(description, /^ĐÃ HỦY — /);
    });

    it('is named by room and local date', () => {
      assert.equal(calendarFilename({ roomNumber: 2001, startsAt: new Date('2026-03-01T18:30:00Z') }, 'Asia/Ho_Chi_Minh'), 'meeting-2001-2026-03-02.ics');
    });
  });

  describe('the text to send', () => {
    it('tells an operator everything: local time, SIP and H.323 dialling, the PIN, the join page', () => {
      const inv = invitation(meeting, operator);
      assert.deepEqual(
        { sipUri: inv.sipUri, dialString: inv.dialString, h323Dial: inv.h323Dial, joinUrl: inv.joinUrl, pin: inv.pin },
        {
          sipUri: 'sip:2001@bridge.test',
          dialString: 'sip:2001*2468@bridge.test',
          h323Dial: '2001*2468',
          joinUrl: 'https://cau.example.gov.vn/join/2001',
          pin: '2468',
        },
      );
      assert.equal(
        inv.text.vi,
        [
          `Mời dự họp trực tuyến: ${meeting.title}`,
          'Thời gian: 08:00–10:00, Thứ Hai 02/03/2026 (GMT+7)',
          'Phòng họp số 2001',
          '- Thiết bị phòng họp (SIP) gọi: sip:2001@bridge.test',
          '- Thiết bị H.323 gọi số: 2001*2468',
          '- Mã PIN: 2468 (gọi kèm PIN: sip:2001*2468@bridge.test)',
          '- Tham gia bằng trình duyệt: https://cau.example.gov.vn/join/2001',
        ].join('\n'),
      );
      assert.equal(
        inv.text.en,
        [
          `Video meeting: ${meeting.title}`,
          'When: Monday 2 March 2026, 08:00–10:00 (GMT+7)',
          'Room 2001',
          '- Room systems (SIP) dial: sip:2001@bridge.test',
          '- H.323 room systems dial: 2001*2468',
          '- PIN: 2468 (with the PIN in the call: sip:2001*2468@bridge.test)',
          '- Join from a browser: https://cau.example.gov.vn/join/2001',
        ].join('\n'),
      );
    });

    it('never shows a viewer the PIN', () => {
      const inv = invitation(meeting, viewer);
      assert.equal(inv.pin, null);
      assert.equal(inv.dialString, 'sip:2001@bridge.test');
      assert.equal(inv.h323Dial, '2001');
      assert.doesNotMatch(`${inv.text.vi}${inv.text.en}`, /2468/);
    });

    it('says nothing of H.323 or the join page when the bridge has neither', () => {
      const inv = invitation({ ...meeting, pin: null }, { ...operator, h323: false, publicUrl: null });
      assert.equal(inv.h323Dial, null);
      assert.equal(inv.joinUrl, null);
      assert.equal(inv.dialString, 'sip:2001@bridge.test', 'no PIN to dial');
      assert.equal(inv.text.en.split('\n').length, 4);
    });

    it('names both days of a meeting that runs past midnight, and other zones\u2019 offsets', () => {
      const s = new Date('2026-03-02T15:00:00Z');
      const e = new Date('2026-03-02T18:00:00Z');
      assert.equal(when(s, e, 'Asia/Ho_Chi_Minh', 'vi'), '22:00 Thứ Hai 02/03/2026 – 01:00 Thứ Ba 03/03/2026 (GMT+7)');
      assert.equal(when(s, e, 'Asia/Ho_Chi_Minh', 'en'), 'Monday 2 March 2026 22:00 – Tuesday 3 March 2026 01:00 (GMT+7)');
      assert.equal(when(s, e, 'Asia/Kolkata', 'en'), 'Monday 2 March 2026, 20:30–23:30 (GMT+5:30)');
      assert.equal(when(s, e, 'UTC', 'vi'), '15:00–18:00, Thứ Hai 02/03/2026 (GMT)');
    });
  });
});
