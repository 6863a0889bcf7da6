/**
 * H.239 without sockets: the capabilities and generic messages through our PER codec and back,
 * hostile generic messages (typed errors only), the presentation token against a floor, and an
 * H.245 session with content (capabilities, presentation channels both ways, token, keyframes),
 * whose every PDU tshark dissects cleanly.
 */
import assert from 'node:assert/strict';
import * as h245 from '../../src/h323/asn1/generated/h245';
import type { AsnValue, ChoiceValue, SequenceValue } from '../../src/h323/asn1/types';
import { PresentationToken, type TokenFloor } from '../../src/h323/call/h239';
import { H245Session } from '../../src/h323/call/h245-session';
import { CONTENT_SESSION } from '../../src/h323/call/presentation';
import type { ContentFormat, VideoMedia } from '../../src/h323/call/sink';
import * as m from '../../src/h323/messages/h245';
import {
  H239DecodeError,
  H239_MESSAGE_OID,
  ROLE_LIVE,
  ROLE_PRESENTATION,
  extendedVideoCapability,
  h239ControlCapability,
  h239Message,
  hasH239Control,
  isGenericKind,
  readH239,
  roleVideoCapabilities,
  type GenericKind,
  type H239Message,
} from '../../src/h323/messages/h239';
import { alt, get, getArray, getNumber, h245IpPort, isChoice, isSeq } from '../../src/h323/messages/read';
import { PerDecodeError, perDecode, perEncode } from '../../src/h323/per';
import { Rng } from '../support/rng';
import { memoryLogger } from './support/memory-log';
import { randomValue } from './support/random-values';
import { assertClean, dissectH245, requireTshark } from './support/tshark';

const roundTrip = (v: ChoiceValue): AsnValue => perDecode(h245.MultimediaSystemControlMessage, perEncode(h245.MultimediaSystemControlMessage, v));
const name = (v: AsnValue): string => (isChoice(v) && isChoice(v.value) ? `${v.choice}.${v.value.choice}` : '?');
const body = (v: AsnValue): AsnValue | undefined => (isChoice(v) && isChoice(v.value) ? v.value.value : undefined);
/** The H.239 message a whole MultimediaSystemControlMessage carries. */
const h239Of = (v: AsnValue): H239Message | undefined => {
  const kind = isChoice(v) && isChoice(v.value) ? v.value.choice : '';
  return isGenericKind(kind) ? readH239(kind, body(v)) : undefined;
};
const generic = (sub: number, content: { id: number; value: ChoiceValue }[], oid = H239_MESSAGE_OID): AsnValue => ({
  messageIdentifier: { choice: 'standard', value: oid },
  subMessageIdentifier: sub,
  messageContent: content.map((p) => ({ parameterIdentifier: { choice: 'standard', value: p.id }, parameterValue: p.value })),
});
const u = (id: number, value: number): { id: number; value: ChoiceValue } => ({ id, value: { choice: 'unsignedMin', value } });
const flag = (id: number): { id: number; value: ChoiceValue } => ({ id, value: { choice: 'logical', value: null } });

const ALL: H239Message[] = [
  { type: 'presentationTokenRequest', terminalLabel: 258, channelId: 7, symmetryBreaking: 99 },
  { type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 258, channelId: 7 },
  { type: 'presentationTokenResponse', acknowledge: false, terminalLabel: 0, channelId: 7 },
  { type: 'presentationTokenRelease', terminalLabel: 258, channelId: 7 },
  { type: 'presentationTokenIndicateOwner', terminalLabel: 0, channelId: 1001 },
  { type: 'flowControlReleaseRequest', channelId: 7, bitRate: 5120 },
  { type: 'flowControlReleaseResponse', acknowledge: false, channelId: 7 },
];

describe('H.239 messages and capabilities (PER round trip)', () => {
  it('every token and flow-control message survives encode/decode, in the H.245 message H.239 puts it in', () => {
    const carriers = ALL.map((msg) => name(roundTrip(h239Message(msg))));
    assert.deepEqual(carriers, [
      'request.genericRequest',
      'response.genericResponse',
      'response.genericResponse',
      'command.genericCommand',
      'indication.genericIndication',
      'request.genericRequest',
      'response.genericResponse',
    ]);
    for (const msg of ALL) assert.deepEqual(h239Of(roundTrip(h239Message(msg))), msg);
  });

  it('the control capability and the presentation-role H.264 capability read back; other roles and plain video do not count', () => {
    const h264 = m.h264Capability({ maxBitRate100bps: 10240, level: 85 });
    const tcs = roundTrip(
      m.terminalCapabilitySet({
        seq: 1,
        audio: [m.receiveAudio(1, 'g711Ulaw64k')],
        video: [m.receiveVideo(2, h264)],
        others: [
          { number: 3, capability: h239ControlCapability() },
          m.receiveVideo(4, extendedVideoCapability(h264)),
          m.receiveVideo(5, extendedVideoCapability(h264, ROLE_LIVE)),
        ],
      }),
    );
    const table = getArray(body(tcs), 'capabilityTable').map((e) => {
      const c = get(e, 'capability');
      return isChoice(c) ? c.value : undefined;
    });
    assert.ok(hasH239Control(body(tcs)));
    assert.deepEqual(roleVideoCapabilities(table[3]), [h264]);
    assert.equal(roleVideoCapabilities(table[4]), undefined, 'live role is not presentation');
    assert.deepEqual(roleVideoCapabilities(table[4], ROLE_LIVE), [h264]);
    assert.equal(roleVideoCapabilities(table[1]), undefined, 'main video has no role');
    assert.equal(hasH239Control(body(roundTrip(m.terminalCapabilitySet({ seq: 1, audio: [m.receiveAudio(1, 'g711Ulaw64k')], video: [] })))), false);
    // Each of the others is a simultaneous capability of its own: content beside the main video.
    const sets = getArray(getArray(body(tcs), 'capabilityDescriptors')[0], 'simultaneousCapabilities');
    assert.deepEqual(sets, [[1], [2], [3], [4], [5]]);
    assert.equal(ROLE_PRESENTATION, 1);
  });

  it('hostile generic messages give H239DecodeError (or undefined when not H.239), never anything else', () => {
    const bad: [GenericKind, AsnValue, RegExp][] = [
      ['genericRequest', generic(9, []), /unknown H.239 subMessageIdentifier 9/],
      ['genericRequest', { messageIdentifier: { choice: 'standard', value: H239_MESSAGE_OID } }, /subMessageIdentifier undefined/],
      ['genericCommand', generic(3, [u(44, 1), u(42, 2), u(43, 5)]), /presentationTokenRequest in a genericCommand/],
      ['genericRequest', generic(3, [u(44, 1), u(42, 2)]), /without symmetryBreaking/],
      ['genericRequest', generic(3, [u(44, 1), u(42, 2), u(43, 0)]), /symmetryBreaking 0 out of range/],
      ['genericRequest', generic(3, [u(44, 1), u(42, 2), u(43, 128)]), /symmetryBreaking 128 out of range/],
      ['genericRequest', generic(3, [u(44, 1), { id: 42, value: { choice: 'logical', value: null } }, u(43, 5)]), /without channelId/],
      ['genericResponse', generic(4, [u(44, 1), u(42, 2)]), /either acknowledge or reject/],
      ['genericResponse', generic(4, [flag(126), flag(127), u(44, 1), u(42, 2)]), /either acknowledge or reject/],
      ['genericIndication', generic(6, [u(42, 2)]), /without terminalLabel/],
    ];
    for (const [kind, value, why] of bad)
      assert.throws(
        () => readH239(kind, value),
        (e: unknown) => e instanceof H239DecodeError && why.test(e.message),
      );
    assert.equal(readH239('genericRequest', generic(3, [], '0.0.8.241.0.0.1')), undefined);
    assert.equal(readH239('genericRequest', undefined), undefined);

    // Random GenericMessages under the H.239 identifier, through the codec: typed errors only.
    const rng = new Rng(239);
    let errors = 0;
    for (let i = 0; i < 1000; i++) {
      const value = randomValue(h245.GenericMessage, rng, { maxDepth: 4 });
      if (!isSeq(value)) continue;
      const hostile: SequenceValue = { ...value, messageIdentifier: { choice: 'standard', value: H239_MESSAGE_OID } };
      if (rng.chance(0.7)) hostile.subMessageIdentifier = rng.int(1, 6);
      let decoded: AsnValue;
      try {
        decoded = perDecode(h245.GenericMessage, perEncode(h245.GenericMessage, hostile));
      } catch (e) {
        if (e instanceof PerDecodeError) continue;
        throw e;
      }
      for (const kind of ['genericRequest', 'genericResponse', 'genericCommand', 'genericIndication'] as const) {
        try {
          readH239(kind, decoded);
        } catch (e) {
          assert.ok(e instanceof H239DecodeError, `seed 239, case ${i}: ${String(e)}`);
          errors++;
        }
      }
    }
    assert.ok(errors > 500, `random messages should mostly break H.239 (${errors})`);
  });
});

describe('H.239 presentation token (the bridge as MCU)', () => {
  function floor(answers: ('granted' | 'refused' | 'queued')[]): TokenFloor & { requests: number; releases: number } {
    const f = {
      requests: 0,
      releases: 0,
      request: () => {
        f.requests++;
        return answers.shift() ?? 'refused';
      },
      release: () => {
        f.releases++;
      },
    };
    return f;
  }
  const ask = { type: 'presentationTokenRequest', terminalLabel: 5, channelId: 12, symmetryBreaking: 40 } as const;

  it('grants as the floor says, acknowledges a holder asking again without asking the floor, and tells a revoked holder to release', () => {
    const f = floor(['granted']);
    const t = new PresentationToken(f);
    assert.deepEqual(t.receive(ask), { type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 5, channelId: 12 });
    assert.ok(t.held);
    assert.deepEqual(t.receive(ask), { type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 5, channelId: 12 });
    assert.equal(f.requests, 1);
    assert.deepEqual(t.revoke(), { type: 'presentationTokenRelease', terminalLabel: 5, channelId: 12 });
    assert.equal(t.held, false);
    assert.equal(t.revoke(), undefined, 'nothing to revoke twice');
    assert.equal(f.releases, 0, 'a revoke comes from the floor: it is not told back');
  });

  it('rejects what the floor refuses; a release by the holder gives the floor back once', () => {
    const f = floor(['refused', 'granted']);
    const t = new PresentationToken(f);
    assert.deepEqual(t.receive(ask), { type: 'presentationTokenResponse', acknowledge: false, terminalLabel: 5, channelId: 12 });
    assert.equal(t.held, false);
    t.receive(ask);
    assert.equal(t.receive({ type: 'presentationTokenRelease', terminalLabel: 5, channelId: 12 }), undefined);
    assert.equal(t.receive({ type: 'presentationTokenRelease', terminalLabel: 5, channelId: 12 }), undefined);
    assert.equal(f.releases, 1);
  });

  it('a queued request is answered when the floor arrives, or rejected when it is given up', () => {
    const f = floor(['queued', 'queued']);
    const t = new PresentationToken(f);
    assert.equal(t.receive(ask), undefined, 'no answer while queued');
    assert.deepEqual(t.granted(), { type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 5, channelId: 12 });
    assert.equal(t.granted(), undefined, 'acknowledged once');
    t.revoke();
    t.receive(ask);
    assert.deepEqual(t.revoke(), { type: 'presentationTokenResponse', acknowledge: false, terminalLabel: 5, channelId: 12 });
  });

  it('refuses to lift flow control and ignores owner indications and stray responses', () => {
    const t = new PresentationToken(floor([]));
    assert.deepEqual(t.receive({ type: 'flowControlReleaseRequest', channelId: 12, bitRate: 20000 }), {
      type: 'flowControlReleaseResponse',
      acknowledge: false,
      channelId: 12,
    });
    assert.equal(t.receive({ type: 'presentationTokenIndicateOwner', terminalLabel: 1, channelId: 12 }), undefined);
    assert.equal(t.receive({ type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 1, channelId: 12 }), undefined);
    assert.deepEqual(PresentationToken.indicateOwner(1001), { type: 'presentationTokenIndicateOwner', terminalLabel: 0, channelId: 1001 });
  });
});

describe('H.239 on an H.245 session', () => {
  const CONTENT = { ip: '10.0.0.5', port: 30000, payloadType: 100, maxBitRate100bps: 5120 };
  const EP_CONTENT = { ip: '10.0.0.9', port: 6000 };
  const h264 = (maxBitRate100bps = 10240): ChoiceValue => m.h264Capability({ maxBitRate100bps, level: 78 });

  function session(o: { content?: boolean; floor?: 'granted' | 'refused' | 'queued' } = {}) {
    const out: ChoiceValue[] = [];
    const wire: Uint8Array[] = [];
    const seen = {
      requests: 0,
      releases: 0,
      from: [] as ContentFormat[],
      to: [] as VideoMedia[],
      closed: [] as string[],
      contentKeyframes: 0,
      keyframes: [] as number[],
      malformed: [] as string[],
      capable: [] as boolean[],
    };
    const s = new H245Session(
      (pdus) => {
        for (const p of pdus) {
          wire.push(p);
          const v = perDecode(h245.MultimediaSystemControlMessage, p);
          if (isChoice(v)) out.push(v);
        }
      },
      { keyframeRequest: (c) => seen.keyframes.push(c), endSession: () => undefined },
      memoryLogger().log,
    );
    if (o.content !== false)
      s.enableContent(CONTENT, {
        floor: {
          request: () => {
            seen.requests++;
            return o.floor ?? 'granted';
          },
          release: () => {
            seen.releases++;
          },
        },
        capable: (h239) => seen.capable.push(h239),
        fromEndpoint: (f) => seen.from.push(f),
        toEndpoint: (media) => seen.to.push(media),
        closed: (d) => seen.closed.push(d),
        keyframeRequest: () => {
          seen.contentKeyframes++;
        },
        malformed: (why) => seen.malformed.push(why),
      });
    const feed = (v: ChoiceValue): void => s.receive(perEncode(h245.MultimediaSystemControlMessage, v));
    return { s, out, wire, seen, feed };
  }
  const remoteTcs = (presentation = true): ChoiceValue =>
    m.terminalCapabilitySet({
      seq: 3,
      audio: [m.receiveAudio(1, 'g711Ulaw64k')],
      video: [m.receiveVideo(2, h264())],
      others: presentation
        ? [
            { number: 3, capability: h239ControlCapability() },
            { number: 4, capability: { choice: 'receiveAndTransmitVideoCapability', value: extendedVideoCapability(h264(20480)) } },
          ]
        : [],
    });
  const presentationOlc = (channel: number, role = ROLE_PRESENTATION, sessionId = 0): ChoiceValue =>
    m.openLogicalChannelRequest(
      m.openLogicalChannel({
        channel,
        sessionId,
        dataType: { choice: 'videoData', value: extendedVideoCapability(h264(), role) },
        mediaControl: { ip: EP_CONTENT.ip, port: EP_CONTENT.port + 1 },
        dynamicPayloadType: 109,
      }),
    );

  it('advertises h239ControlCapability and H.264 in the presentation role (held to the site), each simultaneous with the main media', () => {
    const { s, out } = session();
    s.start();
    const tcs = body(out[0]!);
    assert.ok(hasH239Control(tcs));
    const table = getArray(tcs, 'capabilityTable');
    const presentation = table.map((e) => get(e, 'capability')).find((c) => isChoice(c) && roleVideoCapabilities(c.value) !== undefined);
    assert.ok(isChoice(presentation) && presentation.choice === 'receiveVideoCapability');
    assert.equal(getNumber(alt(roleVideoCapabilities(presentation.value)![0], 'genericVideoCapability'), 'maxBitRate'), 5120);
    assert.equal(getArray(getArray(tcs, 'capabilityDescriptors')[0], 'simultaneousCapabilities').length, 4);
    const plain = session({ content: false });
    plain.s.start();
    assert.equal(hasH239Control(body(plain.out[0]!)), false, 'no content, no H.239');
  });

  it("accepts the endpoint's presentation channel with the content leg's address, numbering its session; refuses the live role", () => {
    const { out, seen, feed } = session();
    feed(presentationOlc(7));
    assert.equal(name(out[0]!), 'response.openLogicalChannelAck');
    const ack = alt(get(body(out[0]!), 'forwardMultiplexAckParameters'), 'h2250LogicalChannelAckParameters');
    assert.equal(getNumber(body(out[0]!), 'forwardLogicalChannelNumber'), 7);
    assert.equal(getNumber(ack, 'sessionID'), CONTENT_SESSION);
    assert.deepEqual(h245IpPort(get(ack, 'mediaChannel')), { ip: CONTENT.ip, port: CONTENT.port });
    assert.deepEqual(h245IpPort(get(ack, 'mediaControlChannel')), { ip: CONTENT.ip, port: CONTENT.port + 1 });
    assert.deepEqual(seen.from, [{ payloadType: 109, profileLevelId: '42e020' }]);
    feed(presentationOlc(8, ROLE_LIVE));
    assert.equal(name(out[1]!), 'response.openLogicalChannelReject');
    feed(m.closeLogicalChannel(7));
    assert.deepEqual(seen.closed, ['from']);
    const plain = session({ content: false });
    plain.feed(presentationOlc(7));
    assert.equal(name(plain.out[0]!), 'response.openLogicalChannelReject', 'no content: refused as before');
  });

  it('maps the token to the floor: request → acknowledge or reject, release → floor released, revoke → presentationTokenRelease; queued → late acknowledge', () => {
    const { s, out, seen, feed } = session();
    feed(h239Message({ type: 'presentationTokenRequest', terminalLabel: 3, channelId: 7, symmetryBreaking: 17 }));
    assert.deepEqual(h239Of(out[0]!), { type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 3, channelId: 7 });
    s.revokeToken();
    assert.deepEqual(h239Of(out[1]!), { type: 'presentationTokenRelease', terminalLabel: 3, channelId: 7 });
    assert.equal(name(out[1]!), 'command.genericCommand');
    feed(h239Message({ type: 'presentationTokenRequest', terminalLabel: 3, channelId: 7, symmetryBreaking: 17 }));
    feed(h239Message({ type: 'presentationTokenRelease', terminalLabel: 3, channelId: 7 }));
    assert.equal(seen.requests, 2);
    assert.equal(seen.releases, 1);

    const refused = session({ floor: 'refused' });
    refused.feed(h239Message({ type: 'presentationTokenRequest', terminalLabel: 0, channelId: 0, symmetryBreaking: 1 }));
    assert.deepEqual(h239Of(refused.out[0]!), { type: 'presentationTokenResponse', acknowledge: false, terminalLabel: 0, channelId: 0 });

    const queued = session({ floor: 'queued' });
    queued.feed(h239Message({ type: 'presentationTokenRequest', terminalLabel: 2, channelId: 9, symmetryBreaking: 1 }));
    assert.equal(queued.out.length, 0);
    queued.s.grantToken();
    assert.deepEqual(h239Of(queued.out[0]!), { type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 2, channelId: 9 });
  });

  it('opens content toward the endpoint only once it advertised H.239: owner indication, extended video OLC, Ack → where it receives', () => {
    const { s, out, seen, feed } = session();
    s.start({ capabilities: false });
    out.length = 0;
    assert.equal(s.sendContent(), false, 'no capabilities from the endpoint yet');
    feed(remoteTcs(false));
    assert.equal(s.sendContent(), false, 'the endpoint has no H.239');
    feed(m.masterSlaveDetermination(50, 1)); // a terminal: we are master
    out.length = 0;
    assert.equal(s.sendContent(), false, 'wanted, but not yet possible');
    assert.equal(out.length, 0);
    feed(remoteTcs(true));
    assert.deepEqual(seen.capable, [false, true]);
    assert.equal(name(out[0]!), 'response.terminalCapabilitySetAck');
    out.shift();
    // The capabilities that allow it open the channel that was wanted.
    assert.equal(s.sendContent(), true);
    assert.deepEqual(out.map(name), ['indication.genericIndication', 'request.openLogicalChannel']);
    const olc = body(out[1]!);
    const channel = getNumber(olc, 'forwardLogicalChannelNumber')!;
    assert.deepEqual(h239Of(out[0]!), { type: 'presentationTokenIndicateOwner', terminalLabel: 0, channelId: channel });
    const fwd = get(olc, 'forwardLogicalChannelParameters');
    const params = alt(get(fwd, 'multiplexParameters'), 'h2250LogicalChannelParameters');
    assert.equal(getNumber(params, 'sessionID'), CONTENT_SESSION);
    assert.equal(getNumber(params, 'dynamicRTPPayloadType'), CONTENT.payloadType);
    assert.deepEqual(h245IpPort(get(params, 'mediaControlChannel')), { ip: CONTENT.ip, port: CONTENT.port + 1 });
    const [cap] = roleVideoCapabilities(alt(get(fwd, 'dataType'), 'videoData'))!;
    assert.equal(getNumber(alt(cap, 'genericVideoCapability'), 'maxBitRate'), 5120, "the endpoint's 2 Mbit/s held to the site's line");
    assert.equal(s.sendContent(), true, 'already open: nothing more sent');
    assert.equal(out.length, 2);

    feed(m.openLogicalChannelAck({ channel, sessionId: CONTENT_SESSION, media: EP_CONTENT, mediaControl: { ip: EP_CONTENT.ip, port: EP_CONTENT.port + 1 } }));
    assert.deepEqual(seen.to, [{ ...EP_CONTENT, payloadType: CONTENT.payloadType, profileLevelId: '42e020' }]);
    feed(m.videoFastUpdatePicture(channel));
    feed(m.videoFastUpdatePicture(101));
    assert.equal(seen.contentKeyframes, 1, 'a keyframe request on the content channel is for the presenter');
    assert.deepEqual(seen.keyframes, [101], 'one on the main channel stays a main one');
    s.stopContent();
    assert.equal(name(out[2]!), 'request.closeLogicalChannel');
    assert.equal(getNumber(body(out[2]!), 'forwardLogicalChannelNumber'), channel);

    assert.equal(s.sendContent(), true);
    const again = getNumber(body(out[4]!), 'forwardLogicalChannelNumber')!;
    assert.notEqual(again, channel, 'a new channel number after a close');
    feed(m.openLogicalChannelReject(again));
    assert.deepEqual(seen.closed, ['to']);
  });

  it('asks the presenting endpoint for a keyframe on its presentation channel', () => {
    const { s, out, feed } = session();
    assert.equal(s.requestContentKeyframe(), false, 'nothing presented yet');
    feed(presentationOlc(7, ROLE_PRESENTATION, 40));
    assert.equal(getNumber(alt(get(body(out[0]!), 'forwardMultiplexAckParameters'), 'h2250LogicalChannelAckParameters'), 'sessionID'), 40);
    assert.equal(s.requestContentKeyframe(), true);
    assert.equal(name(out[1]!), 'command.miscellaneousCommand');
    assert.equal(getNumber(body(out[1]!), 'logicalChannelNumber'), 7);
  });

  it('drops malformed H.239 with a reason; answers other generic requests functionNotUnderstood, also without content', () => {
    const { out, seen, feed } = session();
    feed({ choice: 'request', value: { choice: 'genericRequest', value: generic(3, [u(44, 1)]) } });
    assert.equal(out.length, 0);
    assert.match(seen.malformed[0]!, /without channelId/);
    feed({ choice: 'request', value: { choice: 'genericRequest', value: generic(1, [], '0.0.8.460.18.0.1') } });
    assert.equal(name(out[0]!), 'indication.functionNotUnderstood');
    feed({ choice: 'indication', value: { choice: 'genericIndication', value: generic(1, [], '0.0.8.460.18.0.1') } });
    assert.equal(out.length, 1, 'indications are not answered');
    const plain = session({ content: false });
    plain.feed(h239Message({ type: 'presentationTokenRequest', terminalLabel: 3, channelId: 7, symmetryBreaking: 17 }));
    assert.equal(name(plain.out[0]!), 'indication.functionNotUnderstood', 'a call without content does not understand H.239');
  });

  it('tshark dissects every H.239 PDU the session sends without error, with the H.239 identifiers and values', function () {
    requireTshark(this, 'H.239 PDUs through tshark');
    const { s, wire, feed } = session({ floor: 'granted' });
    s.start();
    feed(remoteTcs());
    feed(m.masterSlaveDetermination(50, 1));
    feed(presentationOlc(7));
    feed(h239Message({ type: 'presentationTokenRequest', terminalLabel: 3, channelId: 7, symmetryBreaking: 17 }));
    feed(h239Message({ type: 'flowControlReleaseRequest', channelId: 7, bitRate: 30000 }));
    s.revokeToken();
    s.sendContent();
    s.requestContentKeyframe();
    s.stopContent();
    const frames = dissectH245(wire);
    assert.equal(frames.length, wire.length);
    frames.forEach((f, i) => {
      assertClean(f, `PDU ${i}`);
    });
    const all = frames.join('\n');
    assert.match(all, /standard: 0\.0\.8\.239\.1\.1/);
    assert.match(all, /standard: 0\.0\.8\.239\.1\.2/);
    assert.match(all, /extendedVideoCapability/);
    assert.match(all, /booleanArray: 1\b/);
    assert.match(all, /standard: 0\.0\.8\.239\.2/);
    assert.match(all, /genericResponse/);
    assert.match(all, /genericCommand/);
    assert.match(all, /genericIndication/);
    assert.match(all, /subMessageIdentifier: presentationTokenResponse \(4\)/);
    assert.match(all, /subMessageIdentifier: presentationTokenRelease \(5\)/);
    assert.match(all, /subMessageIdentifier: presentationTokenIndicateOwner \(6\)/);
    assert.match(all, /subMessageIdentifier: flowControlReleaseResponse \(2\)/);
    assert.match(all, /openLogicalChannelAck/);
    assert.match(all, /sessionID: 32/);
  });
});
