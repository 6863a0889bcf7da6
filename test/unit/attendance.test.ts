import assert from 'node:assert/strict';
import { attendanceWindow, computeAttendance, guestKey, presence, type Interval, type MeetingTimes } from '../../src/meetings/attendance';
import { presumedLeftAt, STALE_AFTER_MS } from '../../src/meetings/attendance-report';
import { localIso } from '../../src/time-zone';

// All times are minutes after 08:00 Hà Nội (01:00Z) on the meeting day.
const T0 = Date.parse('2026-12-01T01:00:00Z');
const t = (min: number) => new Date(T0 + min * 60_000);
const call = (from: number, to: number | null): Interval => ({ joinedAt: t(from), leftAt: to === null ? null : t(to) });

/** Booked 08:00–10:00, went live at 07:55, ended at 10:05. */
const ended: MeetingTimes = { startsAt: t(0), endsAt: t(120), status: 'ended', wentLiveAt: t(-5), endedAt: t(125) };
const live: MeetingTimes = { startsAt: t(0), endsAt: t(120), status: 'live', wentLiveAt: t(0), endedAt: null };
const window = { from: t(0), to: t(120) };
const later = t(500); // a `now` well after the window closed

describe('attendance maths', () => {
  describe('the window', () => {
    it('is the actual span (went live → ended) once both are known', () => {
      assert.deepEqual(attendanceWindow(ended, later), { from: t(-5), to: t(125) });
    });
    it('falls back to the booked start, and runs to now while the meeting is not over', () => {
      assert.deepEqual(attendanceWindow({ ...live, wentLiveAt: null }, t(30)), { from: t(0), to: t(30) });
      assert.deepEqual(
        attendanceWindow({ ...live, wentLiveAt: t(3) }, t(30)),
        { from: t(0), to: t(30) },
        'live late (a restart) still counts from the booked start',
      );
      assert.deepEqual(attendanceWindow({ ...live, status: 'live' }, t(150)), { from: t(0), to: t(150) }, 'a live meeting running late');
    });
    it('closes at the booked end for a meeting over without an end time', () => {
      assert.deepEqual(attendanceWindow({ ...ended, wentLiveAt: null, endedAt: null }, later), { from: t(0), to: t(120) });
      assert.deepEqual(attendanceWindow({ ...ended, status: 'cancelled', wentLiveAt: null, endedAt: null }, later), { from: t(0), to: t(120) });
    });
    it('is empty (not negative) before a meeting starts', () => {
      assert.deepEqual(attendanceWindow({ ...live, status: 'scheduled', wentLiveAt: null }, t(-30)), { from: t(0), to: t(0) });
    });
  });

  describe('one attendee', () => {
    it('with no participation has not attended', () => {
      const p = presence([], window, later);
      assert.deepEqual(p, {
        attended: false,
        firstJoinedAt: null,
        lastLeftAt: null,
        connectedNow: false,
        connectedMs: 0,
        connectedSeconds: 0,
        connectedMinutes: 0,
        reconnects: 0,
        spans: [],
      });
    });

    it('counts overlapping calls once (two room systems of one site, or a call before the old one dropped)', () => {
      const p = presence([call(10, 40), call(30, 60), call(35, 50)], window, later);
      assert.equal(p.connectedMs, 50 * 60_000);
      assert.equal(p.connectedSeconds, 3000);
      assert.equal(p.connectedMinutes, 50);
      assert.equal(p.reconnects, 0);
      assert.deepEqual(p.firstJoinedAt, t(10));
      assert.deepEqual(p.lastLeftAt, t(60));
    });

    it('merges back-to-back (touching) calls into one span: a hand-over is not a reconnect', () => {
      const p = presence([call(40, 60), call(10, 40)], window, later);
      assert.equal(p.spans.length, 1);
      assert.equal(p.reconnects, 0);
      assert.equal(p.connectedSeconds, 50 * 60);
    });

    it('counts a reconnect for each return after a gap, however short', () => {
      const back = { joinedAt: new Date(t(20).getTime() + 60), leftAt: t(30) }; // gone for 60 ms
      const p = presence([call(10, 20), back, call(50, 60), call(55, 70)], window, later);
      assert.equal(p.reconnects, 2);
      assert.equal(p.connectedMs, 2_399_940);
      assert.equal(p.connectedSeconds, 2400, '2399.94 s rounds to 2400');
      assert.equal(p.connectedMinutes, 40);
    });

    it('clips calls that started early or ran late to the window', () => {
      const p = presence([call(-15, 10), call(100, 140)], window, later);
      assert.deepEqual(p.firstJoinedAt, t(0));
      assert.deepEqual(p.lastLeftAt, t(120));
      assert.equal(p.connectedSeconds, 30 * 60);
      assert.equal(p.reconnects, 1);
    });

    it('ignores calls wholly outside the window and zero-length calls', () => {
      const p = presence([call(-30, -10), call(130, 140), call(50, 50), call(0, 0), call(-5, 0), call(120, 125)], window, later);
      assert.equal(p.attended, false);
      assert.equal(p.reconnects, 0);
      assert.equal(p.firstJoinedAt, null);
      const between = presence([call(10, 20), call(25, 25), call(30, 40)], window, later);
      assert.equal(between.reconnects, 1, 'a zero-length call between two spans is not a span of its own');
      assert.equal(between.connectedSeconds, 20 * 60);
    });

    it('counts an open call up to now and reports it still connected', () => {
      const now = t(45);
      const w = attendanceWindow(live, now);
      const p = presence([call(5, 15), call(20, null), call(25, 30)], w, now);
      assert.equal(p.connectedSeconds, (10 + 25) * 60);
      assert.equal(p.reconnects, 1);
      assert.equal(p.connectedNow, true);
      assert.equal(p.lastLeftAt, null);
      assert.deepEqual(p.spans.at(-1), { from: t(20), to: t(45), open: true });
      const then = t(45.5);
      assert.equal(presence([call(20, null)], attendanceWindow(live, then), then).connectedSeconds, 25.5 * 60, 'the clock moves the total');
    });

    it('closes an open call at the window end once the meeting is over', () => {
      const p = presence([call(100, null)], attendanceWindow(ended, later), later);
      assert.equal(p.connectedNow, false);
      assert.deepEqual(p.lastLeftAt, t(125));
      assert.equal(p.connectedSeconds, 25 * 60);
    });

    it('rounds minutes to one decimal from the exact time', () => {
      const p = presence([{ joinedAt: t(0), leftAt: new Date(T0 + 754_999) }], window, later);
      assert.equal(p.connectedSeconds, 755);
      assert.equal(p.connectedMinutes, 12.6); // 12.583… min
      assert.equal(presence([{ joinedAt: t(0), leftAt: new Date(T0 + 2_999) }], window, later).connectedMinutes, 0);
    });
  });

  describe('a meeting', () => {
    it('groups calls by site, and guests by the name they gave', () => {
      const a = computeAttendance(
        ended,
        [
          { siteId: 's1', displayName: 'Xã Ia Pal', ...call(0, 30) },
          { siteId: 's1', displayName: 'Xã Ia Pal (2)', ...call(20, 60) },
          { siteId: 's2', displayName: 'Xã Dun', ...call(200, 210) },
          { siteId: null, displayName: 'Nguyễn Văn An', ...call(10, 20) },
          { siteId: null, displayName: ' Nguye\u0302\u0303n  Văn An', ...call(30, 40) },
          { siteId: null, displayName: 'Trần Thị Bình', ...call(10, 15) },
        ],
        later,
      );
      assert.equal(a.sites.get('s1')!.connectedSeconds, 60 * 60);
      assert.equal(a.sites.get('s2')!.attended, false, 'outside the window');
      assert.deepEqual(
        a.guests.map((g) => [g.name, g.presence.connectedSeconds, g.presence.reconnects]),
        [
          ['Nguyễn Văn An', 1200, 1],
          ['Trần Thị Bình', 300, 0],
        ],
      );
      assert.equal(guestKey('Nguye\u0302\u0303n'), 'Nguyễn');
    });
  });

  describe('rows left open by a process that died', () => {
    const row = { joinedAt: t(0), lastSeenAt: t(10), leftAt: null };
    it('are still connected while their heartbeat is fresh', () => {
      assert.equal(presumedLeftAt(row, new Date(t(10).getTime() + STALE_AFTER_MS)), null);
    });
    it('ended at their last heartbeat once it is stale, as the next start will record', () => {
      assert.deepEqual(presumedLeftAt(row, new Date(t(10).getTime() + STALE_AFTER_MS + 1)), t(10));
      assert.deepEqual(presumedLeftAt({ ...row, leftAt: t(5) }, later), t(5));
    });
  });

  describe('local ISO times', () => {
    it('carry the zone offset, to the second', () => {
      assert.equal(localIso(new Date('2026-12-01T01:02:03.999Z'), 'Asia/Ho_Chi_Minh'), '2026-12-01T08:02:03+07:00');
      assert.equal(localIso(new Date('2026-11-30T23:30:00Z'), 'Asia/Ho_Chi_Minh'), '2026-12-01T06:30:00+07:00');
      assert.equal(localIso(new Date('2026-07-01T12:00:00Z'), 'America/St_Johns'), '2026-07-01T09:30:00-02:30');
      assert.equal(localIso(new Date('2026-12-01T00:00:00Z'), 'UTC'), '2026-12-01T00:00:00+00:00');
    });
  });
});
