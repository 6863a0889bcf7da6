import assert from 'node:assert/strict';
import { FailureLimiter } from '../../src/access/failure-limiter';
import { inviteHandler, type InviteDeps, type PinCollector } from '../../src/calls/sip/invite-handler';
import { SipAuthenticator } from '../../src/calls/sip/sip-authenticator';
import { collectPin } from '../../src/calls/steps/collect-pin';
import { silentLogger } from '../../src/log';
import { promptPath } from '../../src/media/prompts/catalog';
import type { Meeting } from '../../src/meetings/meeting.entity';
import type { RoomBookings } from '../../src/meetings/room-bookings';
import { fakeRegistry, liveMeeting } from '../support/fake-calls';
import { SingleNode } from '../../src/calls/cascade/single-node';
import { FakeMedia, FakeRelays, fakeSdp, gate } from '../support/fake-media';
import { FakeRequest, FakeResponse, FakeSrf } from '../support/fake-sip';
import { InFlight } from '../../src/calls/in-flight';

/**
 * The SIP INVITE path (src/calls/sip/invite-handler.ts) over in-memory media, SIP and participation
 * rows: what it answers, what it takes, and that the teardown gives everything back in the order
 * docs/teardown.md gives. No drachtio-server, FreeSWITCH or PostgreSQL.
 */

const tick = () => new Promise((r) => setImmediate(r));

function bridge(opts: { meeting?: Meeting | null; previous?: Meeting; collectPin?: PinCollector } = {}) {
  const media = new FakeMedia();
  // One log across media, SIP and rows, so the tests can read the order things happened in.
  const shared = media.log;
  const srf = new FakeSrf(shared);
  const relays = new FakeRelays(shared);
  const { calls, participations, events } = fakeRegistry(shared);
  const meeting = opts.meeting === undefined ? liveMeeting() : opts.meeting;
  const deps: InviteDeps = {
    srf,
    content: null,
    setups: new InFlight(10),
    lookups: {
      roomBookings: async (room): Promise<RoomBookings> =>
        meeting && room === meeting.roomNumber
          ? { current: { meeting, invited: new Set() }, next: null, previous: null }
          : { current: null, next: null, previous: opts.previous && room === opts.previous.roomNumber ? opts.previous : null },
      siteForSource: async () => null,
      isSiteUsername: async () => false,
    },
    // Without Proxy-Authorization the authenticator answers without reading the directory.
    auth: new SipAuthenticator({ bySipUsername: async () => null }, 'bridge.test', new FailureLimiter({ maxFailures: 10, windowMs: 60_000, blockMs: 60_000 })),
    calls,
    placement: new SingleNode(media, calls),
    participations,
    policy: { openBeforeMs: 10 * 60_000, capacity: 50, timeZone: 'Asia/Ho_Chi_Minh' },
    conferenceProfile: 'diemcau',
    collectPin: opts.collectPin ?? (async () => 'failed'),
    log: silentLogger,
    relays,
    joinTokenSecret: null,
  };
  const handle = inviteHandler(deps);
  const invite = async (user: string, body = fakeSdp('caller'), headers: Record<string, string> = {}) => {
    const req = new FakeRequest(`sip:${user}@bridge.test`, body, headers);
    const res = new FakeResponse();
    const done = handle(req, res);
    return { req, res, done, callId: req.get('Call-ID')! };
  };
  /** Nothing held: every endpoint over, every lease and relay given back, no call in the registry, no row open. */
  const assertNothingHeld = () => {
    assert.deepEqual(
      media.liveEndpoints().map((e) => e.uuid),
      [],
      'endpoints still up',
    );
    assert.equal(media.leased(), 0, 'media leases not released');
    assert.deepEqual(
      relays.live().map((r) => r.callId),
      [],
      'relay sessions not deleted',
    );
    assert.equal(calls.all().length, 0, 'calls left in the registry');
    assert.deepEqual(participations.open_(), [], 'participations left open');
  };
  return { log: shared, media, srf, relays, calls, participations, events, invite, assertNothingHeld, meeting };
}

describe('SIP INVITE path (fakes)', () => {
  it("answers with FreeSWITCH's SDP, joins the conference, and tears down in order when the caller hangs up", async () => {
    const b = bridge();
    const { res, done, callId } = await b.invite('2001');
    await done;
    assert.equal(res.status, 200);
    const [ep] = b.media.endpoints;
    assert.ok(ep);
    assert.equal(res.sent.at(-1)!.body, ep.localSdp, "the caller gets FreeSWITCH's answer");
    assert.match(ep.remoteSdp!, /o=caller/, "FreeSWITCH gets the caller's offer");
    assert.deepEqual(ep.joinedAs, { meetingId: 'm1', opts: { profile: 'diemcau', moderator: false, muted: false, noVideo: true }, memberId: 1 });
    const call = b.calls.get(callId)!;
    assert.equal(call.state, 'joined');
    assert.equal(call.codecs.audio, 'PCMU');
    assert.deepEqual(
      b.events.map((e) => e.type),
      ['participant.joined'],
    );

    // Talking and mute changes of its member reach the roster.
    ep.memberChange({ talking: true });
    assert.equal(call.talking, true);

    b.srf.dialogs[0]!.byeFromFarEnd();
    await call.close('kicked'); // waits for the teardown the BYE started; the first reason stays
    assert.deepEqual(b.log, [
      'lease fs1',
      `endpoint ${ep.uuid}`,
      `answered ${callId}`,
      `join ${ep.uuid} m1`,
      `participation opened ${callId}`,
      `bye-received ${callId}`,
      `hangup ${ep.uuid}`,
      'release fs1',
      'participation closed caller-hangup',
    ]);
    assert.equal(b.srf.dialogs[0]!.byes, 0, 'no BYE to a caller who hung up');
    assert.deepEqual(
      b.events.map((e) => e.type),
      ['participant.joined', 'participant.talking', 'participant.left'],
    );
    b.assertNothingHeld();
  });

  it('closing twice is a no-op: one BYE, one hang-up, one release, the first reason recorded', async () => {
    const b = bridge();
    const { done, callId } = await b.invite('2001');
    await done;
    const call = b.calls.get(callId)!;
    await Promise.all([call.close('kicked'), call.close('meeting-ended')]);
    await call.close('shutdown');
    const dialog = b.srf.dialogs[0]!;
    assert.equal(dialog.ended, 'bye-sent');
    assert.equal(dialog.byes, 1);
    assert.equal(b.media.endpoints[0]!.hangUps, 1);
    assert.equal(b.log.filter((l) => l.startsWith('release')).length, 1);
    assert.equal(b.participations.rows.get('p1')!.endReason, 'kicked');
    assert.equal(b.participations.rows.get('p1')!.closes, 1);
    b.assertNothingHeld();
  });

  it('hangs the caller up (BYE) when FreeSWITCH ends the channel', async () => {
    const b = bridge();
    const { done, callId } = await b.invite('2001');
    await done;
    const ep = b.media.endpoints[0]!;
    ep.endFromFreeswitch();
    await b.calls.get(callId)?.close('kicked');
    await tick();
    assert.equal(b.srf.dialogs[0]!.ended, 'bye-sent');
    assert.equal(ep.hangUps, 0, 'FreeSWITCH already hung up: nothing to hang up there');
    assert.equal(b.participations.rows.get('p1')!.endReason, 'bridge-hangup');
    b.assertNothingHeld();
  });

  describe('admission outcomes, before anything is taken', () => {
    const cases: [string, string, () => ReturnType<typeof bridge>, number, RegExp][] = [
      ['no meeting in the room', '9999', () => bridge(), 404, /no meeting is booked/],
      ['not a room number', 'conference', () => bridge(), 404, /dial a room number/],
      [
        'the meeting has ended',
        '2002',
        () =>
          bridge({
            previous: liveMeeting({
              id: 'm0',
              roomNumber: 2002,
              status: 'ended',
              startsAt: new Date(Date.now() - 7_200_000),
              endsAt: new Date(Date.now() - 3_600_000),
            }),
          }),
        480,
        /has ended/,
      ],
      ['a wrong PIN in the URI', '2001*9999', () => bridge({ meeting: liveMeeting({ pin: '1234' }) }), 403, /not the meeting PIN/],
      [
        'a locked room',
        '2001',
        () => {
          const b = bridge();
          b.calls.setLocked('m1', true);
          return b;
        },
        486,
        /locked/,
      ],
    ];
    for (const [what, user, make, status, why] of cases) {
      it(`${status} for ${what}`, async () => {
        const b = make();
        const { res, done } = await b.invite(user);
        await done;
        assert.equal(res.status, status);
        assert.match(res.header('Warning') ?? '', why);
        assert.equal(b.media.endpoints.length, 0, 'no endpoint made');
        assert.equal(b.log.filter((l) => l.startsWith('lease')).length, 0, 'no media server leased');
        assert.equal(b.srf.dialogs.length, 0);
        b.assertNothingHeld();
      });
    }

    it('lets the right PIN in the URI through', async () => {
      const b = bridge({ meeting: liveMeeting({ pin: '1234' }) });
      const { res, done } = await b.invite('2001*1234');
      await done;
      assert.equal(res.status, 200);
      assert.ok(b.media.endpoints[0]!.joinedAs);
    });
  });

  describe('PIN collection (collectPin on a fake endpoint)', () => {
    const withPrompt = () =>
      bridge({
        meeting: liveMeeting({ pin: '1234', language: 'en' }),
        collectPin: (ep, meeting, signal) => collectPin(ep, { soundsRoot: '/s', language: meeting.language, expected: meeting.pin!, signal }),
      });

    it('answers, asks, and joins once the PIN is right', async () => {
      const b = withPrompt();
      b.media.typed = ['1111', '1234']; // a wrong PIN, then the right one
      const pending = await b.invite('2001');
      await pending.done;
      const ep = b.media.endpoints[0]!;
      assert.equal(pending.res.status, 200, 'answered before the prompt');
      assert.deepEqual(ep.played, [promptPath('/s', 'en', 'enter-pin'), promptPath('/s', 'en', 'wrong-pin'), promptPath('/s', 'en', 'enter-pin')]);
      assert.ok(ep.joinedAs, 'in the conference');
      assert.equal(b.calls.get(pending.callId)!.state, 'joined');
    });

    it('says goodbye and hangs up after three wrong PINs, without joining', async () => {
      const b = withPrompt();
      b.media.typed = ['1', '2', '3'];
      const pending = await b.invite('2001');
      await pending.done;
      const ep = b.media.endpoints[0]!;
      assert.deepEqual(ep.played.at(-1), [promptPath('/s', 'en', 'wrong-pin'), promptPath('/s', 'en', 'goodbye')]);
      assert.equal(ep.joinedAs, null);
      assert.equal(b.srf.dialogs[0]!.ended, 'bye-sent');
      assert.equal(b.participations.rows.size, 0, 'no participation for a caller who never joined');
      b.assertNothingHeld();
    });

    it('stops asking at once when the caller hangs up during the prompt', async () => {
      const b = withPrompt();
      const pending = await b.invite('2001'); // types nothing: the prompt waits
      await tick();
      await tick();
      b.srf.dialogs[0]!.byeFromFarEnd();
      await pending.done;
      assert.equal(b.media.endpoints[0]!.joinedAs, null);
      assert.equal(b.srf.dialogs[0]!.byes, 0);
      b.assertNothingHeld();
    });
  });

  it('cleans up a call cancelled while FreeSWITCH makes its endpoint: the late endpoint is hung up at once', async () => {
    const b = bridge();
    const slow = gate();
    b.media.createGate = slow.promise;
    const { req, done } = await b.invite('2001');
    await tick();
    req.cancel();
    slow.open();
    await done;
    await tick();
    assert.equal(b.srf.dialogs.length, 0, 'never answered');
    assert.equal(b.media.endpoints[0]!.ended, 'hung-up');
    b.assertNothingHeld();
  });

  it('answers 488 and gives the lease back when FreeSWITCH refuses the offer', async () => {
    const b = bridge();
    b.media.createError = new Error('INCOMPATIBLE_DESTINATION');
    const { res, done } = await b.invite('2001');
    await done;
    assert.equal(res.status, 488);
    assert.match(res.header('Warning') ?? '', /INCOMPATIBLE_DESTINATION/);
    b.assertNothingHeld();
  });

  it('answers 503 when no media server is up', async () => {
    const b = bridge();
    b.media.up = [];
    const { res, done } = await b.invite('2001');
    await done;
    assert.equal(res.status, 503);
    assert.equal(res.header('Retry-After'), '10');
    b.assertNothingHeld();
  });

  it('relays a browser call through rtpengine and deletes the session after the media is released', async () => {
    const b = bridge();
    const offer = `${fakeSdp('browser').replace('RTP/AVP', 'UDP/TLS/RTP/SAVPF')}a=fingerprint:sha-256 00:11\r\na=ice-ufrag:x\r\n`;
    const { res, done, callId } = await b.invite('2001', offer);
    await done;
    assert.equal(res.status, 200);
    assert.match(res.sent.at(-1)!.body!, /x-relayed:to-browser/);
    assert.match(b.media.endpoints[0]!.remoteSdp!, /x-relayed:to-freeswitch/);
    assert.equal(b.calls.get(callId)!.info.protocol, 'webrtc');
    b.srf.dialogs[0]!.byeFromFarEnd();
    await b.calls.get(callId)?.close('kicked');
    await tick();
    const tail = b.log.slice(b.log.indexOf(`bye-received ${callId}`));
    assert.deepEqual(tail, [
      `bye-received ${callId}`,
      `hangup ${b.media.endpoints[0]!.uuid}`,
      'release fs1',
      `relay deleted ${callId}`,
      'participation closed caller-hangup',
    ]);
    b.assertNothingHeld();
  });

  it("passes FreeSWITCH's re-INVITE and keyframe INFO on to the room system", async () => {
    const b = bridge();
    const { done } = await b.invite('2001', fakeSdp('caller', 'm=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=sendrecv\r\n'));
    await done;
    const ep = b.media.endpoints[0]!;
    const dialog = b.srf.dialogs[0]!;
    assert.equal(await ep.reinviteFromFreeswitch(fakeSdp('fs-reneg')), dialog.remote.sdp);
    assert.match(dialog.requests[0]!.body!, /o=fs-reneg/);
    assert.equal(
      ep.infoFromFreeswitch(
        'application/media_control+xml',
        '<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>',
      ),
      200,
    );
    assert.equal(dialog.requests[1]!.method, 'INFO');
    assert.equal(ep.infoFromFreeswitch('text/plain', 'hello'), 415);
    assert.equal(ep.vars['sofia_send_info_vid_refresh'], 'true');
  });

  it('lets FreeSWITCH ask an audio-only room system for no keyframes', async () => {
    const b = bridge();
    const { done } = await b.invite('2001');
    await done;
    assert.deepEqual(b.media.endpoints[0]!.vars, {}, 'every join would send it an INFO it cannot use');
  });
});
