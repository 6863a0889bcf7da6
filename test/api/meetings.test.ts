import assert from 'node:assert/strict';
import { meetingConflictOut } from '../../src/api/meetings/meeting.presenter';
import { TestApi } from '../support/api';
import { truncateBookings } from '../support/db';
import { QueryCounter } from '../support/query-counter';

const hour = 3600_000;
const at = (offsetHours: number) => new Date(Math.ceil(Date.now() / hour) * hour + offsetHours * hour).toISOString();

describe('API: meetings', () => {
  let api: TestApi;
  before(async () => {
    api = await TestApi.start();
  });
  after(async () => api.close());
  beforeEach(async () => {
    await truncateBookings(api.ds);
    const csv = ['code,name', 'chu-se,Thị trấn Chư Sê', 'ia-pal,Xã Ia Pal', 'ia-ko,Xã Ia Ko', 'dun,Xã Dun'].join('\n');
    assert.equal((await api.request('POST', '/api/v1/sites/import', { body: csv, contentType: 'text/csv' })).status, 200);
  });

  const book = (json: Record<string, unknown>, key = api.tokens.operator) =>
    api.request('POST', '/api/v1/meetings', { key, json: { title: 'Giao ban tuần', startsAt: at(1), endsAt: at(3), ...json } });

  it('books a meeting with sites, chair, PIN, and shows the PIN only to operators', async () => {
    const res = await book({ roomNumber: 2001, pin: '1234', invitedSites: ['ia-pal', 'ia-ko'], chairSite: 'chu-se', allowGuests: true });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.sipUri, 'sip:2001@bridge.test');
    assert.equal(res.body.pin, '1234');
    assert.equal(res.body.status, 'scheduled');
    assert.equal(res.body.chairSite.code, 'chu-se');
    assert.deepEqual(res.body.invitedSites.map((s: { code: string }) => s.code).sort(), ['chu-se', 'ia-ko', 'ia-pal']);
    const asViewer = await api.request('GET', `/api/v1/meetings/${res.body.id}`, { key: api.tokens.viewer });
    assert.equal(asViewer.status, 200);
    assert.equal(asViewer.body.pin, undefined);
    assert.equal(asViewer.body.hasPin, true);
  });

  it('allocates the lowest free room number when none is given', async () => {
    assert.equal((await book({ roomNumber: 2000 })).status, 201);
    const second = await book({});
    assert.equal(second.body.roomNumber, 2001);
    const later = await book({ startsAt: at(5), endsAt: at(6) });
    assert.equal(later.body.roomNumber, 2000, 'room 2000 is free again later');
  });

  it('answers 409 naming the meeting that already holds the room', async () => {
    const first = await book({ roomNumber: 2005 });
    const clash = await book({ roomNumber: 2005, startsAt: at(2), endsAt: at(4) });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.conflictingMeeting.id, first.body.id);
    assert.match(clash.body.detail, new RegExp(`meeting "Giao ban tuần" \\(${first.body.id}\\)`));
    const backToBack = await book({ roomNumber: 2005, startsAt: at(3), endsAt: at(4) });
    assert.equal(backToBack.status, 201, 'a meeting may start when the previous one ends');
  });

  it('answers 409 naming the meeting a site is already invited to', async () => {
    const first = await book({ roomNumber: 2001, invitedSites: ['ia-pal'] });
    const clash = await book({ roomNumber: 2002, invitedSites: ['dun', 'ia-pal'], startsAt: at(2), endsAt: at(5) });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.conflicts[0].site.code, 'ia-pal');
    assert.equal(clash.body.conflicts[0].meeting.id, first.body.id);
    assert.match(clash.body.detail, /Xã Ia Pal \(ia-pal\) is already invited to meeting "Giao ban tuần"/);
    const list = await api.request('GET', '/api/v1/meetings');
    assert.equal(list.body.total, 1, 'the refused booking left nothing behind');
  });

  it('documents its 409 as MeetingConflict, and both kinds of conflict answer in that shape', async () => {
    const first = await book({ roomNumber: 2007, invitedSites: ['ia-pal'] });
    const room = await book({ roomNumber: 2007, startsAt: at(2), endsAt: at(4) });
    const site = await book({ roomNumber: 2008, invitedSites: ['ia-pal', 'dun'], startsAt: at(2), endsAt: at(4) });
    for (const clash of [room, site]) {
      assert.equal(clash.status, 409, clash.text);
      const parsed = meetingConflictOut.safeParse(clash.body);
      assert.ok(parsed.success, parsed.error?.message);
      assert.deepEqual(clash.body.conflictingMeeting, {
        id: first.body.id,
        title: 'Giao ban tuần',
        roomNumber: 2007,
        startsAt: first.body.startsAt,
        endsAt: first.body.endsAt,
      });
    }
    assert.equal(room.body.field, 'roomNumber');
    assert.equal(site.body.field, 'invitedSites');
    const pal = first.body.invitedSites[0];
    assert.deepEqual(
      site.body.conflicts.map((c: { site: unknown; meeting: { id: string } }) => [c.site, c.meeting.id]),
      [[pal, first.body.id]],
    );

    const doc = (await api.request('GET', '/api/v1/openapi.json', { key: null })).body;
    for (const op of [doc.paths['/api/v1/meetings'].post, doc.paths['/api/v1/meetings/{id}'].patch]) {
      assert.deepEqual(op.responses['409'].content['application/problem+json'].schema, { $ref: '#/components/schemas/MeetingConflict' });
    }
    const schema = doc.components.schemas.MeetingConflict;
    assert.ok(['type', 'title', 'status', 'detail', 'instance', 'field', 'conflictingMeeting', 'conflicts'].every((k) => k in schema.properties));
  });

  it('gives exactly one 201 when many clients book the same room at once', async () => {
    const attempts = 40;
    const replies = await Promise.all(
      Array.from({ length: attempts }, (_, i) => book({ roomNumber: 2042, title: `Họp ${i}`, startsAt: at(1 + (i % 3) * 0.25), endsAt: at(3) })),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 409).length, attempts - 1, statuses.join(','));
    const [{ count }] = await api.ds.query(`SELECT count(*)::int AS count FROM meeting WHERE room_number = 2042`);
    assert.equal(count, 1);
  });

  it('never double-books a site under concurrent bookings of different rooms', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => book({ roomNumber: 2100 + i, invitedSites: ['ia-ko'] })));
    assert.equal(replies.filter((r) => r.status === 201).length, 1);
    assert.ok(replies.every((r) => r.status === 201 || r.status === 409));
  });

  it('allocates distinct room numbers under concurrent bookings without a number', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, () => book({})));
    assert.ok(
      replies.every((r) => r.status === 201),
      replies.map((r) => r.text).join('\n'),
    );
    const rooms = new Set(replies.map((r) => r.body.roomNumber));
    assert.equal(rooms.size, 8);
  });

  it('validates times, PINs, sites and unknown fields', async () => {
    const res = await book({ pin: '12', endsAt: at(0.5), startsAt: at(1), invitedSites: ['nowhere'], colour: 'red' });
    assert.equal(res.status, 422);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    assert.deepEqual(fields, ['colour', 'endsAt', 'pin']);
    const unknownSite = await book({ invitedSites: ['nowhere'] });
    assert.equal(unknownSite.status, 422);
    assert.deepEqual(unknownSite.body.errors, [{ field: 'invitedSites[0]', message: 'no site with id or code "nowhere"' }]);
    const past = await book({ startsAt: at(-5), endsAt: at(-4) });
    assert.equal(past.status, 422);
    const tooLong = await book({ startsAt: at(1), endsAt: at(30) });
    assert.equal(tooLong.status, 422);
    const noZone = await book({ startsAt: '2026-12-01T08:00:00' });
    assert.equal(noZone.status, 422);
    assert.match(noZone.body.errors[0].message, /time zone/);
  });

  it('filters by time window, status and room', async () => {
    const a = await book({ roomNumber: 2001 });
    await book({ roomNumber: 2002, startsAt: at(10), endsAt: at(11) });
    const window = await api.request('GET', `/api/v1/meetings?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(2))}`);
    assert.deepEqual(
      window.body.items.map((m: { id: string }) => m.id),
      [a.body.id],
    );
    const room = await api.request('GET', '/api/v1/meetings?room=2002');
    assert.equal(room.body.total, 1);
    await api.request('DELETE', `/api/v1/meetings/${a.body.id}`);
    const cancelled = await api.request('GET', '/api/v1/meetings?status=cancelled');
    assert.deepEqual(
      cancelled.body.items.map((m: { id: string }) => m.id),
      [a.body.id],
    );
    const bad = await api.request('GET', '/api/v1/meetings?status=gone');
    assert.equal(bad.status, 422);
  });

  it('updates a meeting and its invitations, re-checking conflicts', async () => {
    const a = await book({ roomNumber: 2001, invitedSites: ['ia-pal'] });
    const b = await book({ roomNumber: 2002, invitedSites: ['ia-ko'], startsAt: at(4), endsAt: at(5) });
    const moved = await api.request('PATCH', `/api/v1/meetings/${b.body.id}`, { key: api.tokens.operator, json: { startsAt: at(2) } });
    assert.equal(moved.status, 200, moved.text);
    const clash = await api.request('PATCH', `/api/v1/meetings/${b.body.id}`, { key: api.tokens.operator, json: { invitedSites: ['ia-ko', 'ia-pal'] } });
    assert.equal(clash.status, 409);
    assert.equal(clash.body.conflictingMeeting.id, a.body.id);
    const roomClash = await api.request('PATCH', `/api/v1/meetings/${b.body.id}`, { key: api.tokens.operator, json: { roomNumber: 2001 } });
    assert.equal(roomClash.status, 409);
    assert.equal(roomClash.body.conflictingMeeting.id, a.body.id);
    const swap = await api.request('PATCH', `/api/v1/meetings/${a.body.id}`, {
      key: api.tokens.operator,
      json: { invitedSites: ['dun'], title: 'Họp đột xuất' },
    });
    assert.equal(swap.status, 200, swap.text);
    assert.deepEqual(
      swap.body.invitedSites.map((s: { code: string }) => s.code),
      ['dun'],
    );
    const nowFree = await api.request('PATCH', `/api/v1/meetings/${b.body.id}`, { key: api.tokens.operator, json: { invitedSites: ['ia-ko', 'ia-pal'] } });
    assert.equal(nowFree.status, 200, 'ia-pal left meeting a, so it may join b');
    // Moving one end alone is held to the same 24-hour limit as a booking.
    for (const json of [{ endsAt: at(40) }, { startsAt: at(-30) }]) {
      const tooLong = await api.request('PATCH', `/api/v1/meetings/${a.body.id}`, { key: api.tokens.operator, json });
      assert.equal(tooLong.status, 422, JSON.stringify(json));
      assert.deepEqual(tooLong.body.errors, [{ field: 'endsAt', message: 'a meeting lasts at most 24 hours' }]);
    }
  });

  it('cancels on DELETE, keeps the record, frees the room, and refuses changes afterwards', async () => {
    const a = await book({ roomNumber: 2001, invitedSites: ['ia-pal'] });
    assert.equal((await api.request('DELETE', `/api/v1/meetings/${a.body.id}`, { key: api.tokens.operator })).status, 204);
    assert.equal((await api.request('DELETE', `/api/v1/meetings/${a.body.id}`, { key: api.tokens.operator })).status, 204, 'cancelling twice is a no-op');
    assert.equal((await api.request('GET', `/api/v1/meetings/${a.body.id}`)).body.status, 'cancelled');
    assert.equal((await book({ roomNumber: 2001, invitedSites: ['ia-pal'] })).status, 201, 'room and site are free again');
    const edit = await api.request('PATCH', `/api/v1/meetings/${a.body.id}`, { key: api.tokens.operator, json: { title: 'x' } });
    assert.equal(edit.status, 409);
    const audit = await api.ds.query(`SELECT action FROM audit_event WHERE resource_id = $1 ORDER BY id`, [a.body.id]);
    assert.deepEqual(
      audit.map((r: { action: string }) => r.action),
      ['meeting.create', 'meeting.cancel'],
    );
  });

  it('keeps a live meeting\u2019s room and start fixed', async () => {
    const a = await book({ roomNumber: 2001 });
    await api.ds.query(`UPDATE meeting SET status = 'live' WHERE id = $1`, [a.body.id]);
    const move = await api.request('PATCH', `/api/v1/meetings/${a.body.id}`, { json: { roomNumber: 2009 } });
    assert.equal(move.status, 409);
    const extend = await api.request('PATCH', `/api/v1/meetings/${a.body.id}`, { json: { endsAt: at(4) } });
    assert.equal(extend.status, 200);
    assert.equal((await api.request('DELETE', `/api/v1/meetings/${a.body.id}`)).status, 409);
  });

  it('lists the video layouts with the roster, names the field a dial gets wrong, and answers 503 for control without a SIP side', async () => {
    const a = await book({ roomNumber: 2001 });
    await api.ds.query(`UPDATE meeting SET status = 'live' WHERE id = $1`, [a.body.id]);
    const roster = await api.request('GET', `/api/v1/meetings/${a.body.id}/participants`, { key: api.tokens.viewer });
    assert.equal(roster.status, 200);
    assert.deepEqual(
      { items: roster.body.items, locked: roster.body.locked, layout: roster.body.layout, first: roster.body.layouts[0] },
      { items: [], locked: false, layout: null, first: 'group:grid' },
    );
    assert.ok(roster.body.layouts.includes('2x2'));
    const dial = (json: unknown) => api.request('POST', `/api/v1/meetings/${a.body.id}/dial`, { key: api.tokens.operator, json });
    const bad = await dial({ uri: 'phong-hop' });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors, [{ field: 'uri', message: 'must be a SIP URI' }]);
    assert.equal((await dial({})).status, 422, 'neither site nor uri');
    assert.equal((await dial({ site: 'ia-pal', uri: 'sip:a@b' })).status, 422, 'both');
    assert.equal((await dial({ site: 'ia-pal', name: 'x' })).status, 422, 'a site keeps its own name');
    assert.equal((await dial({ uri: 'sip:phong-hop@10.0.0.5' })).status, 503);
    const layout = await api.request('PUT', `/api/v1/meetings/${a.body.id}/layout`, { key: api.tokens.operator, json: { layout: '2x2' } });
    assert.equal(layout.status, 503);
    assert.equal((await api.request('PUT', `/api/v1/meetings/${a.body.id}/layout`, { key: api.tokens.operator, json: { layout: '7x7' } })).status, 422);
  });

  it('reads a meeting\u2019s existence for its roster once (no meeting is ever deleted), and answers 404 for one that does not exist', async () => {
    const a = await book({ roomNumber: 2001 });
    const poll = (id: string) => api.request('GET', `/api/v1/meetings/${id}/participants`, { key: api.tokens.viewer });
    assert.equal((await poll(a.body.id)).status, 200);
    const counter = new QueryCounter(api.ds);
    counter.start();
    assert.equal((await poll(a.body.id)).status, 200);
    assert.equal((await poll(a.body.id.toUpperCase())).status, 200);
    const unknown = '00000000-0000-4000-8000-000000000000';
    assert.equal((await poll(unknown)).status, 404);
    assert.equal((await poll(unknown)).status, 404, 'a miss is read again: the meeting may be booked in between');
    counter.stop();
    counter.close();
    assert.equal(counter.statements.filter((s) => /FROM meeting\b/.test(s)).length, 2, counter.statements.join('\n'));
  });

  it('lets viewers read but not book', async () => {
    assert.equal((await book({}, api.tokens.viewer)).status, 403);
    assert.equal((await api.request('GET', '/api/v1/meetings', { key: api.tokens.viewer })).status, 200);
  });
});
