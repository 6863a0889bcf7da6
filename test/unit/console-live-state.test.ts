import assert from 'node:assert/strict';
import { type LiveEvent, LiveView, searchKey } from '../../src/console/live-state';

const meeting = {
  id: 'm1',
  status: 'live',
  endsAt: '2026-12-07T03:00:00.000Z',
  invitedSites: [
    { id: 's-chu-se', name: 'Thị trấn Chư Sê' },
    { id: 's-ia-pal', name: 'Xã Ia Pal' },
  ],
};
const T0 = Date.parse('2026-12-07T01:00:00Z');
const fold = (view: LiveView, events: LiveEvent[]) => {
  for (const e of events) view.apply(e, T0);
  return view;
};

describe('console: the live view of a meeting', () => {
  it('starts from the roster: invited sites in it are joined, anyone else is a guest', () => {
    const view = new LiveView(meeting, [
      { id: 'p1', name: 'Thị trấn Chư Sê', siteId: 's-chu-se', protocol: 'sip', muted: true, talking: false, moderator: true },
      { id: 'p2', name: 'Anh Tuấn (trình duyệt)', siteId: null, protocol: 'webrtc', muted: false, talking: true, moderator: false },
    ]);
    assert.deepEqual(view.sites[0]!.state, { kind: 'joined', participantId: 'p1', muted: true, talking: false, moderator: true });
    assert.deepEqual(view.sites[1]!.state, { kind: 'waiting' });
    assert.deepEqual(view.guests, [{ participantId: 'p2', name: 'Anh Tuấn (trình duyệt)', protocol: 'webrtc', muted: false, talking: true }]);
    assert.equal(view.counts.joined, 1);
    assert.equal(view.counts.waiting, 1);
  });

  it('follows a dial-out: ringing, busy with a retry planned, ringing again, joined, talking, muted, left', () => {
    const view = fold(new LiveView(meeting, []), [
      { type: 'dial.attempt', siteId: 's-ia-pal', attempt: 1 },
      { type: 'dial.outcome', siteId: 's-ia-pal', outcome: 'busy', sipStatus: 486, retryInMs: 30_000 },
    ]);
    assert.deepEqual(view.tile('s-ia-pal').state, { kind: 'retrying', outcome: 'busy', retryAt: T0 + 30_000 });
    fold(view, [
      { type: 'dial.attempt', siteId: 's-ia-pal', attempt: 2 },
      { type: 'participant.joined', participant: { id: 'p3', name: 'Xã Ia Pal', siteId: 's-ia-pal', protocol: 'sip', moderator: false } },
      { type: 'dial.outcome', siteId: 's-ia-pal', outcome: 'answered', sipStatus: 200, retryInMs: null },
      { type: 'participant.talking', participantId: 'p3', talking: true },
      { type: 'participant.muted', participantId: 'p3', muted: true },
    ]);
    assert.deepEqual(view.tile('s-ia-pal').state, { kind: 'joined', participantId: 'p3', muted: true, talking: true, moderator: false });
    view.apply({ type: 'participant.left', participantId: 'p3', siteId: 's-ia-pal', reason: 'caller-hangup' }, T0);
    assert.deepEqual(view.tile('s-ia-pal').state, { kind: 'left', reason: 'caller-hangup' });
    // Gone from the index: a late talking event of the call that left changes nothing.
    assert.deepEqual(view.apply({ type: 'participant.talking', participantId: 'p3', talking: false }, T0), {});
  });

  it('tells a site that declined from one that cannot be reached, and keeps a joined site joined when redialled', () => {
    const view = fold(new LiveView(meeting, []), [
      { type: 'dial.outcome', siteId: 's-chu-se', outcome: 'rejected', sipStatus: 603, retryInMs: null },
      { type: 'dial.outcome', siteId: 's-ia-pal', outcome: 'unreachable', sipStatus: null, retryInMs: null },
    ]);
    assert.deepEqual(
      view.sites.map((s) => s.state),
      [
        { kind: 'declined', sipStatus: 603 },
        { kind: 'unreachable', outcome: 'unreachable' },
      ],
    );
    fold(view, [
      { type: 'participant.joined', participant: { id: 'p4', name: 'Thị trấn Chư Sê', siteId: 's-chu-se', protocol: 'h323', moderator: true } },
      { type: 'dial.attempt', siteId: 's-chu-se', attempt: 1 },
    ]);
    assert.equal(view.tile('s-chu-se').state.kind, 'joined');
  });

  it('takes the meeting state and a new end from the stream; ignores participants and sites it does not know', () => {
    const view = fold(new LiveView(meeting, []), [
      { type: 'meeting.state', status: 'live', endsAt: '2026-12-07T03:30:00.000Z' },
      { type: 'participant.muted', participantId: 'nobody', muted: true },
      { type: 'participant.left', participantId: 'nobody', siteId: null, reason: 'kicked' },
      { type: 'dial.attempt', siteId: 'not-invited', attempt: 1 },
      { type: 'meeting.state', status: 'ended' },
    ]);
    assert.equal(view.status, 'ended');
    assert.equal(view.endsAt, '2026-12-07T03:30:00.000Z');
    assert.deepEqual(
      view.sites.map((s) => s.state.kind),
      ['waiting', 'waiting'],
    );
  });

  it('says which tile an event changed, keeps every other tile the same object, and keeps the counts without recounting', () => {
    const view = new LiveView(meeting, []);
    const before = view.tile('s-chu-se');
    assert.deepEqual(
      view.apply({ type: 'participant.joined', participant: { id: 'p5', name: 'Xã Ia Pal', siteId: 's-ia-pal', protocol: 'sip', moderator: false } }, T0),
      { site: 's-ia-pal', kind: true },
    );
    // A talking change redraws one tile and leaves the counts and a filtered list alone.
    assert.deepEqual(view.apply({ type: 'participant.talking', participantId: 'p5', talking: true }, T0), { site: 's-ia-pal' });
    assert.equal(view.tile('s-chu-se'), before);
    assert.deepEqual(
      view.apply({ type: 'participant.joined', participant: { id: 'g1', name: 'Khách', siteId: null, protocol: 'webrtc', moderator: false } }, T0),
      { guests: true },
    );
    view.apply({ type: 'dial.outcome', siteId: 's-chu-se', outcome: 'busy', sipStatus: 486, retryInMs: 10_000 }, T0);
    assert.deepEqual({ joined: view.counts.joined, retrying: view.counts.retrying, waiting: view.counts.waiting }, { joined: 1, retrying: 1, waiting: 0 });
  });

  it('filters by state and searches names without diacritics', () => {
    const view = fold(new LiveView(meeting, []), [
      { type: 'participant.joined', participant: { id: 'p6', name: 'Xã Ia Pal', siteId: 's-ia-pal', protocol: 'sip', moderator: false } },
      { type: 'dial.outcome', siteId: 's-chu-se', outcome: 'no-answer', sipStatus: 480, retryInMs: 5_000 },
    ]);
    assert.deepEqual(view.visible('all', ''), ['s-chu-se', 's-ia-pal']);
    assert.deepEqual(view.visible('in', ''), ['s-ia-pal']);
    assert.deepEqual(view.visible('out', ''), ['s-chu-se']);
    assert.deepEqual(view.visible('problems', ''), ['s-chu-se']);
    assert.deepEqual(view.visible('all', 'chu se'), ['s-chu-se']);
    assert.deepEqual(view.visible('all', '  IA '), ['s-ia-pal']);
    assert.equal(searchKey('Thị trấn Đak Đoa'), 'thi tran dak doa');
  });

  it('shows who presents: from the content read on load, then the content events; a late stop of the one taken over leaves the new presenter', () => {
    const iaPal = { participantId: 'p7', name: 'Xã Ia Pal', siteId: 's-ia-pal', protocol: 'h323' };
    const guest = { participantId: 'p8', name: 'Anh Tuấn', siteId: null, protocol: 'webrtc' };
    const view = new LiveView(meeting, []);
    assert.equal(view.presenter, null);
    assert.deepEqual(view.setPresenter({ ...iaPal, since: '2026-12-07T01:00:00.000Z' } as typeof iaPal), { content: true });
    assert.deepEqual(view.presenter, iaPal, 'only what the banner needs is kept');
    // Take-over with the new start first: the old presenter's stop must not clear the banner.
    assert.deepEqual(view.apply({ type: 'content.started', presenter: guest }, T0), { content: true });
    assert.deepEqual(view.apply({ type: 'content.stopped', presenter: iaPal, reason: 'taken-over' }, T0), {});
    assert.deepEqual(view.presenter, guest);
    assert.deepEqual(view.apply({ type: 'content.stopped', presenter: guest, reason: 'revoked' }, T0), { content: true });
    assert.equal(view.presenter, null);
    assert.deepEqual(view.apply({ type: 'content.stopped', presenter: guest, reason: 'revoked' }, T0), {}, 'a repeated stop changes nothing');
    // A reconnection reads the content again: whatever it says replaces what the missed events left.
    view.apply({ type: 'content.started', presenter: iaPal }, T0);
    view.setPresenter(null);
    assert.equal(view.presenter, null);
  });
});
