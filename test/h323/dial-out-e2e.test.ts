import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { CallRegistry } from '../../src/calls/call-registry';
import { placeH323Call } from '../../src/calls/h323/dial';
import type { H323Gateway } from '../../src/calls/h323/gateway';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import type { Meeting } from '../../src/meetings/meeting.entity';
import type { MeetingEvent } from '../../src/meetings/meeting-events';
import { BRIDGE_DOMAIN, h323Env, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { setTimeout as sleep } from 'node:timers/promises';
import * as m245 from '../../src/h323/messages/h245';
import { getNumber, isChoice } from '../../src/h323/messages/read';
import { eslEvents, requireStack, waitFor } from '../support/stack';
import { ANSWERED_VIDEO_CHANNEL, AnsweringEndpoint } from './support/answering-endpoint';
import { ScriptedEndpoint } from './support/endpoint';

/**
 * Dial-out to H.323 room systems: a live dial-out meeting calls its invited H.323 site (found
 * through its gatekeeper registration), the site joins the conference and is heard by a SIP room
 * system; a busy site is recorded as busy; ending the meeting releases the H.323 call and leaves
 * nothing behind, and calls off an attempt still ringing. An attempt records the address it really
 * dialled: a registration's call signalling address over the directory's.
 */
describe('H.323 dial-out end to end (real drachtio-server and FreeSWITCH)', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let gateway: H323Gateway;
  let caller: { srf: Srf; stop(): Promise<void> };
  let answering: AnsweringEndpoint;
  let busy: AnsweringEndpoint;
  let ringing: AnsweringEndpoint;
  let registrar: ScriptedEndpoint;
  const registrars: ScriptedEndpoint[] = [];
  let h323Peer: RtpPeer;
  const peers: RtpPeer[] = [];
  let sites: SiteDirectory;
  let book: MeetingBook;

  const meeting = async (roomNumber: number, site: string): Promise<Meeting> => {
    const start = new Date(Date.now() - 60_000);
    return (
      await book.create(
        {
          title: 'Giao ban',
          roomNumber,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: [site],
          dialOut: true,
          allowGuests: true,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting;
  };

  before(async function () {
    requireStack(this, 'H.323 dial-out end to end');
    bridge = await startBridge({ env: { RING_TIMEOUT_SECONDS: '5', ...(await h323Env()) } });
    caller = await startCaller();
    gateway = bridge.calls.h323!;
    h323Peer = await RtpPeer.open();
    peers.push(h323Peer);
    answering = await AnsweringEndpoint.listen({ kind: 'answer', audio: { ip: h323Peer.host, port: h323Peer.port } });
    busy = await AnsweringEndpoint.listen({ kind: 'release', cause: 17 });
    sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    // Registered with the gatekeeper, no directory address: the call goes where the RRQ said.
    await sites.create({ code: 'ia-grai', name: 'Xã Ia Grai', protocol: 'h323', h323Alias: '2302', allowedNetworks: ['127.0.0.0/8'], enabled: true }, cliActor);
    // Not registered: dialled at its directory address.
    await sites.create(
      {
        code: 'ia-sao',
        name: 'Xã Ia Sao',
        protocol: 'h323',
        h323Alias: '2303',
        h323Address: `127.0.0.1:${busy.address.port}`,
        allowedNetworks: ['127.0.0.0/8'],
        enabled: true,
      },
      cliActor,
    );
    registrar = await ScriptedEndpoint.open({ gatekeeper: gateway.gatekeeper.address(), aliases: ['2302'], callSignalAddress: answering.address });
    assert.equal((await registrar.register()).choice, 'registrationConfirm');
    ringing = await AnsweringEndpoint.listen({ kind: 'ring' });
  });

  /** Registers `alias` with the gatekeeper, taking calls at `at`. */
  const register = async (alias: string, at: AnsweringEndpoint): Promise<void> => {
    const ep = await ScriptedEndpoint.open({ gatekeeper: gateway.gatekeeper.address(), aliases: [alias], callSignalAddress: at.address });
    registrars.push(ep);
    assert.equal((await ep.register()).choice, 'registrationConfirm');
  };

  /** The meeting's dial.attempt and dial.outcome events from now on. */
  const dialEvents = (meetingId: string) => {
    const seen: MeetingEvent[] = [];
    const stop = bridge.calls.engine.events.subscribe(meetingId, (e) => seen.push(e));
    return {
      stop,
      attempt: () => seen.find((e): e is Extract<MeetingEvent, { type: 'dial.attempt' }> => e.type === 'dial.attempt'),
      outcome: () => seen.find((e): e is Extract<MeetingEvent, { type: 'dial.outcome' }> => e.type === 'dial.outcome'),
    };
  };

  after(async () => {
    for (const p of peers) p.close();
    await registrar?.close();
    for (const r of registrars) await r.close();
    await answering?.close();
    await busy?.close();
    await ringing?.close();
    await caller?.stop();
    await bridge?.stop();
  });

  it('calls a registered H.323 site into a live meeting, where a SIP site hears it; ending the meeting releases it', async () => {
    const m = await meeting(2071, 'ia-grai');
    await bridge.calls.lifecycle.live(m);
    const incoming = await waitFor('the site called', async () => answering.calls[0], 10_000, 100);
    assert.deepEqual(incoming.setup.dialled, ['2302']);
    assert.ok(incoming.sendTo, 'the Setup proposes where FreeSWITCH receives audio');
    h323Peer.startTone({ host: incoming.sendTo.ip, port: incoming.sendTo.port }, 1000);

    const h323 = await waitFor(
      'the H.323 site in the meeting',
      async () => bridge.calls.engine.live.participants(m.id).find((p) => p.protocol === 'h323'),
      15_000,
      250,
    );
    assert.deepEqual([h323.direction, h323.name, h323.audioCodec], ['out', 'Xã Ia Grai', 'PCMU']);
    // The SIP room system joins only now: from 127.0.0.1 it would pass for the invited site, and the dialer skips a site already in.
    const sipPeer = await RtpPeer.open();
    peers.push(sipPeer);
    const dialog = await caller.srf.createUAC(`sip:2071@${bridge.target}`, {
      localSdp: sipPeer.sdp(),
      headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' },
    });
    sipPeer.startSilence(sdpAudioTarget(dialog.remote.sdp));
    await waitFor('the SIP site to hear the H.323 one', async () => (sipPeer.toneEnergy(1000, 800) > 0.3 ? true : undefined), 15_000, 250);
    const [attempt] = await bridge.ds.query(`SELECT outcome, sip_status, target FROM dial_attempt WHERE meeting_id = $1`, [m.id]);
    // No directory address: the registration's call signalling address is the only place it could go.
    assert.deepEqual(attempt, { outcome: 'answered', sip_status: 200, target: `h323:2302@127.0.0.1:${answering.address.port}` });

    await bridge.calls.lifecycle.ended(m);
    await incoming.closed;
    assert.equal(incoming.releaseCause, 16, 'the site got Release Complete, normal clearing');
    h323Peer.stop();
    sipPeer.stop();
    dialog.destroy();
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    const open = await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [m.id]);
    assert.deepEqual(open, [{ n: 0 }]);
  });

  it('records a busy H.323 site as busy and keeps nothing of the attempt', async () => {
    const m = await meeting(2072, 'ia-sao');
    await bridge.calls.lifecycle.live(m);
    const attempt = await waitFor(
      'the attempt over',
      async () => {
        const [row] = (await bridge.ds.query(`SELECT outcome, sip_status FROM dial_attempt WHERE meeting_id = $1 AND outcome IS NOT NULL`, [m.id])) as {
          outcome: string;
          sip_status: number;
        }[];
        return row;
      },
      10_000,
      100,
    );
    assert.deepEqual(attempt, { outcome: 'busy', sip_status: 486 });
    assert.equal(busy.calls.length, 1);
    await bridge.calls.lifecycle.ended(m);
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
  });

  it('records where the call really went: the registration, not a stale directory address', async () => {
    // The directory still says where the site used to be (the discard port); it registered elsewhere since.
    await sites.create(
      { code: 'ia-rbol', name: 'Xã Ia Rbol', protocol: 'h323', h323Alias: '2305', h323Address: '127.0.0.1:9', allowedNetworks: ['127.0.0.0/8'], enabled: true },
      cliActor,
    );
    await register('2305', busy);
    const before = busy.calls.length;
    const m = await meeting(2074, 'ia-rbol');
    const events = dialEvents(m.id);
    try {
      await bridge.calls.lifecycle.live(m);
      const row = await waitFor(
        'the attempt over',
        async () => {
          const [r] = (await bridge.ds.query(`SELECT outcome, target FROM dial_attempt WHERE meeting_id = $1 AND outcome IS NOT NULL`, [m.id])) as {
            outcome: string;
            target: string;
          }[];
          return r;
        },
        10_000,
        100,
      );
      const real = `h323:2305@127.0.0.1:${busy.address.port}`;
      assert.deepEqual(row, { outcome: 'busy', target: real });
      assert.equal(busy.calls.length, before + 1, 'the Setup went to the registered address');
      assert.equal(events.attempt()?.target, 'h323:2305@127.0.0.1:9', 'dial.attempt names the dialer’s guess');
      assert.equal(events.outcome()?.target, real, 'dial.outcome names where it really went');
    } finally {
      events.stop();
      await bridge.calls.lifecycle.ended(m);
    }
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
  });

  it('ending the meeting while the H.323 site rings sends it Release Complete; the attempt is cancelled, not retried, and keeps nothing', async () => {
    await sites.create({ code: 'ia-mo', name: 'Xã Ia Mơ', protocol: 'h323', h323Alias: '2304', allowedNetworks: ['127.0.0.0/8'], enabled: true }, cliActor);
    await register('2304', ringing);
    const m = await meeting(2073, 'ia-mo');
    const events = dialEvents(m.id);
    try {
      await bridge.calls.lifecycle.live(m);
      const incoming = await waitFor('the site ringing', async () => ringing.calls[0], 10_000, 50);
      // FreeSWITCH lists a new channel a moment after making it.
      await waitFor('FreeSWITCH to hold the endpoint that made the offer', async () => ((await bridge.channels()) > 0 ? true : undefined), 5000, 100);
      assert.equal(bridge.calls.engine.media.leased(), 1);

      const endedAt = Date.now();
      await bridge.calls.lifecycle.ended(m);
      await incoming.closed;
      assert.equal(incoming.releaseCause, 16, 'Release Complete, normal clearing');
      assert.deepEqual(incoming.bodies, ['releaseComplete']);
      const row = await waitFor(
        'the attempt recorded',
        async () => {
          const [r] = (await bridge.ds.query(
            `SELECT outcome, sip_status, detail, target, ended_at FROM dial_attempt WHERE meeting_id = $1 AND outcome IS NOT NULL`,
            [m.id],
          )) as {
            outcome: string;
            sip_status: number;
            detail: string;
            target: string;
            ended_at: Date;
          }[];
          return r;
        },
        10_000,
        100,
      );
      assert.deepEqual(
        [row.outcome, row.sip_status, row.detail, row.target],
        ['cancelled', 487, 'the meeting ended: cancelled while ringing', `h323:2304@127.0.0.1:${ringing.address.port}`],
      );
      assert.ok(row.ended_at.getTime() - endedAt < 5000, 'ended at the meeting’s end, not at the ring timeout');
      assert.deepEqual([events.outcome()?.outcome, events.outcome()?.retryInMs], ['cancelled', null], 'no retry scheduled');
      assert.deepEqual(bridge.calls.dialer.pending(m.id), []);
    } finally {
      events.stop();
    }
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.equal(bridge.calls.engine.media.leased(), 0, 'the media lease is released');
    assert.equal(ringing.calls.length, 1, 'dialled once');
  });

  it('a site that answers just as the meeting ends is hung up (Release Complete), never joins, and keeps nothing', async () => {
    const ac = new AbortController();
    // The meeting ends in the instant between the Connect and the join: as the answered call is registered.
    const calls = new (class extends CallRegistry {
      override start(...args: Parameters<CallRegistry['start']>) {
        const call = super.start(...args);
        ac.abort('meeting-ended');
        return call;
      }
    })(bridge.calls.engine.participations, bridge.calls.engine.events);
    const before = answering.calls.length;
    const site = await sites.byRef('ia-grai');
    const r = await placeH323Call(
      {
        lookups: bridge.calls.engine.lookups,
        gatekeeper: gateway.gatekeeper,
        placement: bridge.calls.engine.placement,
        calls,
        participations: bridge.calls.engine.participations,
        conferenceProfile: bridge.config.media.conferenceProfile,
        ringTimeoutMs: 5000,
        log: bridge.log,
      },
      { meetingId: randomUUID(), siteId: site.id, name: site.name, uri: 'h323:2302', moderator: false, muted: false, signal: ac.signal },
      2075,
    );
    assert.deepEqual(
      [r.outcome, r.status, r.detail, r.target],
      ['cancelled', 200, 'the meeting ended: answered too late, hung up', `h323:2302@127.0.0.1:${answering.address.port}`],
    );
    const incoming = answering.calls[before]!;
    await incoming.closed;
    assert.equal(incoming.releaseCause, 16, 'Release Complete, normal clearing');
    assert.deepEqual(calls.all(), []);
    const [{ n }] = (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE call_id = $1`, [r.callId])) as { n: number }[];
    assert.equal(n, 0, 'never in the meeting');
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.equal(bridge.calls.engine.media.leased(), 0, 'the media lease is released');
  });

  it('keyframe requests cross a dialled H.323 call both ways (H.245 videoFastUpdatePicture ↔ FreeSWITCH INFO)', async () => {
    const audio = await RtpPeer.open();
    const video = await RtpPeer.open();
    peers.push(audio, video);
    const withVideo = await AnsweringEndpoint.listen({
      kind: 'answer',
      audio: { ip: audio.host, port: audio.port },
      video: { ip: video.host, port: video.port },
    });
    const fsEvents = await eslEvents(bridge.fs.host, bridge.fs.eslPort, bridge.fs.eslPassword, ['RECV_INFO']);
    try {
      await sites.create(
        {
          code: 'ia-pa',
          name: 'Xã Ia Pa',
          protocol: 'h323',
          h323Alias: '2309',
          h323Address: `127.0.0.1:${withVideo.address.port}`,
          allowedNetworks: ['127.0.0.0/8'],
          enabled: true,
        },
        cliActor,
      );
      const m = await meeting(2075, 'ia-pa');
      await bridge.calls.lifecycle.live(m);
      const incoming = await waitFor('the site called', async () => withVideo.calls[0], 10_000, 100);
      const call = await waitFor(
        'the H.323 site in the meeting',
        async () => {
          const c = bridge.calls.engine.calls.get(incoming.setup.callId);
          return c?.state === 'joined' ? c : undefined;
        },
        15_000,
        100,
      );
      assert.ok(bridge.calls.engine.live.participants(m.id).find((p) => p.protocol === 'h323')?.videoCodec, 'video was negotiated');
      const uuid = call.endpoint!.uuid;

      incoming.sendH245([m245.videoFastUpdatePicture(1)]);
      await fsEvents.waitFor((e) => e.headers.get('unique-id') === uuid && /picture_fast_update/.test(e.body));

      const asked = () => incoming.h245.filter((x) => isChoice(x.value) && x.value.choice === 'miscellaneousCommand');
      const before = asked().length;
      await sleep(600); // FreeSWITCH sends at most one such INFO per 500 ms and channel
      await bridge.fs.fsCli(`uuid_video_refresh ${uuid}`);
      const vfu = await waitFor('videoFastUpdatePicture to the dialled endpoint', async () => asked()[before], 5000, 50);
      assert.equal(getNumber(isChoice(vfu.value) ? vfu.value.value : undefined, 'logicalChannelNumber'), ANSWERED_VIDEO_CHANNEL);

      await bridge.calls.lifecycle.ended(m);
      await incoming.closed;
      await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    } finally {
      fsEvents.close();
      await withVideo.close();
    }
  });
});
