import assert from 'node:assert/strict';
import { applyEvent, initialView, tally, type LiveEvent, type LiveView } from '../../src/console/live-state';

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
const fold = (view: LiveView, events: LiveEvent[]) => events.reduce((v, e) => applyEvent(v, e, T0), view);

describe('console: the live view of a meeting', () => {
  it('starts from the roster: invited sites in it are joined, anyone else is a guest', () => {
    const view = initialView(meeting, [
      { id: 'p1', name: 'Thị trấn Chư Sê', siteId: 's-chu-se', protocol: 'sip', muted: true, talking: false, moderator: true },
      { id: 'p2', name: 'Anh Tuấn (trình duyệt)', siteId: null, protocol: 'webrtc', muted: false, talking: true, moderator: false },
    ]);
    assert.deepEqual(view.sites[0]!.state, { kind: 'joined', participantId: 'p1', muted: true, talking: false, moderator: true });
    assert.deepEqual(view.sites[1]!.state, { kind: 'waiting' });
    assert.deepEqual(view.guests, [{ participantId: 'p2', name: 'Anh Tuấn (trình duyệt)', protocol: 'webrtc', muted: false, talking: true }]);
    assert.deepEqual(tally(view), { joined: 1, invited: 2, guests: 1 });
  });

  it('follows a dial-out: ringing, busy with a retry planned, ringing again, joined, talking, muted, left', () => {
    let view = initialView(meeting, []);
    view = fold(view, [
      { type: 'dial.attempt', siteId: 's-ia-pal', attempt: 1 },
      { type: 'dial.outcome', siteId: 's-ia-pal', outcome: 'busy', sipStatus: 486, retryInMs: 30_000 },
    ]);
    assert.deepEqual(view.sites[1]!.state, { kind: 'retrying', outcome: 'busy', retryAt: T0 + 30_000 });
    view = fold(view, [
      { type: 'dial.attempt', siteId: 's-ia-pal', attempt: 2 },
      { type: 'participant.joined', participant: { id: 'p3', name: 'Xã Ia Pal', siteId: 's-ia-pal', protocol: 'sip', moderator: false } },
      { type: 'dial.outcome', siteId: 's-ia-pal', outcome: 'answered', sipStatus: 200, retryInMs: null },
      { type: 'participant.talking', participantId: 'p3', talking: true },
      { type: 'participant.muted', participantId: 'p3', muted: true },
    ]);
    assert.deepEqual(view.sites[1]!.state, { kind: 'joined', participantId: 'p3', muted: true, talking: true, moderator: false });
    view = applyEvent(view, { type: 'participant.left', participantId: 'p3', siteId: 's-ia-pal', reason: 'caller-hangup' }, T0);
    assert.deepEqual(view.sites[1]!.state, { kind: 'left', reason: 'caller-hangup' });
  });

  it('tells a site that declined from one that cannot be reached, and keeps a joined site joined when redialled', () => {
    let view = fold(initialView(meeting, []), [
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
    view = fold(view, [
      { type: 'participant.joined', participant: { id: 'p4', name: 'Thị trấn Chư Sê', siteId: 's-chu-se', protocol: 'h323', moderator: true } },
      { type: 'dial.attempt', siteId: 's-chu-se', attempt: 1 },
    ]);
    assert.equal(view.sites[0]!.state.kind, 'joined');
  });

  it('takes the meeting state and a new end from the stream; ignores participants it does not know', () => {
    const view = fold(initialView(meeting, []), [
      { type: 'meeting.state', status: 'live', endsAt: '2026-12-07T03:30:00.000Z' },
      { type: 'participant.muted', participantId: 'nobody', muted: true },
      { type: 'participant.left', participantId: 'nobody', siteId: null, reason: 'kicked' },
      { type: 'meeting.state', status: 'ended' },
    ]);
    assert.equal(view.status, 'ended');
    assert.equal(view.endsAt, '2026-12-07T03:30:00.000Z');
    assert.deepEqual(
      view.sites.map((s) => s.state.kind),
      ['waiting', 'waiting'],
    );
  });
});
