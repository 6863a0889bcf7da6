/**
 * The pure parts of the call server: SIP ↔ Q.850 cause mapping, fast-start proposal selection
 * and answers, H.241 → SDP profile-level-id, and the H.245 session's procedures (master/slave
 * determination arithmetic, answers to each request) without any socket.
 */
import assert from 'node:assert/strict';
import * as h245 from '../../src/h323/asn1/generated/h245';
import type { AsnValue, ChoiceValue } from '../../src/h323/asn1/types';
import { q850ToSipStatus, sipStatusToQ850 } from '../../src/h323/call/cause';
import { acceptFromUs, acceptToUs, h241ToProfileLevelId, offeredMedia, parseFastStart, selectFastStart } from '../../src/h323/call/fast-start';
import { H245Session } from '../../src/h323/call/h245-session';
import { LogicalChannels, receiveCapabilities } from '../../src/h323/call/logical-channels';
import * as m from '../../src/h323/messages/h245';
import { alt, get, getNumber, h245IpPort, isChoice } from '../../src/h323/messages/read';
import { perDecode, perEncode } from '../../src/h323/per';
import * as h323 from '../../src/h323';
import { memoryLogger } from './support/memory-log';

describe('SIP status ↔ Q.850 cause', () => {
  it('maps SIP final responses to causes (RFC 3398 with the gateway choices)', () => {
    const table: [number, number][] = [
      [200, 16],
      [404, 1],
      [486, 17],
      [480, 18],
      [403, 21],
      [488, 88],
      [503, 41],
      [500, 41],
      [408, 102],
      [484, 28],
      [487, 16],
      [600, 17],
      [603, 21],
      [604, 1],
      [606, 58],
      [401, 21],
      [410, 22],
      [502, 38],
      [699, 31],
      [499, 31],
    ];
    for (const [status, cause] of table) assert.equal(sipStatusToQ850(status), cause, `SIP ${status}`);
  });

  it('maps causes to SIP final responses, by class when unlisted', () => {
    const table: [number, number][] = [
      [1, 404],
      [3, 404],
      [16, 480],
      [17, 486],
      [18, 408],
      [19, 480],
      [21, 403],
      [22, 410],
      [27, 502],
      [28, 484],
      [31, 480],
      [34, 503],
      [38, 503],
      [41, 503],
      [47, 503],
      [58, 503],
      [65, 488],
      [79, 501],
      [88, 488],
      [102, 504],
      [111, 500],
      [127, 500],
      [25, 480],
      [44, 503],
      [99, 500],
    ];
    for (const [cause, status] of table) assert.equal(q850ToSipStatus(cause), status, `cause ${cause}`);
  });

  it('the main rejections survive a round trip both ways', () => {
    for (const s of [404, 486, 403, 488, 503, 484]) assert.equal(q850ToSipStatus(sipStatusToQ850(s)), s, `SIP ${s}`);
    for (const c of [1, 17, 21, 88, 41, 28, 102]) assert.equal(sipStatusToQ850(q850ToSipStatus(c)), c, `cause ${c}`);
  });
});

/** Every maxBitRate anywhere in a message. */
const rates = (v: unknown): number[] =>
  typeof v !== 'object' || v === null ? [] : Object.entries(v).flatMap(([k, x]) => (k === 'maxBitRate' && typeof x === 'number' ? [x] : rates(x)));
const audio = (codec: m.AudioCodec): ChoiceValue => ({ choice: 'audioData', value: m.audioCapability(codec) });
const video = (): ChoiceValue => ({ choice: 'videoData', value: m.h264Capability({ maxBitRate100bps: 10240, level: 85, profile: 64 }) });
const A = { ip: '10.1.2.3', port: 5000 };
const enc = (olc: ReturnType<typeof m.openLogicalChannel>): Uint8Array => perEncode(h245.OpenLogicalChannel, olc);
const fwd = (channel: number, dataType: ChoiceValue, sessionId: 1 | 2 = 1, pt?: number) =>
  enc(m.openLogicalChannel({ channel, sessionId, dataType, mediaControl: { ip: A.ip, port: A.port + 1 }, ...(pt ? { dynamicPayloadType: pt } : {}) }));
const rev = (channel: number, dataType: ChoiceValue, sessionId: 1 | 2 = 1, port = A.port, pt?: number) =>
  enc(
    m.openReverseLogicalChannel({
      channel,
      sessionId,
      dataType,
      media: { ip: A.ip, port },
      mediaControl: { ip: A.ip, port: port + 1 },
      ...(pt ? { dynamicPayloadType: pt } : {}),
    }),
  );

describe('fast start proposals', () => {
  const proposals = [
    fwd(1, audio('g711Ulaw64k')),
    rev(2, audio('g711Ulaw64k')),
    fwd(3, audio('g722-64k')),
    rev(4, audio('g722-64k')),
    Uint8Array.of(0xff, 0x00, 0x13), // undecodable: skipped
    enc(m.openLogicalChannel({ channel: 5, sessionId: 1, dataType: { choice: 'audioData', value: { choice: 'g729', value: 2 } }, mediaControl: A })), // unsupported
    fwd(6, video(), 2, 109),
    rev(7, video(), 2, 5002, 109),
  ];

  it('reads direction, format, addresses and payload types; skips what it cannot use', () => {
    const p = parseFastStart(proposals);
    assert.deepEqual(
      p.map((x) => `${x.channel} ${x.direction} ${x.format.kind === 'audio' ? x.format.codec : 'H264'}`),
      ['1 toUs PCMU', '2 fromUs PCMU', '3 toUs G722', '4 fromUs G722', '6 toUs H264', '7 fromUs H264'],
    );
    assert.deepEqual(p[1]!.rtp, A);
    assert.deepEqual(p[0]!.rtcp, { ip: A.ip, port: A.port + 1 });
    assert.equal(p[5]!.payloadType, 109);
    assert.deepEqual(p[5]!.format, { kind: 'video', profile: 64, level: 85 });
  });

  it("selects the caller's first format proposed both ways, or the one the sink accepts", () => {
    const p = parseFastStart(proposals);
    const sel = selectFastStart(p);
    assert.equal(sel.audio?.codec, 'PCMU');
    assert.equal(sel.video?.payloadType, 109);
    assert.deepEqual(offeredMedia(sel), { audio: { ...A, codec: 'PCMU' }, video: { ip: A.ip, port: 5002, payloadType: 109, profileLevelId: '42e028' } });
    assert.equal(selectFastStart(p, (f) => f.kind !== 'audio' || f.codec === 'G722').audio?.codec, 'G722');
    assert.equal(selectFastStart(p, (f) => f.kind !== 'audio' || f.codec === 'PCMA').audio, undefined);
    assert.equal(selectFastStart(parseFastStart([rev(2, audio('g711Alaw64k'))])).audio, undefined, 'one direction only');
  });

  it('answers: the forward channel gets our RTP/RTCP; the reverse one our channel number and RTCP, no mediaChannel', () => {
    const p = parseFastStart(proposals);
    const sel = selectFastStart(p);
    const sink = { ip: '10.9.9.9', port: 7000 };
    const toUs = perDecode(h245.OpenLogicalChannel, acceptToUs(sel.audio!.toUs, sink));
    const fp = alt(get(get(toUs, 'forwardLogicalChannelParameters'), 'multiplexParameters'), 'h2250LogicalChannelParameters');
    assert.equal(getNumber(toUs, 'forwardLogicalChannelNumber'), 1);
    assert.deepEqual(h245IpPort(get(fp, 'mediaChannel')), sink);
    assert.deepEqual(h245IpPort(get(fp, 'mediaControlChannel')), { ip: sink.ip, port: 7001 });
    const fromUs = perDecode(h245.OpenLogicalChannel, acceptFromUs(sel.video!.fromUs, 101, sink, 99));
    const rp = alt(get(get(fromUs, 'reverseLogicalChannelParameters'), 'multiplexParameters'), 'h2250LogicalChannelParameters');
    assert.equal(getNumber(fromUs, 'forwardLogicalChannelNumber'), 101);
    assert.equal(get(rp, 'mediaChannel'), undefined);
    assert.deepEqual(h245IpPort(get(rp, 'mediaControlChannel')), { ip: sink.ip, port: 7001 });
    assert.equal(getNumber(rp, 'dynamicRTPPayloadType'), 99);
    assert.equal(getNumber(rp, 'sessionID'), 2);
  });

  it("answers hold video to a site's line both ways (maxBitRate lowered, never raised); audio untouched", () => {
    const sel = selectFastStart(parseFastStart(proposals));
    const sink = { ip: '10.9.9.9', port: 7000 };
    const read = (bytes: Uint8Array) => rates(perDecode(h245.OpenLogicalChannel, bytes));
    assert.deepEqual(read(acceptToUs(sel.video!.toUs, sink, 2941)), [2941], 'what the caller sends us');
    assert.deepEqual(read(acceptFromUs(sel.video!.fromUs, 101, sink, 99, 2941)), [2941], 'what we send the caller');
    assert.deepEqual(read(acceptToUs(sel.video!.toUs, sink, 20480)), [10240], "a line above the caller's proposal keeps the proposal");
    assert.deepEqual(read(acceptFromUs(sel.video!.fromUs, 101, sink, 99)), [10240], 'no profile: as proposed');
    assert.deepEqual(acceptToUs(sel.audio!.toUs, sink, 2941), acceptToUs(sel.audio!.toUs, sink));
    const fromUs = perDecode(h245.OpenLogicalChannel, acceptFromUs(sel.video!.fromUs, 101, sink, 99, 2941));
    assert.deepEqual(
      parseFastStart([perEncode(h245.OpenLogicalChannel, fromUs)])[0]!.format,
      { kind: 'video', profile: 64, level: 85 },
      'profile and level kept',
    );
  });

  it('H.241 profile and level → SDP profile-level-id', () => {
    assert.equal(h241ToProfileLevelId(64, 71), '42e01f');
    assert.equal(h241ToProfileLevelId(64 | 8, 85), '42e028', 'Baseline preferred when offered with High');
    assert.equal(h241ToProfileLevelId(8, 85), '640028');
    assert.equal(h241ToProfileLevelId(32, 64), '4d401e');
    assert.equal(h241ToProfileLevelId(64, 29), '42e00c');
    assert.equal(h241ToProfileLevelId(64, 30), undefined, 'not an H.241 level value');
    assert.equal(h241ToProfileLevelId(1, 71), undefined, 'no profile we map');
    assert.equal(h241ToProfileLevelId(undefined, 71), undefined);
  });
});

describe('H.245 session procedures', () => {
  function session(): { s: H245Session; out: ChoiceValue[]; keyframes: number[]; ended: number[] } {
    const out: ChoiceValue[] = [];
    const keyframes: number[] = [];
    const ended: number[] = [];
    const s = new H245Session(
      (pdus) => {
        for (const p of pdus) {
          const v = perDecode(h245.MultimediaSystemControlMessage, p);
          if (isChoice(v)) out.push(v);
        }
      },
      { keyframeRequest: (c) => keyframes.push(c), endSession: () => ended.push(1) },
      memoryLogger().log,
    );
    return { s, out, keyframes, ended };
  }
  const name = (v: ChoiceValue): string => (isChoice(v.value) ? `${v.choice}.${v.value.choice}` : v.choice);
  const body = (v: ChoiceValue): AsnValue | undefined => (isChoice(v.value) ? v.value.value : undefined);
  const feed = (s: H245Session, v: ChoiceValue): void => s.receive(perEncode(h245.MultimediaSystemControlMessage, v));

  it('opens with our capability set and a master/slave determination as a gateway (60)', () => {
    const { s, out } = session();
    s.start();
    assert.deepEqual(out.map(name), ['request.terminalCapabilitySet', 'request.masterSlaveDetermination']);
    assert.equal(getNumber(body(out[1]!), 'terminalType'), 60);
  });

  it("an answered call advertises the site's video limit: held back at start, then in advertise() and every later TCS", () => {
    const { s, out } = session();
    s.start({ capabilities: false });
    assert.deepEqual(out.map(name), ['request.masterSlaveDetermination'], 'no capabilities before the sink answered');
    s.advertise(2941);
    assert.equal(name(out[1]!), 'request.terminalCapabilitySet');
    assert.deepEqual(rates(out[1]), [2941]);
    feed(s, { choice: 'command', value: { choice: 'sendTerminalCapabilitySet', value: { choice: 'genericRequest', value: null } } });
    assert.deepEqual(rates(out[2]), [2941], 'asked again: the same limit');
    const unprofiled = session();
    unprofiled.s.start({ capabilities: false });
    unprofiled.s.advertise(undefined);
    assert.deepEqual(rates(unprofiled.out[1]), [20480], "no profile: the gateway's default");
    const dialOut = session();
    dialOut.s.start({ capabilities: true, videoMaxBitRate100bps: 2941 });
    assert.deepEqual(rates(dialOut.out[0]), [2941], 'dial-out knows the site from the start');
    const above = session();
    above.s.advertise(50000);
    assert.deepEqual(rates(above.out[0]), [20480], "never above the gateway's default");
  });

  it('decides master/slave by terminal type, then by status number modulo 2^24; identical numbers are rejected', () => {
    const cases: [type: number, delta: number, expectAck: string | undefined, result: string | undefined][] = [
      [50, 0, 'slave', 'master'], // a terminal: we (gateway) are master, the Ack tells it "slave"
      [190, 0, 'master', 'slave'], // an MCU outranks us
      [60, 5, 'master', 'slave'], // (remote - ours) mod 2^24 = 5 < 2^23: remote is master
      [60, -5, 'slave', 'master'],
      [60, 1 << 23, undefined, undefined], // indeterminate
    ];
    for (const [type, delta, ack, result] of cases) {
      const { s, out } = session();
      s.start();
      const ours = getNumber(body(out[1]!), 'statusDeterminationNumber')!;
      feed(s, m.masterSlaveDetermination(type, (ours + delta + (1 << 24)) % (1 << 24)));
      const reply = out[2]!;
      if (ack === undefined) {
        assert.equal(name(reply), 'response.masterSlaveDeterminationReject');
        assert.equal(s.masterSlave, undefined);
      } else {
        assert.equal(name(reply), 'response.masterSlaveDeterminationAck', `type ${type} delta ${delta}`);
        assert.deepEqual(get(body(reply), 'decision'), { choice: ack, value: null });
        assert.equal(s.masterSlave, result);
      }
    }
    const { s, out } = session();
    s.start();
    const ours = getNumber(body(out[1]!), 'statusDeterminationNumber')!;
    feed(s, m.masterSlaveDetermination(60, ours));
    assert.equal(name(out[2]!), 'response.masterSlaveDeterminationReject');
  });

  it('an Ack to our determination is answered once, with the opposite decision', () => {
    const { s, out } = session();
    s.start();
    feed(s, m.masterSlaveDeterminationAck('master'));
    assert.equal(s.masterSlave, 'master');
    assert.deepEqual(get(body(out[2]!), 'decision'), { choice: 'slave', value: null });
    feed(s, m.masterSlaveDeterminationAck('master'));
    assert.equal(out.length, 3);
  });

  it('answers TCS, round trip, close, open (refused), unknown requests; reports keyframe and end of session; skips garbage', () => {
    const { s, out, keyframes, ended } = session();
    feed(s, m.terminalCapabilitySet({ seq: 9, audio: [m.receiveAudio(1, 'g711Alaw64k')], video: [] }));
    feed(s, m.roundTripDelayRequest(200));
    feed(s, m.closeLogicalChannel(12));
    feed(s, m.openLogicalChannelRequest(m.openLogicalChannel({ channel: 30, sessionId: 3, dataType: video(), mediaControl: A })));
    feed(s, { choice: 'request', value: { choice: 'maintenanceLoopRequest', value: { type: { choice: 'systemLoop', value: null } } } });
    feed(s, m.videoFastUpdatePicture(101));
    feed(s, m.endSessionCommand());
    s.receive(Uint8Array.of(0x02, 0xff));
    assert.deepEqual(out.map(name), [
      'response.terminalCapabilitySetAck',
      'response.roundTripDelayResponse',
      'response.closeLogicalChannelAck',
      'response.openLogicalChannelReject',
      'indication.functionNotUnderstood',
    ]);
    assert.equal(getNumber(body(out[0]!), 'sequenceNumber'), 9);
    assert.equal(getNumber(body(out[1]!), 'sequenceNumber'), 200);
    assert.equal(getNumber(body(out[2]!), 'forwardLogicalChannelNumber'), 12);
    assert.deepEqual(keyframes, [101]);
    assert.deepEqual(ended, [1]);
    assert.ok(s.capabilitiesReceived);
  });
});

describe('H.323 public surface (src/h323/index.ts)', () => {
  it('starts the gatekeeper and call server on loopback by default and closes them', async () => {
    assert.deepEqual(
      Object.keys(h323)
        .filter((k) => k !== '__esModule' && k !== 'default')
        .sort(),
      ['Q850', 'placeH323', 'q850ToSipStatus', 'sipStatusToQ850', 'startCallServer', 'startGatekeeper'],
    );
    const server = await h323.startCallServer({
      port: 0,
      sink: {
        offer: async () => ({ kind: 'reject', sipStatus: 503, reason: 'test' }),
        hangup: () => undefined,
        channelsOpen: () => undefined,
        keyframeRequest: () => undefined,
      },
    });
    const gk = await h323.startGatekeeper({ port: 0, callSignalAddress: server.address(), directory: { lookupAlias: async () => null } });
    try {
      assert.equal(server.address().ip, '127.0.0.1');
      assert.equal(gk.address().ip, '127.0.0.1');
      assert.equal(h323.sipStatusToQ850(486), h323.Q850.userBusy);
    } finally {
      await gk.close();
      await server.close();
    }
  });
});

describe("slow start: the endpoint's receive capabilities", () => {
  it('reads G.711/G.722 and H.264 receive capabilities in table order; skips transmit-only and unknown ones', () => {
    const tcs = m.terminalCapabilitySet({
      seq: 1,
      audio: [
        m.receiveAudio(1, 'g722-64k'),
        { number: 2, capability: { choice: 'transmitAudioCapability', value: m.audioCapability('g711Alaw64k') } },
        m.receiveAudio(3, 'g711Ulaw64k'),
      ],
      video: [m.receiveVideo(4, m.h264Capability({ maxBitRate100bps: 10240, profile: 64, level: 71 }))],
    });
    const caps = receiveCapabilities(isChoice(tcs.value) ? tcs.value.value : undefined);
    assert.deepEqual(
      caps.map((c) => c.format),
      [
        { kind: 'audio', codec: 'G722' },
        { kind: 'audio', codec: 'PCMU' },
        { kind: 'video', profile: 64, level: 71 },
      ],
    );
    assert.equal(caps[2]!.dataType.choice, 'videoData');
    assert.deepEqual(receiveCapabilities(undefined), []);
  });

  it("holds video to a site's line rate: in our capabilities, in the channel we open, and below the endpoint's own", () => {
    const sent: ChoiceValue[] = [];
    const receive = { audio: { ...A, codecs: ['PCMU' as const] }, video: { ip: A.ip, port: 5002, payloadType: 109, maxBitRate100bps: 2941 } };
    const channels = new LogicalChannels(receive, { send: (msg) => sent.push(msg), opened: () => undefined, failed: () => undefined });
    try {
      assert.deepEqual(rates(channels.capabilitySet(1)), [2941]);
      // The endpoint can receive H.264 at 1.024 Mbit/s and opens video first: our channel mirrors its capability, at the site's rate.
      const tcs = m.terminalCapabilitySet({
        seq: 1,
        audio: [m.receiveAudio(1, 'g711Ulaw64k')],
        video: [m.receiveVideo(2, m.h264Capability({ maxBitRate100bps: 10240, level: 85, profile: 64 }))],
      });
      assert.ok(isChoice(tcs.value));
      channels.onCapabilities(tcs.value.value);
      channels.onOpen(perDecode(h245.OpenLogicalChannel, fwd(1, video(), 2, 109)));
      assert.deepEqual(rates(sent), [2941]);
    } finally {
      channels.end();
    }
    const unprofiled = new LogicalChannels(
      { ...receive, video: { ip: A.ip, port: 5002, payloadType: 109 } },
      { send: () => undefined, opened: () => undefined, failed: () => undefined },
    );
    try {
      assert.deepEqual(rates(unprofiled.capabilitySet(1)), [20480], "without a profile: the gateway's default");
    } finally {
      unprofiled.end();
    }
  });
});
