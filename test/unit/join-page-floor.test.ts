import assert from 'node:assert/strict';
import {
  initialFloor,
  onFloorEvent,
  onHello,
  onShareEnded,
  onShareStarted,
  parseFloorEvent,
  parseHelloPresenter,
  type FloorAction,
  type FloorEvent,
  type FloorState,
  type Presenter,
} from '../../src/web/content-floor';

const me: Presenter = { participantId: 'p-me', name: 'Nguyễn Văn An', siteId: null, protocol: 'webrtc' };
const iaPal: Presenter = { participantId: 'p-ia-pal', name: 'Xã Ia Pal', siteId: 's-ia-pal', protocol: 'sip' };
const namesake: Presenter = { ...me, participantId: 'p-other-an' };
const isSelf = (p: Presenter) => p.protocol === 'webrtc' && p.name === me.name;

const started = (presenter: Presenter): FloorEvent => ({ type: 'content.started', presenter });
const stopped = (presenter: Presenter, reason: 'released' | 'taken-over' | 'revoked' | 'left' | 'ended'): FloorEvent => ({
  type: 'content.stopped',
  presenter,
  reason,
});

/** Runs steps, collecting every action. */
function run(steps: Array<FloorEvent | 'share' | 'share-ended'>, from: FloorState = initialFloor): { state: FloorState; actions: FloorAction[] } {
  let state = from;
  const actions: FloorAction[] = [];
  for (const step of steps) {
    const next = step === 'share' ? onShareStarted(state) : step === 'share-ended' ? onShareEnded(state) : onFloorEvent(state, step, isSelf);
    state = next.state;
    actions.push(...next.actions);
  }
  return { state, actions };
}

describe('the join page and the presentation floor', () => {
  it('watches whoever else presents, and stops when they stop', () => {
    assert.deepEqual(run([started(iaPal)]).actions, [{ kind: 'watch', presenter: iaPal }]);
    assert.deepEqual(run([started(iaPal), stopped(iaPal, 'released')]), {
      state: initialFloor,
      actions: [{ kind: 'watch', presenter: iaPal }, { kind: 'unwatch' }],
    });
  });

  it('stops watching while it shares, and does not stop its share for its own presentation', () => {
    const r = run([started(iaPal), 'share', stopped(iaPal, 'taken-over'), started(me)]);
    assert.deepEqual(r.actions, [{ kind: 'watch', presenter: iaPal }, { kind: 'unwatch' }]);
    assert.deepEqual(r.state, { share: 'presenting', presenter: null });
  });

  it('stops sharing, says so, and watches when someone else takes the floor', () => {
    const r = run(['share', started(me), stopped(me, 'taken-over'), started(iaPal)]);
    assert.deepEqual(r.actions, [
      { kind: 'stop-share', why: 'taken-over' },
      { kind: 'watch', presenter: iaPal },
    ]);
    assert.deepEqual(r.state, { share: 'none', presenter: iaPal });
    // A bridge that says only the new presenter's start: the same outcome.
    const direct = run(['share', started(me), started(iaPal)]);
    assert.deepEqual(direct.actions, [
      { kind: 'stop-share', why: 'taken-over' },
      { kind: 'watch', presenter: iaPal },
    ]);
    // The page's own session ending afterwards changes nothing more.
    assert.deepEqual(onShareEnded(direct.state).actions, []);
  });

  it('stops sharing when an operator revokes it or the meeting ends', () => {
    assert.deepEqual(run(['share', started(me), stopped(me, 'revoked')]).actions, [{ kind: 'stop-share', why: 'revoked' }]);
    assert.deepEqual(run(['share', started(me), stopped(me, 'ended')]).actions, [{ kind: 'stop-share', why: 'revoked' }]);
  });

  it("does not take a namesake's presentation it took over for its own stop", () => {
    const r = run([started(namesake), 'share', stopped(namesake, 'taken-over'), started(me)]);
    assert.deepEqual(r.actions, [{ kind: 'watch', presenter: namesake }, { kind: 'unwatch' }]);
    assert.equal(r.state.share, 'presenting');
  });

  it('while asking for a queued floor it records who presents without watching, and watches again when its share ends', () => {
    const r = run([started(iaPal), 'share', 'share-ended']);
    assert.deepEqual(r.actions, [{ kind: 'watch', presenter: iaPal }, { kind: 'unwatch' }, { kind: 'watch', presenter: iaPal }]);
  });

  it('a new presenter after another keeps the one receiving session (relabelled)', () => {
    const r = run([started(iaPal), started({ ...iaPal, participantId: 'p-chu-se', name: 'Thị trấn Chư Sê', siteId: 's-chu-se' })]);
    assert.equal(r.actions.length, 2);
    assert.ok(r.actions.every((a) => a.kind === 'watch'));
    assert.deepEqual(run([started(iaPal), stopped(me, 'released')]).actions, [{ kind: 'watch', presenter: iaPal }], "someone else's stop is not this one's");
  });

  it('catches up from the hello of a (re)opened stream', () => {
    assert.deepEqual(onHello(initialFloor, iaPal, isSelf).actions, [{ kind: 'watch', presenter: iaPal }]);
    const watching = onHello(initialFloor, iaPal, isSelf).state;
    assert.deepEqual(onHello(watching, null, isSelf), { state: initialFloor, actions: [{ kind: 'unwatch' }] });
    assert.deepEqual(onHello(initialFloor, null, isSelf), { state: initialFloor, actions: [] });
  });

  it('reads events from the stream, and a hostile one as nothing', () => {
    const ok = JSON.stringify({ type: 'content.stopped', meetingId: 'm', seq: 3, presenter: iaPal, reason: 'taken-over' });
    assert.deepEqual(parseFloorEvent('content.stopped', ok), { type: 'content.stopped', presenter: iaPal, reason: 'taken-over' });
    assert.deepEqual(parseFloorEvent('content.started', JSON.stringify({ type: 'content.started', presenter: iaPal })), started(iaPal));
    for (const bad of [
      '',
      'null',
      '[]',
      '{"type":"content.started"}',
      JSON.stringify({ type: 'content.stopped', presenter: iaPal }),
      JSON.stringify({ type: 'content.stopped', presenter: iaPal, reason: 'because' }),
      JSON.stringify({ type: 'content.started', presenter: { ...iaPal, name: 7 } }),
      JSON.stringify({ type: 'content.started', presenter: { ...iaPal, participantId: {} } }),
      JSON.stringify({ type: 'document.added', presenter: iaPal }),
    ]) {
      assert.equal(parseFloorEvent(bad.includes('stopped') ? 'content.stopped' : 'content.started', bad), null, bad);
    }
    assert.deepEqual(parseHelloPresenter(JSON.stringify({ meetingId: 'm', presenter: iaPal })), iaPal);
    assert.equal(parseHelloPresenter(JSON.stringify({ meetingId: 'm', presenter: null })), null);
    assert.equal(parseHelloPresenter(JSON.stringify({ meetingId: 'm' })), undefined, 'a hello that does not say');
    assert.equal(parseHelloPresenter('{'), undefined);
  });
});
