import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import type { H323Gateway } from '../../src/calls/h323/gateway';
import { SiteDirectory } from '../../src/directory/sites';
import { attendanceReport } from '../../src/meetings/attendance-report';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, h323Env, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { eslEvents, requireStack, waitFor, type FsEvent } from '../support/stack';
import { setTimeout as sleep } from 'node:timers/promises';
import { h245VideoMaxBitRate } from '../../src/calls/device-profile';
import { MEDIA_CONTROL_TYPE, PICTURE_FAST_UPDATE } from '../../src/calls/keyframes';
import type { SipDialog } from '../../src/calls/sip/srf-types';
import type { AsnValue, ChoiceValue } from '../../src/h323/asn1/types';
import * as m245 from '../../src/h323/messages/h245';
import * as h245 from '../../src/h323/asn1/generated/h245';
import { alt, get, getChoice, getNumber, getSeq, guidText, h245IpPort, isChoice } from '../../src/h323/messages/read';
import { perDecode } from '../../src/h323/per';
import { ScriptedEndpoint } from './support/endpoint';

/**
 * An H.323-only room system in a booked meeting next to a SIP room system: it registers with the
 * gatekeeper by its alias, calls the room with fast start, its audio reaches the SIP caller through
 * the FreeSWITCH conference, it is in the roster and the attendance report, and hanging up leaves
 * nothing behind.
 */
describe('H.323 gateway end to end (real drachtio-server and FreeSWITCH)', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let gateway: H323Gateway;
  let caller: { srf: Srf; stop(): Promise<void> };
  let endpoint: ScriptedEndpoint;
  let meetingId: string;
  const peers: RtpPeer[] = [];

  before(async function () {
    requireStack(this, 'H.323 gateway end to end');
    bridge = await startBridge({ env: await h323Env() });
    caller = await startCaller();
    gateway = bridge.calls.h323!;
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    // A 384 kbit/s line: the sink's answer holds H.245 video to it (checked with the video call below).
    await sites.create(
      { code: 'chu-pong', name: 'Xã Chư Pơng', protocol: 'h323', h323Alias: '2301', allowedNetworks: ['127.0.0.0/8'], enabled: true, bandwidthKbps: 384 },
      cliActor,
    );
    const start = new Date(Date.now() - 60_000);
    meetingId = (
      await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
        {
          title: 'Giao ban',
          roomNumber: 2070,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: ['chu-pong'],
          dialOut: false,
          allowGuests: true,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting.id;
    endpoint = await ScriptedEndpoint.open({ gatekeeper: gateway.gatekeeper.address(), aliases: ['2301'], callSignalAddress: { ip: '127.0.0.1', port: 1720 } });
  });

  after(async () => {
    for (const p of peers) p.close();
    await caller?.stop();
    await bridge?.stop();
  });

  it('registers, calls the room, is heard by a SIP room system through the mix, and is on record', async () => {
    assert.equal((await endpoint.register()).choice, 'registrationConfirm');
    const ids = endpoint.newIds();
    const { reply, to } = await endpoint.admit('2070', ids.callId, ids.conferenceId);
    assert.equal(reply.choice, 'admissionConfirm');

    // A SIP room system already in the room, listening.
    const sipPeer = await RtpPeer.open();
    const h323Peer = await RtpPeer.open();
    peers.push(sipPeer, h323Peer);
    const dialog = await caller.srf.createUAC(`sip:2070@${bridge.target}`, {
      localSdp: sipPeer.sdp(),
      headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' },
    });
    sipPeer.startSilence(sdpAudioTarget(dialog.remote.sdp));

    const placed = await endpoint.call({ to: to!, dial: '2070', audio: { ip: h323Peer.host, port: h323Peer.port }, display: 'Chư Pơng TE30' }, ids);
    const connect = await placed.call.waitForBody('connect');
    const forward = connect.fastStart.map((b) => fastStartTarget(b)).find((t) => t);
    assert.ok(forward, 'Connect names where to send our RTP');
    h323Peer.startTone(forward!, 1000);

    const roster = await waitFor(
      'both in the meeting',
      async () => {
        const r = bridge.calls.engine.live.participants(meetingId);
        return r.length === 2 ? r : undefined;
      },
      15_000,
    );
    const h323 = roster.find((p) => p.protocol === 'h323');
    assert.deepEqual([h323?.name, h323?.audioCodec], ['Xã Chư Pơng', 'PCMU']);
    await waitFor('the SIP room system to hear the H.323 one', async () => (sipPeer.toneEnergy(1000, 800) > 0.3 ? true : undefined), 15_000, 250);

    const report = await attendanceReport(bridge.ds, meetingId, new Date());
    const site = report.sites.find((s) => s.site.code === 'chu-pong');
    assert.equal(site?.attended, true);

    placed.call.hangup(16);
    await waitFor('the H.323 call gone', async () => (bridge.calls.engine.live.participants(meetingId).length === 1 ? true : undefined), 10_000);
    const [row] = await bridge.ds.query(`SELECT protocol, end_reason FROM participation WHERE protocol = 'h323'`);
    assert.deepEqual(row, { protocol: 'h323', end_reason: 'caller-hangup' });
    h323Peer.stop();
    sipPeer.stop();
    await dialog.destroy();
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.deepEqual(gateway.callServer.activeCalls(), []);
  });

  it('slow start: channels opened over H.245 after Connect carry audio both ways through the mix', async () => {
    const ids = endpoint.newIds();
    const { to } = await endpoint.admit('2070', ids.callId, ids.conferenceId);
    const sipPeer = await RtpPeer.open();
    const h323Peer = await RtpPeer.open();
    peers.push(sipPeer, h323Peer);
    const dialog = await caller.srf.createUAC(`sip:2070@${bridge.target}`, {
      localSdp: sipPeer.sdp(),
      headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' },
    });
    sipPeer.startTone(sdpAudioTarget(dialog.remote.sdp), 440);

    const placed = await endpoint.call({ to: to!, dial: '2070', audio: { ip: h323Peer.host, port: h323Peer.port }, noFastStart: true }, ids);
    const connect = await placed.call.waitForBody('connect');
    assert.deepEqual(connect.fastStart, []);
    // The endpoint opens its μ-law channel; the gateway answers with FreeSWITCH's address and opens its own.
    await placed.call.waitForH245('request.terminalCapabilitySet');
    placed.call.sendH245([openAudio(1, h323Peer)]);
    const ack = await placed.call.waitForH245('response.openLogicalChannelAck');
    const toFreeswitch = h245IpPort(get(alt(get(body(ack), 'forwardMultiplexAckParameters'), 'h2250LogicalChannelAckParameters'), 'mediaChannel'));
    assert.ok(toFreeswitch, 'the Ack names where FreeSWITCH receives');
    const ours = await placed.call.waitForH245('request.openLogicalChannel');
    placed.call.sendH245([
      m245.openLogicalChannelAck({
        channel: getNumber(body(ours), 'forwardLogicalChannelNumber')!,
        sessionId: 1,
        media: { ip: h323Peer.host, port: h323Peer.port },
        mediaControl: { ip: h323Peer.host, port: h323Peer.port + 1 },
      }),
    ]);
    h323Peer.startTone({ host: toFreeswitch!.ip, port: toFreeswitch!.port }, 1000);

    await waitFor('the SIP room system to hear the slow-start H.323 one', async () => (sipPeer.toneEnergy(1000, 800) > 0.3 ? true : undefined), 15_000, 250);
    await waitFor('the H.323 room system to hear the SIP one', async () => (h323Peer.toneEnergy(440, 800) > 0.3 ? true : undefined), 15_000, 250);
    assert.equal(bridge.calls.engine.live.participants(meetingId).find((p) => p.protocol === 'h323')?.audioCodec, 'PCMU');

    placed.call.hangup(16);
    h323Peer.stop();
    sipPeer.stop();
    await dialog.destroy();
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.deepEqual(gateway.callServer.activeCalls(), []);
  });

  it('keyframe requests cross over: H.245 videoFastUpdatePicture ↔ SIP INFO picture_fast_update ↔ FreeSWITCH', async () => {
    const fsEvents = await eslEvents(bridge.fs.host, bridge.fs.eslPort, bridge.fs.eslPassword, ['RECV_INFO']);
    try {
      const fastUpdateFor = (uuid: string) => (e: FsEvent) => e.headers.get('unique-id') === uuid && /picture_fast_update/.test(e.body);

      // An H.323 room system with video.
      const ids = endpoint.newIds();
      const { to } = await endpoint.admit('2070', ids.callId, ids.conferenceId);
      const h323Peer = await RtpPeer.open();
      const h323Video = await RtpPeer.open();
      peers.push(h323Peer, h323Video);
      const placed = await endpoint.call(
        { to: to!, dial: '2070', audio: { ip: h323Peer.host, port: h323Peer.port }, video: { ip: h323Video.host, port: h323Video.port } },
        ids,
      );
      const connect = await placed.call.waitForBody('connect');
      // The site's line in H.245: the accepted video channels and our capability set (in the Connect).
      const limit = h245VideoMaxBitRate({ packetizationMode: null, bandwidthKbps: 384 });
      const video = connect.fastStart.map((b) => perDecode(h245.OpenLogicalChannel, b)).filter((o) => rates(o).length);
      assert.deepEqual(video.map(rates), [[limit], [limit]], "video both ways at the site's limit");
      // Main video and H.239 presentation, both held to the line.
      assert.deepEqual(connect.h245.filter((x) => isChoice(x.value) && x.value.choice === 'terminalCapabilitySet').map(rates), [[limit, limit]]);
      const joined = (callId: string) => async () =>
        bridge.calls.engine.calls.get(callId)?.state === 'joined' ? (bridge.calls.engine.calls.get(callId)?.endpoint ?? undefined) : undefined;
      const h323Call = await waitFor('the H.323 call in the conference', joined(guidText(ids.callId)), 15_000);
      assert.ok(bridge.calls.engine.live.participants(meetingId).find((p) => p.protocol === 'h323')?.videoCodec, 'video was negotiated');
      // The endpoint asks for a keyframe: FreeSWITCH gets the INFO on that call's channel.
      placed.call.sendH245([m245.videoFastUpdatePicture(1)]);
      await fsEvents.waitFor(fastUpdateFor(h323Call.uuid));
      // FreeSWITCH asks (as when a decoder needs a fresh picture): the endpoint gets videoFastUpdatePicture on its video channel.
      const asked = () => placed.call.allH245().filter((x) => isChoice(x.value) && x.value.choice === 'miscellaneousCommand').length;
      const before = asked();
      await sleep(600); // FreeSWITCH sends at most one such INFO per 500 ms and channel
      await bridge.fs.fsCli(`uuid_video_refresh ${h323Call.uuid}`);
      await waitFor('videoFastUpdatePicture to the H.323 endpoint', async () => (asked() > before ? true : undefined), 5000, 50);
      const vfu = placed.call
        .allH245()
        .filter((x) => isChoice(x.value) && x.value.choice === 'miscellaneousCommand')
        .at(-1)!;
      assert.equal(getNumber(body(vfu), 'logicalChannelNumber'), placed.txChannels.video);

      // A SIP room system does the same with INFO, both ways.
      const sipPeer = await RtpPeer.open();
      peers.push(sipPeer);
      const dialog = await caller.srf.createUAC(`sip:2070@${bridge.target}`, {
        localSdp: withVideo(sipPeer.sdp(), sipPeer.port + 2),
        headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' },
      });
      const infos: string[] = [];
      dialog.on('info', (req: { get(h: string): string | undefined; body: string }, res: { send(s: number): void }) => {
        infos.push(`${req.get('Content-Type')} ${req.body}`);
        res.send(200);
      });
      const sipCall = await waitFor('the SIP call in the conference', joined(dialog.sip.callId), 15_000);
      // drachtio-srf's bundled typings get Dialog#request wrong; ours follow its source.
      await (dialog as unknown as SipDialog).request({ method: 'INFO', headers: { 'Content-Type': MEDIA_CONTROL_TYPE }, body: PICTURE_FAST_UPDATE });
      await fsEvents.waitFor(fastUpdateFor(sipCall.uuid));
      await sleep(600);
      const seen = infos.length;
      await bridge.fs.fsCli(`uuid_video_refresh ${sipCall.uuid}`);
      await waitFor(
        'INFO picture_fast_update to the SIP room system',
        async () => (infos.slice(seen).some((i) => /^application\/media_control\+xml .*picture_fast_update/s.test(i)) ? true : undefined),
        5000,
        50,
      );

      placed.call.hangup(16);
      await dialog.destroy();
      await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    } finally {
      fsEvents.close();
    }
  });
});

/** Every H.245 maxBitRate in a message. */
const rates = (v: unknown): number[] =>
  typeof v !== 'object' || v === null ? [] : Object.entries(v).flatMap(([k, x]) => (k === 'maxBitRate' && typeof x === 'number' ? [x] : rates(x)));

const body = (m: ChoiceValue): AsnValue | undefined => (isChoice(m.value) ? m.value.value : undefined);

/** The endpoint's OpenLogicalChannel for the μ-law it sends (slow start). */
function openAudio(channel: number, peer: RtpPeer): ChoiceValue {
  return m245.openLogicalChannelRequest(
    m245.openLogicalChannel({
      channel,
      sessionId: 1,
      dataType: { choice: 'audioData', value: m245.audioCapability('g711Ulaw64k') },
      mediaControl: { ip: peer.host, port: peer.port + 1 },
    }),
  );
}

/** A room system's SDP with an H.264 video stream added. */
function withVideo(sdp: string, port: number): string {
  return `${sdp}m=video ${port} RTP/AVP 109\r\na=rtpmap:109 H264/90000\r\na=fmtp:109 packetization-mode=1;profile-level-id=42e01f\r\na=sendrecv\r\n`;
}

/** The RTP address in a fast-start OpenLogicalChannel our side transmits on, if it is one. */
function fastStartTarget(olc: Uint8Array): { host: string; port: number } | undefined {
  const media = readForwardMedia(olc);
  return media ? { host: media.ip, port: media.port } : undefined;
}

function readForwardMedia(bytes: Uint8Array): { ip: string; port: number } | undefined {
  const olc = perDecode(h245.OpenLogicalChannel, bytes);
  const fwd = getSeq(olc, 'forwardLogicalChannelParameters');
  if (getChoice(fwd, 'dataType')?.choice === 'nullData') return undefined;
  const p = alt(get(fwd, 'multiplexParameters'), 'h2250LogicalChannelParameters');
  return h245IpPort(get(p, 'mediaChannel')) ?? undefined;
}
