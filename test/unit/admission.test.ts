import assert from 'node:assert/strict';
import { decideAdmission, pinMatches, refusalText, roomStatus, type AdmissionPolicy } from '../../src/calls/admission';
import type { RoomBookings } from '../../src/meetings/room-bookings';
import { parseDialledRoom } from '../../src/calls/dialled-room';
import { isScanner } from '../../src/calls/scanners';
import type { Meeting } from '../../src/meetings/meeting.entity';

const now = new Date('2026-12-01T01:00:00Z'); // 08:00 in Hà Nội
const policy: AdmissionPolicy = { openBeforeMs: 10 * 60_000, capacity: 3, timeZone: 'Asia/Ho_Chi_Minh' };
const open = { locked: false, participants: 0 };

function meeting(over: Partial<Meeting> = {}): Meeting {
  return {
    id: 'm1',
    title: 'Giao ban',
    roomNumber: 2001,
    pin: '1234',
    startsAt: new Date('2026-12-01T01:00:00Z'),
    endsAt: new Date('2026-12-01T03:00:00Z'),
    chairSiteId: 'chair',
    dialOut: false,
    allowGuests: true,
    mode: 'discussion',
    language: 'vi',
    record: false,
    contentPolicy: 'take-over',
    status: 'scheduled',
    wentLiveAt: null,
    endedAt: null,
    readinessSweptAt: null,
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}
const current = (m: Meeting, invited: string[] = ['chair', 'ia-pal']): RoomBookings => ({
  current: { meeting: m, invited: new Set(invited) },
  next: null,
  previous: null,
});

describe('admission rules', () => {
  it('parses the dialled room and inline PIN', () => {
    assert.deepEqual(parseDialledRoom('2001'), { room: 2001, pin: null });
    assert.deepEqual(parseDialledRoom('2001*1234'), { room: 2001, pin: '1234' });
    assert.deepEqual(parseDialledRoom('2001#1234'), { room: 2001, pin: '1234' });
    assert.equal(parseDialledRoom('conference'), undefined);
    assert.equal(parseDialledRoom('20'), undefined);
    // Escapes are undone once, by uri-user.ts, before this: here '%23' is three characters.
    assert.equal(parseDialledRoom('2001%231234'), undefined);
  });

  it('recognises scanners', () => {
    assert.ok(isScanner('friendly-scanner'));
    assert.ok(isScanner('sipvicious 0.3'));
    assert.ok(!isScanner('Poly/HDX 7000 HD'));
    assert.ok(!isScanner(undefined));
  });

  it('answers 404 for a room never booked, 480 for one not open or over', () => {
    const none = decideAdmission(now, { pin: null }, { current: null, next: null, previous: null }, { siteId: null }, open, policy);
    assert.deepEqual([none.kind, 'status' in none && none.status], ['reject', 404]);
    const later = decideAdmission(
      now,
      { pin: null },
      { current: null, next: meeting({ startsAt: new Date('2026-12-01T02:00:00Z') }), previous: null },
      { siteId: null },
      open,
      policy,
    );
    assert.equal(later.kind === 'reject' && later.status, 480);
    assert.match(later.kind === 'reject' ? later.why : '', /opens at 08:50 01\/12\/2026/);
    const over = decideAdmission(now, { pin: null }, { current: null, next: null, previous: meeting({ status: 'cancelled' }) }, { siteId: null }, open, policy);
    assert.equal(over.kind === 'reject' && over.phrase, 'Meeting Cancelled');
  });

  it('lets invited sites in without a PIN and makes the chair moderator', () => {
    const chair = decideAdmission(now, { pin: null }, current(meeting({ mode: 'lecture' })), { siteId: 'chair' }, open, policy);
    assert.deepEqual(chair, { kind: 'admit', meetingId: 'm1', moderator: true, muted: false, pin: 'none' });
    const site = decideAdmission(now, { pin: null }, current(meeting({ mode: 'lecture' })), { siteId: 'ia-pal' }, open, policy);
    assert.deepEqual(site, { kind: 'admit', meetingId: 'm1', moderator: false, muted: true, pin: 'none' });
  });

  it('asks guests for the PIN, checks an inline one, and keeps guests out when not allowed', () => {
    const collect = decideAdmission(now, { pin: null }, current(meeting()), { siteId: null }, open, policy);
    assert.equal(collect.kind === 'admit' && collect.pin, 'collect');
    const ok = decideAdmission(now, { pin: '1234' }, current(meeting()), { siteId: null }, open, policy);
    assert.equal(ok.kind === 'admit' && ok.pin, 'ok');
    const wrong = decideAdmission(now, { pin: '9999' }, current(meeting()), { siteId: null }, open, policy);
    assert.equal(wrong.kind === 'reject' && wrong.status, 403);
    const noGuests = decideAdmission(now, { pin: '1234' }, current(meeting({ allowGuests: false })), { siteId: 'other-site' }, open, policy);
    assert.equal(noGuests.kind === 'reject' && noGuests.status, 403);
    const noPin = decideAdmission(now, { pin: null }, current(meeting({ pin: null })), { siteId: null }, open, policy);
    assert.equal(noPin.kind === 'admit' && noPin.pin, 'none');
  });

  it('lets a browser guest with a join token in without asking the PIN again, within capacity', () => {
    const tokenGuest = decideAdmission(now, { pin: null }, current(meeting()), { siteId: null, joinToken: true }, open, policy);
    assert.deepEqual(tokenGuest, { kind: 'admit', meetingId: 'm1', moderator: false, muted: false, pin: 'ok' });
    const closed = decideAdmission(now, { pin: null }, current(meeting({ allowGuests: false })), { siteId: null, joinToken: true }, open, policy);
    assert.equal(closed.kind === 'reject' && closed.status, 403);
    const full = decideAdmission(now, { pin: null }, current(meeting()), { siteId: null, joinToken: true }, { locked: false, participants: 3 }, policy);
    assert.equal(full.kind === 'reject' && full.status, 486);
  });

  it('answers 486 when the room is locked or full', () => {
    const locked = decideAdmission(now, { pin: null }, current(meeting()), { siteId: 'ia-pal' }, { locked: true, participants: 0 }, policy);
    assert.equal(locked.kind === 'reject' && locked.status, 486);
    const full = decideAdmission(now, { pin: null }, current(meeting()), { siteId: 'ia-pal' }, { locked: false, participants: 3 }, policy);
    assert.equal(full.kind === 'reject' && full.why, 'the meeting room is full');
  });

  it('tells the join page and a dialling room system the same: the open meeting, else the nearer of the next and the last', () => {
    const next = meeting({ id: 'next', startsAt: new Date('2026-12-01T05:00:00Z'), endsAt: new Date('2026-12-01T06:00:00Z') });
    const past = (over: Partial<Meeting>) =>
      meeting({ id: 'past', startsAt: new Date('2026-11-30T23:00:00Z'), endsAt: new Date('2026-12-01T00:30:00Z'), ...over });
    assert.deepEqual(roomStatus(current(meeting()), now, policy.openBeforeMs), {
      meeting: meeting(),
      status: 'open',
      opensAt: new Date('2026-12-01T00:50:00Z'),
    });
    assert.equal(roomStatus({ current: null, next, previous: past({}) }, now, policy.openBeforeMs)?.status, 'ended');
    assert.equal(roomStatus({ current: null, next, previous: past({ status: 'cancelled' }) }, now, policy.openBeforeMs)?.status, 'cancelled');
    assert.equal(
      roomStatus({ current: null, next, previous: past({ endsAt: new Date('2026-11-30T20:00:00Z') }) }, now, policy.openBeforeMs)?.status,
      'not-open-yet',
    );
    assert.equal(roomStatus({ current: null, next: null, previous: null }, now, policy.openBeforeMs), null);
    const refused = decideAdmission(now, { pin: null }, { current: null, next, previous: null }, { siteId: null }, open, policy);
    assert.equal(refused.kind === 'reject' && refused.why, refusalText.notOpenYet(next, '11:50 01/12/2026 (Asia/Ho_Chi_Minh)'));
  });

  it('compares PINs whole, not by prefix or length', () => {
    assert.ok(pinMatches('1234', '1234'));
    assert.ok(!pinMatches('123', '1234'));
    assert.ok(!pinMatches('12345', '1234'));
    assert.ok(!pinMatches('', '1234'));
  });
});
