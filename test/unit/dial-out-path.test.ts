import assert from 'node:assert/strict';
import type { DialTarget } from '../../src/calls/dial-out/dial';
import { defaultRetryPolicy, nextDelay } from '../../src/calls/dial-out/retry-policy';
import { placeCall, type OutboundDeps } from '../../src/calls/sip/outbound-call';
import { silentLogger } from '../../src/log';
import { fakeRegistry } from '../support/fake-calls';
import { SingleNode } from '../../src/calls/cascade/single-node';
import { FakeMedia, fakeSdp, gate } from '../support/fake-media';
import { FakeSrf } from '../support/fake-sip';
import { InFlight } from '../../src/calls/in-flight';

/**
 * SIP dial-out (placeCall in src/calls/sip/outbound-call.ts) over in-memory media and SIP: each
 * outcome, the cancel when the meeting ends, and that no attempt leaves anything behind.
 */

const tick = () => new Promise((r) => setImmediate(r));

function dialler(ringTimeoutMs = 5_000) {
  const media = new FakeMedia();
  const srf = new FakeSrf(media.log);
  const { calls, participations } = fakeRegistry(media.log);
  const deps: OutboundDeps = {
    srf,
    placement: new SingleNode(media, calls),
    calls,
    participations,
    conferenceProfile: 'diemcau',
    sipDomain: 'bridge.test',
    ringTimeoutMs,
    log: silentLogger,
    content: null,
    setups: new InFlight(10),
  };
  const target = (over: Partial<DialTarget> = {}): DialTarget => ({
    meetingId: 'm1',
    siteId: 's1',
    name: 'Xã Ia Ko',
    uri: 'sip:room@192.0.2.20',
    moderator: false,
    muted: false,
    ...over,
  });
  const assertNothingHeld = () => {
    assert.deepEqual(
      media.liveEndpoints().map((e) => e.uuid),
      [],
      'endpoints still up',
    );
    assert.equal(media.leased(), 0, 'media leases not released');
    assert.equal(calls.all().length, 0, 'calls left in the registry');
    assert.deepEqual(participations.open_(), [], 'participations left open');
  };
  return { media, srf, calls, participations, deps, target, assertNothingHeld, log: media.log };
}

describe('SIP dial-out path (fakes)', () => {
  it("offers FreeSWITCH's SDP, gives FreeSWITCH the answer, joins, and tears down when the site hangs up", async () => {
    const d = dialler();
    d.srf.onInvite = (r) => void r.answer(fakeSdp('site'));
    const result = await placeCall(d.deps, d.target({ moderator: true }), 2001);
    assert.deepEqual(result, { outcome: 'answered', status: 200, callId: 'out-1', detail: null });
    const ep = d.media.endpoints[0]!;
    assert.equal(ep.remoteSdp, undefined, 'a 3PCC endpoint: FreeSWITCH makes the offer');
    assert.equal(d.srf.ringing[0]!.request.opts.localSdp, ep.localSdp);
    assert.match(d.srf.ringing[0]!.request.opts.headers!['From']!, /sip:2001@bridge\.test/);
    assert.match(ep.modified[0]!, /o=site/, "the site's answer went to FreeSWITCH");
    assert.deepEqual(ep.joinedAs?.opts, { profile: 'diemcau', moderator: true, muted: false, noVideo: true });
    assert.equal(d.calls.get('out-1')!.state, 'joined');

    d.srf.dialogs[0]!.byeFromFarEnd();
    await d.calls.get('out-1')?.close('kicked');
    await tick();
    assert.deepEqual(d.log.slice(d.log.indexOf('bye-received out-1')), [
      'bye-received out-1',
      `hangup ${ep.uuid}`,
      'release fs1',
      'participation closed caller-hangup',
    ]);
    d.assertNothingHeld();
  });

  it('gives the endpoint and lease back on busy; the retry policy calls again, and the next attempt joins', async () => {
    const d = dialler();
    d.srf.onInvite = (r) => r.fail(486);
    const first = await placeCall(d.deps, d.target(), 2001);
    assert.equal(first.outcome, 'busy');
    assert.equal(first.status, 486);
    assert.equal(d.media.endpoints[0]!.ended, 'hung-up');
    d.assertNothingHeld();
    assert.equal(nextDelay(defaultRetryPolicy, first.outcome, 1), 30_000, 'busy is retried');

    d.srf.onInvite = (r) => void r.answer(fakeSdp('site'));
    const second = await placeCall(d.deps, d.target(), 2001);
    assert.equal(second.outcome, 'answered');
    assert.equal(d.media.endpoints.length, 2, 'a fresh endpoint for the retry');
    assert.ok(d.media.endpoints[1]!.joinedAs);
    await d.calls.get(second.callId!)!.close('meeting-ended');
    d.assertNothingHeld();
  });

  it('cancels a site that does not answer within the ring timeout: no-answer', async () => {
    const d = dialler(30);
    const result = await placeCall(d.deps, d.target(), 2001);
    assert.equal(result.outcome, 'no-answer');
    assert.match(result.detail!, /no answer within/);
    assert.equal(d.srf.ringing[0]!.request.cancelled, 1, 'CANCEL sent');
    d.assertNothingHeld();
  });

  it('sends CANCEL at once when the meeting ends while the site rings: cancelled, never joined', async () => {
    const d = dialler();
    const abort = new AbortController();
    d.srf.onInvite = () => abort.abort('meeting-ended');
    const result = await placeCall(d.deps, d.target({ signal: abort.signal }), 2001);
    assert.equal(result.outcome, 'cancelled');
    assert.match(result.detail!, /the meeting ended: cancelled while ringing/);
    assert.equal(d.srf.ringing[0]!.request.cancelled, 1);
    assert.equal(d.media.endpoints[0]!.joinedAs, null);
    assert.deepEqual(d.log.slice(-3), ['cancel out-1', `hangup ${d.media.endpoints[0]!.uuid}`, 'release fs1']);
    d.assertNothingHeld();
  });

  it('cancels when drachtio hands the INVITE over only after the abort', async () => {
    const d = dialler();
    const abort = new AbortController();
    const handOver = gate();
    d.srf.handOverGate = handOver.promise;
    const placing = placeCall(d.deps, d.target({ signal: abort.signal }), 2001);
    await tick();
    abort.abort('shutdown');
    handOver.open();
    const result = await placing;
    assert.equal(result.outcome, 'cancelled');
    assert.match(result.detail!, /the bridge is stopping/);
    assert.equal(d.srf.ringing[0]!.request.cancelled, 1);
    d.assertNothingHeld();
  });

  it('does not dial when the attempt is called off before it starts, and gives back media taken for it', async () => {
    const d = dialler();
    const abort = new AbortController();
    abort.abort('meeting-ended');
    assert.equal((await placeCall(d.deps, d.target({ signal: abort.signal }), 2001)).outcome, 'cancelled');
    assert.equal(d.media.endpoints.length, 0);

    const slow = gate();
    d.media.createGate = slow.promise;
    const late = new AbortController();
    const placing = placeCall(d.deps, d.target({ signal: late.signal }), 2001);
    await tick();
    late.abort('meeting-ended');
    slow.open();
    assert.equal((await placing).outcome, 'cancelled');
    assert.equal(d.srf.ringing.length, 0, 'never dialled');
    d.assertNothingHeld();
  });

  it('hangs up (BYE) a site that answers as the meeting ends, before it joins', async () => {
    const d = dialler();
    const abort = new AbortController();
    const slowJoin = gate();
    d.srf.onInvite = (r) => {
      d.media.endpoints[0]!.joinGate = slowJoin.promise;
      r.answer(fakeSdp('site'));
    };
    const placing = placeCall(d.deps, d.target({ signal: abort.signal }), 2001);
    while (!d.srf.dialogs.length) await tick();
    await tick();
    abort.abort('meeting-ended');
    slowJoin.open();
    const result = await placing;
    assert.equal(result.outcome, 'cancelled');
    assert.match(result.detail!, /answered too late, hung up/);
    assert.equal(d.srf.dialogs[0]!.ended, 'bye-sent');
    assert.equal(d.participations.rows.size, 0, 'never recorded as in the meeting');
    d.assertNothingHeld();
  });

  it("records a join FreeSWITCH does not complete as the bridge's error, retried within seconds, and hangs the site up", async () => {
    const d = dialler();
    d.srf.onInvite = (r) => {
      const stuck = Promise.reject(new Error('the conference did not take the call within 10000 ms'));
      stuck.catch(() => undefined);
      d.media.endpoints[0]!.joinGate = stuck;
      r.answer(fakeSdp('site'));
    };
    const result = await placeCall(d.deps, d.target(), 2001);
    assert.equal(result.outcome, 'bridge-error');
    assert.match(result.detail!, /did not take the call/);
    assert.equal(nextDelay(defaultRetryPolicy, result.outcome, 1), 5_000, 'not the minute of a codec mismatch');
    assert.equal(d.srf.dialogs[0]!.ended, 'bye-sent');
    d.assertNothingHeld();
  });

  it('reports unreachable, with nothing held, when no media server is up', async () => {
    const d = dialler();
    d.media.up = [];
    const result = await placeCall(d.deps, d.target(), 2001);
    assert.equal(result.outcome, 'unreachable');
    assert.equal(d.srf.ringing.length, 0);
    d.assertNothingHeld();
  });
});
