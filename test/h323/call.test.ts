/**
 * End to end on loopback: gatekeeper + call server + a sink standing in for the SIP side, and a
 * scripted endpoint that registers, is admitted, calls room 2001 with PIN 1234 using fast start
 * and tunnelled H.245, exchanges RTP with the sink's RTP peer, and hangs up. Then rejections,
 * releases from either side, timeouts, hostile input and a leak check; finally every message the
 * call server sent is dissected by tshark.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as h225 from '../../src/h323/asn1/generated/h225';
import * as h245 from '../../src/h323/asn1/generated/h245';
import type { AsnValue, ChoiceValue } from '../../src/h323/asn1/types';
import { startCallServer, type H323CallServer } from '../../src/h323/call/call-server';
import type { H323CallAnswer, H323CallOffer } from '../../src/h323/call/sink';
import { rtcpAddress } from '../../src/h323/messages/common';
import * as m245 from '../../src/h323/messages/h245';
import { alt, choicePath, get, getArray, getChoice, getNumber, getSeq, h245IpPort, isChoice } from '../../src/h323/messages/read';
import { perDecode, perEncode } from '../../src/h323/per';
import * as uu from '../../src/h323/messages/uuie';
import { MessageType, causeIe, encodeQ931, userUserIe } from '../../src/h323/q931/q931';
import { tpktFrame } from '../../src/h323/q931/tpkt';
import { startGatekeeper, type Gatekeeper } from '../../src/h323/ras/gatekeeper';
import { RtpPeer } from '../support/rtp-peer';
import { H264_PT, ScriptedEndpoint, type PlacedCall } from './support/endpoint';
import type { EndpointCall } from './support/endpoint-call';
import { H245Listener } from './support/h245-listener';
import { memoryLogger } from './support/memory-log';
import { TestSink } from './support/test-sink';
import { assertClean, dissect, dissectH245, requireTshark } from './support/tshark';

interface Olc {
  channel: number;
  forward: boolean;
  media?: { ip: string; port: number };
  control?: { ip: string; port: number };
  dataType: string;
  payloadType?: number;
}

/** A fastStart element of ours, read back. */
function readOlc(bytes: Uint8Array): Olc {
  const olc = perDecode(h245.OpenLogicalChannel, bytes);
  const fwd = getSeq(olc, 'forwardLogicalChannelParameters');
  const forward = getChoice(fwd, 'dataType')?.choice !== 'nullData';
  const side = forward ? fwd : getSeq(olc, 'reverseLogicalChannelParameters');
  const p = alt(get(side, 'multiplexParameters'), 'h2250LogicalChannelParameters');
  const dt = getChoice(side, 'dataType');
  const media = h245IpPort(get(p, 'mediaChannel'));
  const control = h245IpPort(get(p, 'mediaControlChannel'));
  const payloadType = getNumber(p, 'dynamicRTPPayloadType');
  return {
    channel: getNumber(olc, 'forwardLogicalChannelNumber')!,
    forward,
    dataType: `${dt?.choice}.${(dt?.value as { choice?: string } | null)?.choice}`,
    ...(media ? { media } : {}),
    ...(control ? { control } : {}),
    ...(payloadType !== undefined ? { payloadType } : {}),
  };
}

/**
 * Active handles by kind, measured the same way before and after (inside an async mocha
 * runnable, whose own timeout timer is then counted in both).
 */
async function settledResources(): Promise<Record<string, number>> {
  await sleep(50);
  await new Promise<void>((r) => setImmediate(r));
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

describe('H.323 calls: scripted endpoint → gatekeeper → call server → sink', function () {
  this.timeout(60_000);
  const logged = memoryLogger();
  let baseline: Record<string, number>;
  let gk: Gatekeeper;
  let server: H323CallServer;
  let ep: ScriptedEndpoint;
  let caller: RtpPeer; // the H.323 endpoint's media
  let bridge: RtpPeer; // the SIP side's media (FreeSWITCH, in production)
  const sink = new TestSink(async () => ({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } }));
  /** Every call-signalling connection we opened: what the server sent on each goes to tshark. */
  const connections: EndpointCall[] = [];
  const h245Listeners: H245Listener[] = [];

  const directory = {
    lookupAlias: async (a: string) => (a === '1001' || a === 'xa-phuoc-hoa' ? { siteId: 'site-1001', name: 'Phước Hòa', allowedNetworks: [] } : null),
  };

  before(async () => {
    baseline = await settledResources();
    server = await startCallServer({ port: 0, sink, log: logged.log, answerTimeoutMs: 1500, setupTimeoutMs: 1000 });
    gk = await startGatekeeper({ port: 0, callSignalAddress: server.address(), directory, log: logged.log });
    ep = await ScriptedEndpoint.open({ gatekeeper: gk.address(), aliases: ['1001', 'xa-phuoc-hoa'] });
    caller = await RtpPeer.open();
    bridge = await RtpPeer.open();
  });

  after(async () => {
    caller?.close();
    bridge?.close();
    for (const c of connections) c.destroy();
    for (const l of h245Listeners) await l.close();
    await ep?.close();
    await gk?.close();
    await server?.close();
  });

  async function place(dial: string, extra: Partial<Parameters<ScriptedEndpoint['call']>[0]> = {}): Promise<PlacedCall> {
    const p = await ep.call({ to: server.address(), dial, audio: { ip: caller.host, port: caller.port }, ...extra });
    connections.push(p.call);
    return p;
  }

  let main: PlacedCall;
  let offer: H323CallOffer;

  it('registers (RRQ/RCF) and is admitted to the gateway (ARQ/ACF)', async () => {
    assert.equal((await ep.discover()).choice, 'gatekeeperConfirm');
    const rcf = await ep.register();
    assert.equal(rcf.choice, 'registrationConfirm');
    assert.deepEqual(gk.findEndpoint('1001')?.siteId, 'site-1001');
    const ids = ep.newIds();
    const { reply, to } = await ep.admit('2001*1234', ids.callId, ids.conferenceId);
    assert.equal(reply.choice, 'admissionConfirm');
    assert.deepEqual(to, server.address());
  });

  it('Setup with fast start → CallProceeding → offer → Connect with OLCs towards the sink', async () => {
    const offered = sink.nextOffer();
    main = await place('2001*1234', { video: { ip: caller.host, port: caller.port + 2 }, display: 'Phước Hòa HDX' });
    const proceeding = await main.call.waitForBody('callProceeding');
    assert.equal(proceeding.q931.messageType, MessageType.callProceeding);
    assert.equal(proceeding.q931.fromDestination, true);
    assert.equal(proceeding.q931.callReference, main.callReference);
    offer = await offered;
    assert.equal(offer.room, 2001);
    assert.equal(offer.pin, '1234');
    assert.equal(offer.callerAlias, '1001');
    assert.equal(offer.callerName, 'Phước Hòa HDX');
    assert.equal(offer.source.ip, '127.0.0.1');
    assert.deepEqual(offer.media!.audio, { ip: caller.host, port: caller.port, codec: 'PCMU' });
    assert.deepEqual(offer.media!.video, { ip: caller.host, port: caller.port + 2, payloadType: H264_PT, profileLevelId: '42e01f' });
    assert.match(offer.callId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(server.activeCalls(), [offer.callId]);
    assert.equal(gk.identifyCaller(offer.callerAlias, offer.source.ip)?.siteId, 'site-1001', "the SIP side can tell the caller's site");
    assert.equal(gk.identifyCaller('1001', '192.0.2.7'), undefined, 'not from another host');

    const connect = await main.call.waitForBody('connect');
    assert.equal(connect.q931.messageType, MessageType.connect);
    const olcs = connect.fastStart.map(readOlc);
    assert.equal(olcs.length, 2, 'audio both ways; video was not answered');
    const fwd = olcs.find((o) => o.forward)!;
    const rev = olcs.find((o) => !o.forward)!;
    assert.equal(fwd.channel, main.txChannels.audio[0], "our accepted forward channel keeps the caller's number");
    assert.equal(fwd.dataType, 'audioData.g711Ulaw64k');
    assert.deepEqual(fwd.media, { ip: bridge.host, port: bridge.port }, 'the caller sends its RTP to the sink');
    assert.deepEqual(fwd.control, { ip: bridge.host, port: bridge.port + 1 });
    assert.equal(rev.dataType, 'audioData.g711Ulaw64k');
    assert.ok(rev.channel > 100, 'a channel number of our own for what we transmit');
    assert.deepEqual(rev.control, { ip: bridge.host, port: bridge.port + 1 });
    assert.equal(rev.media, undefined);
  });

  it("RTP flows both ways between the endpoint and the sink's addresses", async () => {
    const connect = await main.call.waitForBody('connect');
    const toSink = readOlc(connect.fastStart.find((b) => readOlc(b).forward)!).media!;
    caller.startTone({ host: toSink.ip, port: toSink.port }, 1000);
    bridge.startTone({ host: offer.media!.audio!.ip, port: offer.media!.audio!.port }, 440);
    await bothTonesHeard(bridge, 1000, caller, 440);
    caller.stop();
    bridge.stop();
    assert.ok(bridge.received().packets >= 20, `sink got ${bridge.received().packets} packets`);
    assert.ok(caller.received().packets >= 20, `endpoint got ${caller.received().packets} packets`);
    assert.ok(bridge.toneEnergy(1000, 600) > 0.8, "the endpoint's 1 kHz tone reached the sink");
    assert.ok(caller.toneEnergy(440, 600) > 0.8, "the sink's 440 Hz tone reached the endpoint");
  });

  it('tunnelled H.245: TCS acknowledged and ours sent, master/slave decided, round trip, keyframes both ways', async () => {
    const c = main.call;
    const ack = await c.waitForH245('response.terminalCapabilitySetAck');
    assert.equal(getNumber(h245Body(ack), 'sequenceNumber'), 1);
    const tcs = await c.waitForH245('request.terminalCapabilitySet');
    assert.ok(tcs);
    const msdAck = await c.waitForH245('response.masterSlaveDeterminationAck');
    // Gateway (60) outranks a terminal (50): the Ack tells the endpoint it is the slave.
    assert.deepEqual(get(h245Body(msdAck), 'decision'), { choice: 'slave', value: null });
    const ourMsd = await c.waitForH245('request.masterSlaveDetermination');
    assert.equal(getNumber(h245Body(ourMsd), 'terminalType'), 60);
    c.sendH245([m245.masterSlaveDeterminationAck('master'), m245.terminalCapabilitySetAck(1), m245.roundTripDelayRequest(7)]);
    const rtd = await c.waitForH245('response.roundTripDelayResponse');
    assert.equal(getNumber(h245Body(rtd), 'sequenceNumber'), 7);

    c.sendH245([m245.videoFastUpdatePicture(101)]);
    for (let i = 0; i < 50 && sink.keyframes.length === 0; i++) await sleep(20);
    assert.deepEqual(sink.keyframes, [offer.callId], 'the sink hears the keyframe request');
    // Audio-only answer: there is no video channel of the caller's to ask a keyframe on.
    assert.equal(server.requestKeyframe(offer.callId), false);
    assert.equal(server.requestKeyframe('no-such-call'), false);
  });

  it('ReleaseComplete from the endpoint: sink.hangup, the call and its connection are gone; DRQ/DCF', async () => {
    main.call.hangup(16);
    const info = await sink.hangupOf(offer.callId);
    assert.deepEqual(info, { cause: 16, reason: 'released by the endpoint' });
    await main.call.closed;
    assert.deepEqual(server.activeCalls(), []);
    for (let i = 0; i < 50 && server.connectionCount > 0; i++) await sleep(20);
    assert.equal(server.connectionCount, 0);
    assert.equal((await ep.disengage(main)).choice, 'disengageConfirm');
    assert.equal(sink.hangups.filter((h) => h.callId === offer.callId).length, 1, 'hangup told once');
  });

  it("video answered too: H.264 channels with the sink's address and payload type; keyframe request to the endpoint", async () => {
    sink.answer = async () => ({
      kind: 'answer',
      media: {
        audio: { ip: bridge.host, port: bridge.port, codec: 'G722' },
        video: { ip: bridge.host, port: bridge.port + 2, payloadType: 99 },
      },
    });
    const p = await place('2001', { video: { ip: caller.host, port: caller.port + 2 } });
    const connect = await p.call.waitForBody('connect');
    const olcs = connect.fastStart.map(readOlc);
    assert.deepEqual(
      olcs.map((o) => `${o.forward ? 'fwd' : 'rev'} ${o.dataType}`),
      ['fwd audioData.g722-64k', 'rev audioData.g722-64k', 'fwd videoData.genericVideoCapability', 'rev videoData.genericVideoCapability'],
      'the sink chose G.722 among the proposals',
    );
    const vfwd = olcs[2]!;
    const vrev = olcs[3]!;
    assert.deepEqual(vfwd.media, { ip: bridge.host, port: bridge.port + 2 });
    assert.equal(vfwd.payloadType, H264_PT, 'the caller keeps sending with its own payload type');
    assert.equal(vrev.payloadType, 99, "we send with the sink's");
    assert.equal(new Set(olcs.map((o) => o.channel)).size, 4);
    const callId = sink.offers.at(-1)!.callId;
    assert.equal(server.requestKeyframe(callId), true);
    const vfu = await p.call.waitForH245('command.miscellaneousCommand');
    assert.equal(getNumber(h245Body(vfu), 'logicalChannelNumber'), p.txChannels.video);
    assert.equal(server.release(callId, { sipStatus: 200 }), true);
    const rc = await p.call.waitForBody('releaseComplete');
    assert.equal(rc.cause, 16);
    await p.call.closed;
    assert.equal(
      sink.hangups.some((h) => h.callId === callId),
      false,
      'no hangup for a call the sink released',
    );
    sink.answer = async () => ({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } });
  });

  it('a site with a line rate: the accepted video channels and our capability set (in the Connect) carry its maxBitRate', async () => {
    /** Every maxBitRate in a message. */
    const rates = (v: unknown): number[] =>
      typeof v !== 'object' || v === null ? [] : Object.entries(v).flatMap(([k, x]) => (k === 'maxBitRate' && typeof x === 'number' ? [x] : rates(x)));
    sink.answer = async () => ({
      kind: 'answer',
      videoMaxBitRate100bps: 2941,
      media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' }, video: { ip: bridge.host, port: bridge.port + 2, payloadType: 99 } },
    });
    const p = await place('2001', { video: { ip: caller.host, port: caller.port + 2 } });
    const connect = await p.call.waitForBody('connect');
    const video = connect.fastStart.map((b) => perDecode(h245.OpenLogicalChannel, b)).filter((o) => rates(o).length);
    assert.equal(video.length, 2, 'video both ways');
    assert.deepEqual(video.map(rates), [[2941], [2941]], 'the caller proposed 10240 (1.024 Mbit/s)');
    const tcs = connect.h245.filter((x) => isChoice(x.value) && x.value.choice === 'terminalCapabilitySet');
    assert.equal(tcs.length, 1, 'our capability set rides in the Connect');
    assert.deepEqual(rates(tcs[0]), [2941]);
    assert.equal(
      p.call.messages.filter((x) => x.h245.some((y) => isChoice(y.value) && y.value.choice === 'terminalCapabilitySet')).length,
      1,
      'and nowhere else',
    );
    const callId = sink.offers.at(-1)!.callId;
    assert.equal(server.release(callId, { sipStatus: 200 }), true);
    await p.call.closed;
    sink.answer = async () => ({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } });
  });

  it('a rejecting sink: ReleaseComplete with the Q.850 cause mapped from the SIP status', async () => {
    for (const [status, cause] of [
      [404, 1],
      [486, 17],
      [480, 18],
      [403, 21],
      [488, 88],
      [503, 41],
      [500, 41],
      [699, 31],
    ] as const) {
      sink.answer = async () => ({ kind: 'reject', sipStatus: status, reason: 'test' });
      const p = await place('2001');
      const rc = await p.call.waitForBody('releaseComplete');
      assert.equal(rc.cause, cause, `SIP ${status}`);
      assert.equal(rc.q931.messageType, MessageType.releaseComplete);
      await p.call.closed;
    }
    sink.answer = async () => ({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } });
    assert.deepEqual(server.activeCalls(), []);
  });

  it('no room dialled → cause 1; slow start with no H.245 path → cause 88; neither reaches the sink', async () => {
    const before = sink.offers.length;
    const a = await place('reception');
    assert.equal((await a.call.waitForBody('releaseComplete')).cause, 1);
    const b = await place('2001', { noFastStart: true, tunnelling: false });
    assert.equal((await b.call.waitForBody('releaseComplete')).cause, 88);
    assert.equal(sink.offers.length, before);
  });

  /** The sink of a slow-start call: FreeSWITCH (here the bridge peer) takes A-law and μ-law, and H.264. */
  const openChannels = async (): Promise<H323CallAnswer> => ({
    kind: 'open-channels',
    receive: { audio: { ip: bridge.host, port: bridge.port, codecs: ['PCMA', 'PCMU'] }, video: { ip: bridge.host, port: bridge.port + 2, payloadType: 100 } },
  });
  const fastAnswer = async (): Promise<H323CallAnswer> => ({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } });
  const audioDataType = (codec: m245.AudioCodec): ChoiceValue => ({ choice: 'audioData', value: m245.audioCapability(codec) });
  const videoDataType: ChoiceValue = { choice: 'videoData', value: m245.h264Capability({ maxBitRate100bps: 10240 }) };
  const at = (peer: RtpPeer) => ({ ip: peer.host, port: peer.port });

  it('slow start: Connect without fastStart, then channels opened both ways over tunnelled H.245; RTP flows; keyframes', async () => {
    sink.answer = openChannels;
    const offered = sink.nextOffer();
    const p = await place('2001', { noFastStart: true });
    const o = await offered;
    assert.equal(o.media, null, 'a slow-start call is offered without media');
    const connect = await p.call.waitForBody('connect');
    assert.deepEqual(connect.fastStart, []);
    // Our capabilities are exactly what the sink takes, sent only now.
    const tcs = await p.call.waitForH245('request.terminalCapabilitySet');
    const table = getArray(h245Body(tcs), 'capabilityTable').map((e) => choicePath(get(e, 'capability'), 2).join('.'));
    assert.deepEqual(table, ['receiveAudioCapability.g711Alaw64k', 'receiveAudioCapability.g711Ulaw64k', 'receiveVideoCapability.genericVideoCapability']);

    // The endpoint opens what it sends: μ-law, and H.264 with its payload type.
    const videoAt = { ip: caller.host, port: caller.port + 2 };
    p.call.sendH245([
      m245.openLogicalChannelRequest(
        m245.openLogicalChannel({ channel: 1, sessionId: 1, dataType: audioDataType('g711Ulaw64k'), mediaControl: rtcpAddress(at(caller)) }),
      ),
      m245.openLogicalChannelRequest(
        m245.openLogicalChannel({ channel: 2, sessionId: 2, dataType: videoDataType, mediaControl: rtcpAddress(videoAt), dynamicPayloadType: H264_PT }),
      ),
    ]);
    const acks = await waitForAll(p.call, 'response.openLogicalChannelAck', 2);
    const ackOf = (ch: number) => {
      const a = acks.find((x) => getNumber(h245Body(x), 'forwardLogicalChannelNumber') === ch);
      const params = alt(get(h245Body(a!), 'forwardMultiplexAckParameters'), 'h2250LogicalChannelAckParameters');
      return {
        media: h245IpPort(get(params, 'mediaChannel')),
        control: h245IpPort(get(params, 'mediaControlChannel')),
        session: getNumber(params, 'sessionID'),
      };
    };
    assert.deepEqual(ackOf(1), { media: at(bridge), control: rtcpAddress(at(bridge)), session: 1 }, 'the endpoint sends its audio to the sink');
    assert.deepEqual(ackOf(2), { media: { ip: bridge.host, port: bridge.port + 2 }, control: { ip: bridge.host, port: bridge.port + 3 }, session: 2 });

    // We open ours in the same formats (one format per stream on the SIP side), video with the endpoint's payload type.
    const ours = await waitForAll(p.call, 'request.openLogicalChannel', 2);
    const olcs = ours.map((x) => readOlc(perEncode(h245.OpenLogicalChannel, h245Body(x)!)));
    assert.deepEqual(
      olcs.map((x) => [x.forward, x.dataType, x.payloadType ?? null]),
      [
        [true, 'audioData.g711Ulaw64k', null],
        [true, 'videoData.genericVideoCapability', H264_PT],
      ],
    );
    assert.deepEqual(olcs[0]!.control, rtcpAddress(at(bridge)));
    assert.deepEqual(
      sink.channels.filter((c) => c.callId === o.callId),
      [],
      'nothing to report before the endpoint says where it receives',
    );
    p.call.sendH245(
      olcs.map((x, i) =>
        m245.openLogicalChannelAck({
          channel: x.channel,
          sessionId: i + 1,
          media: i ? videoAt : at(caller),
          mediaControl: rtcpAddress(i ? videoAt : at(caller)),
        }),
      ),
    );
    const report = await waitUntil(() => sink.channels.find((c) => c.callId === o.callId));
    assert.deepEqual(report.media, { audio: { ...at(caller), codec: 'PCMU' }, video: { ...videoAt, payloadType: H264_PT, profileLevelId: '42e01f' } });

    caller.startTone({ host: bridge.host, port: bridge.port }, 1000);
    bridge.startTone({ host: caller.host, port: caller.port }, 440);
    await bothTonesHeard(bridge, 1000, caller, 440);
    caller.stop();
    bridge.stop();
    assert.ok(bridge.toneEnergy(1000, 600) > 0.8, "the endpoint's tone reached the sink");
    assert.ok(caller.toneEnergy(440, 600) > 0.8, "the sink's tone reached the endpoint");

    // Keyframes: we ask on the endpoint's video channel; its own request reaches the sink.
    assert.equal(server.requestKeyframe(o.callId), true);
    const vfu = await p.call.waitForH245('command.miscellaneousCommand');
    assert.equal(getNumber(h245Body(vfu), 'logicalChannelNumber'), 2);
    p.call.sendH245([m245.videoFastUpdatePicture(olcs[1]!.channel)]);
    await waitUntil(() => sink.keyframes.includes(o.callId) || undefined);

    p.call.hangup();
    await sink.hangupOf(o.callId);
    await p.call.closed;
    sink.answer = fastAnswer;
  });

  it('slow start: an endpoint that opens nothing gets our channel in its first format we take; refusing it ends the call (88)', async () => {
    sink.answer = openChannels;
    // The scripted endpoint's TCS (in its Setup) lists μ-law only, and no video.
    const offered = sink.nextOffer();
    const p = await place('2001', { noFastStart: true });
    const o = await offered;
    const [olc] = await waitForAll(p.call, 'request.openLogicalChannel', 1);
    const ours = readOlc(perEncode(h245.OpenLogicalChannel, h245Body(olc!)!));
    assert.equal(ours.dataType, 'audioData.g711Ulaw64k');
    await sleep(400);
    assert.equal(
      p.call.allH245().filter((x) => x.choice === 'request' && isChoice(x.value) && x.value.choice === 'openLogicalChannel').length,
      1,
      'no video: the endpoint cannot receive it',
    );
    p.call.sendH245([m245.openLogicalChannelAck({ channel: ours.channel, sessionId: 1, media: at(caller), mediaControl: rtcpAddress(at(caller)) })]);
    const report = await waitUntil(() => sink.channels.find((c) => c.callId === o.callId));
    assert.deepEqual(report.media, { audio: { ...at(caller), codec: 'PCMU' } });
    // A format we did not advertise is refused.
    p.call.sendH245([
      m245.openLogicalChannelRequest(
        m245.openLogicalChannel({ channel: 5, sessionId: 1, dataType: audioDataType('g722-64k'), mediaControl: rtcpAddress(at(caller)) }),
      ),
    ]);
    const reject = await p.call.waitForH245('response.openLogicalChannelReject');
    assert.deepEqual(
      [getNumber(h245Body(reject), 'forwardLogicalChannelNumber'), choicePath(get(h245Body(reject), 'cause'), 1)[0]],
      [5, 'dataTypeNotSupported'],
    );
    p.call.hangup();
    await p.call.closed;

    const offered2 = sink.nextOffer();
    const q = await place('2001', { noFastStart: true });
    const o2 = await offered2;
    const [olc2] = await waitForAll(q.call, 'request.openLogicalChannel', 1);
    q.call.sendH245([m245.openLogicalChannelReject(getNumber(h245Body(olc2!), 'forwardLogicalChannelNumber')!, 'dataTypeNotSupported')]);
    assert.equal((await q.call.waitForBody('releaseComplete')).cause, 88);
    assert.equal((await sink.hangupOf(o2.callId)).reason, 'the endpoint refused our audio channel');
    await q.call.closed;
    sink.answer = fastAnswer;
  });

  it('the room may come from the Q.931 called party number, the PIN after #; without tunnelling no H.245 is sent', async () => {
    const offered = sink.nextOffer();
    const p = await place('gateway', { calledNumber: '2002#77', tunnelling: false });
    const o = await offered;
    assert.equal(o.room, 2002);
    assert.equal(o.pin, '77');
    await p.call.waitForBody('connect');
    assert.deepEqual(p.call.allH245(), []);
    assert.equal(
      p.call.messages.every((m) => get(m.uu, 'h245Tunnelling') === false),
      true,
      'tunnelling refused in kind',
    );
    p.call.hangup();
    await p.call.closed;
  });

  it('the endpoint hangs up while the offer is pending: sink.hangup, late answer ignored', async () => {
    let answerNow: (() => void) | undefined;
    sink.answer = () =>
      new Promise((resolve) => {
        answerNow = () => resolve({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } });
      });
    const offered = sink.nextOffer();
    const p = await place('2001');
    const o = await offered;
    p.call.hangup(17);
    assert.deepEqual(await sink.hangupOf(o.callId), { cause: 17, reason: 'released by the endpoint' });
    answerNow!();
    await p.call.closed;
    await waitUntil(() => (server.activeCalls().length ? undefined : true)).catch(() => undefined);
    assert.equal(
      p.call.messages.some((m) => m.body === 'connect'),
      false,
    );
    assert.deepEqual(server.activeCalls(), []);
    sink.answer = async () => ({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } });
  });

  it('no answer in time: ReleaseComplete 102 and sink.hangup', async () => {
    sink.answer = () => new Promise(() => undefined);
    const offered = sink.nextOffer();
    const p = await place('2001');
    const o = await offered;
    const rc = await p.call.waitForBody('releaseComplete', 4000);
    assert.equal(rc.cause, 102);
    assert.equal((await sink.hangupOf(o.callId)).reason, 'no answer in time');
    sink.answer = async () => ({ kind: 'answer', media: { audio: { ip: bridge.host, port: bridge.port, codec: 'PCMU' } } });
  });

  it('Status Enquiry is answered with Status (cause 30, call state)', async () => {
    const p = await place('2001');
    await p.call.waitForBody('connect');
    p.call.sendQ931(MessageType.statusEnquiry, []);
    const status = await p.call.waitForBody('status');
    assert.equal(status.q931.messageType, MessageType.status);
    assert.equal(status.cause, 30);
    p.call.hangup();
    await p.call.closed;
  });

  it('hostile input closes only that connection, with a log line; the server goes on', async () => {
    const dropped = () => logged.records.filter((r) => r.msg === 'H.225: dropping the connection').length;
    const before = dropped();
    const hostile: Uint8Array[] = [
      Uint8Array.of(1, 2, 3, 4, 5, 6), // not TPKT
      tpktFrame(Uint8Array.of(0x09, 2, 0, 1, 5)), // not Q.931
      tpktFrame(Uint8Array.of(0x08, 2, 0, 1, 5, 0x7e, 0, 4, 5, 0xff, 0xff, 0xff)), // Setup with garbage PER
      tpktFrame(Uint8Array.of(0x08, 2, 0, 1, 5, 0x7e, 0x01)), // truncated user-user IE
      tpktFrame(Uint8Array.of(0x08, 2, 0, 1, 5, causeIe(16).id)), // Setup without H.225 at all
    ];
    for (const bytes of hostile) {
      const raw = await rawConnection(server.address());
      raw.write(bytes);
      await new Promise<void>((r) => raw.once('close', () => r()));
    }
    assert.ok(dropped() - before >= hostile.length, `${dropped() - before} connections dropped`);
    // Silence after connecting: dropped after the Setup timeout.
    const idle = await rawConnection(server.address());
    await new Promise<void>((r) => idle.once('close', () => r()));
    assert.ok(logged.records.some((r) => r.why === 'no Setup received in time'));
    const p = await place('2001');
    assert.ok(await p.call.waitForBody('connect'), 'still taking calls');
    p.call.hangup();
    await p.call.closed;
  });

  it('bit-flipped Setups never make the server fail internally', async () => {
    const internal = () => logged.records.filter((r) => r.msg === 'H.225: handling failed' || r.msg === 'H.225: call setup failed').length;
    const before = internal();
    const template = setupBytes();
    let seed = 1720;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 120; i++) {
      const bytes = Uint8Array.from(template);
      for (let k = 0; k < 1 + (i % 4); k++) {
        const bit = rand(bytes.length * 8);
        bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
      }
      const raw = await rawConnection(server.address());
      raw.write(tpktFrame(bytes));
      // Whatever happens (dropped, released, offered and answered), the connection must end or answer.
      await sleep(5);
      raw.destroy();
    }
    for (let i = 0; i < 100 && server.connectionCount > 0; i++) await sleep(20);
    assert.equal(internal() - before, 0, 'only decode errors, never an exception of ours');
    const p = await place('2001');
    assert.ok(await p.call.waitForBody('connect'), 'still taking calls');
    p.call.hangup();
    await p.call.closed;
  });

  it('separate H.245 channel: the server connects to the h245Address of a non-tunnelling Setup', async () => {
    const listener = await H245Listener.open();
    h245Listeners.push(listener);
    const offered = sink.nextOffer();
    const p = await place('2001', { tunnelling: false, h245Address: listener.address, video: { ip: caller.host, port: caller.port + 2 } });
    const o = await offered;
    await listener.connected;
    await listener.waitFor('request.terminalCapabilitySet');
    const msd = await listener.waitFor('request.masterSlaveDetermination');
    assert.equal(getNumber(h245Body(msd), 'terminalType'), 60);
    listener.send([
      m245.terminalCapabilitySet({ seq: 3, audio: [m245.receiveAudio(1, 'g711Alaw64k')], video: [] }),
      m245.roundTripDelayRequest(42),
      m245.videoFastUpdatePicture(102),
    ]);
    assert.equal(getNumber(h245Body(await listener.waitFor('response.terminalCapabilitySetAck')), 'sequenceNumber'), 3);
    assert.equal(getNumber(h245Body(await listener.waitFor('response.roundTripDelayResponse')), 'sequenceNumber'), 42);
    for (let i = 0; i < 50 && !sink.keyframes.includes(o.callId); i++) await sleep(20);
    assert.ok(sink.keyframes.includes(o.callId), 'keyframe request over the separate channel');
    await p.call.waitForBody('connect');
    assert.deepEqual(p.call.allH245(), [], 'nothing tunnelled');
    p.call.hangup();
    await listener.waitFor('command.endSessionCommand');
    await listener.closed;
    await p.call.closed;
  });

  it('a separate H.245 address on another host is not connected to', async () => {
    const p = await place('2001', { tunnelling: false, h245Address: { ip: '192.0.2.1', port: 1 } });
    await p.call.waitForBody('connect');
    assert.ok(logged.records.some((r) => r.msg === 'H.245: address on another host than the call; not connecting'));
    p.call.hangup();
    await p.call.closed;
  });

  it('close() leaves no socket, server or timer behind', async () => {
    caller.close();
    bridge.close();
    for (const c of connections) c.destroy();
    for (const l of h245Listeners) await l.close();
    await ep.close();
    await gk.close();
    await server.close();
    const now = await settledResources();
    for (const kind of ['TCPSocketWrap', 'TCPServerWrap', 'UDPWrap', 'Timeout', 'Immediate']) {
      assert.ok((now[kind] ?? 0) <= (baseline[kind] ?? 0), `${kind}: ${now[kind] ?? 0} now, ${baseline[kind] ?? 0} before`);
    }
    assert.equal(server.connectionCount, 0);
  });

  it('every message the call server sent decodes in tshark (H.225, fastStart OLCs, tunnelled H.245)', function () {
    requireTshark(this, this.test?.title ?? 'tshark check');
    const sent = connections.flatMap((c) => c.frames);
    assert.ok(sent.length >= 30, `${sent.length} messages`);
    const frames = dissect(sent.map((q931) => ({ proto: 'tcp' as const, sport: 1720, dport: 40000, payload: tpktFrame(q931) })));
    assert.equal(frames.length, sent.length);
    frames.forEach((f, i) => {
      assertClean(f, `message ${i}`);
    });
    const text = frames.join('\n');
    for (const body of ['callProceeding', 'connect', 'releaseComplete', 'empty', 'status']) assert.match(text, new RegExp(`h323-message-body: ${body}`), body);
    assert.match(text, /fastStart: 4 items/);
    assert.match(text, /g722-64k/);
    assert.match(text, /maxBitRate: 2941/, "a profiled site's video limit, in its fastStart OLCs and our TCS");
    assert.match(text, /terminalCapabilitySetAck/);
    assert.match(text, /masterSlaveDeterminationAck/);
    assert.match(text, /roundTripDelayResponse/);
    assert.match(text, /videoFastUpdatePicture/);
    assert.match(text, /Cause value: User busy \(17\)/);
    assert.match(text, /Cause value: Unallocated \(unassigned\) number \(1\)/);
    const h245Sent = h245Listeners.flatMap((l) => l.raw);
    assert.ok(h245Sent.length >= 5, `${h245Sent.length} H.245 PDUs on the separate channel`);
    const h245Frames = dissectH245(h245Sent);
    assert.equal(h245Frames.length, h245Sent.length);
    h245Frames.forEach((f, i) => {
      assertClean(f, `H.245 PDU ${i}`);
    });
    assert.match(h245Frames.join('\n'), /endSessionCommand/);
  });
});

function rawConnection(to: { ip: string; port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(to.port, to.ip, () => resolve(s));
    s.once('error', reject);
    s.on('error', () => undefined);
  });
}

/** The first `count` tunnelled H.245 messages named `name`, once they have all arrived. */
async function waitForAll(call: EndpointCall, name: string, count: number): Promise<ChoiceValue[]> {
  const matching = () => call.allH245().filter((x) => isChoice(x.value) && `${x.choice}.${x.value.choice}` === name);
  return await waitUntil(() => (matching().length >= count ? matching().slice(0, count) : undefined));
}

/**
 * At least 800 ms of tones both ways, and up to 5 s for both to be heard: a loaded machine delays
 * the first packets (the caller asserts the energies, this only waits for them).
 */
async function bothTonesHeard(a: RtpPeer, aHears: number, b: RtpPeer, bHears: number): Promise<void> {
  await sleep(800);
  await waitUntil(() => (a.toneEnergy(aHears, 600) > 0.8 && b.toneEnergy(bHears, 600) > 0.8 ? true : undefined)).catch(() => undefined);
}

async function waitUntil<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(20);
  }
}

/** The body of a tunnelled H.245 message (the value inside request/response/command). */
function h245Body(m: ChoiceValue): AsnValue | undefined {
  return isChoice(m.value) ? m.value.value : undefined;
}

/** A valid Setup (Q.931 with H.225 user-user IE, fast start and tunnelled H.245) to mutate. */
function setupBytes(): Uint8Array {
  const olc = (dir: 'f' | 'r', channel: number): Uint8Array =>
    perEncode(
      h245.OpenLogicalChannel,
      dir === 'f'
        ? m245.openLogicalChannel({
            channel,
            sessionId: 1,
            dataType: { choice: 'audioData', value: m245.audioCapability('g711Ulaw64k') },
            mediaControl: { ip: '127.0.0.1', port: 9 },
          })
        : m245.openReverseLogicalChannel({
            channel,
            sessionId: 1,
            dataType: { choice: 'audioData', value: m245.audioCapability('g711Ulaw64k') },
            media: { ip: '127.0.0.1', port: 8 },
            mediaControl: { ip: '127.0.0.1', port: 9 },
          }),
    );
  const value = uu.setup({
    callId: Uint8Array.from({ length: 16 }, (_, i) => i),
    conferenceId: Uint8Array.from({ length: 16 }, (_, i) => 100 + i),
    sourceAliases: ['1001'],
    destAliases: ['2001*1234'],
    fastStart: [olc('f', 1), olc('r', 2)],
    h245Control: [perEncode(h245.MultimediaSystemControlMessage, m245.masterSlaveDetermination(50, 7))],
  });
  return encodeQ931({
    callReference: 5,
    fromDestination: false,
    messageType: MessageType.setup,
    ies: [userUserIe(perEncode(h225.H323_UserInformation, value))],
  });
}
