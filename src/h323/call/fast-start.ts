/**
 * Fast Connect (H.323 8.1.7): the caller's Setup proposes OpenLogicalChannel structures, one per
 * direction and format; the callee accepts one per session and direction by returning them in
 * Connect, filled in with its own addresses.
 *
 * - A channel the caller would transmit on (forwardLogicalChannelParameters with a dataType)
 *   comes back with mediaChannel/mediaControlChannel set to where we want its RTP/RTCP.
 * - A channel the caller would receive on (forward nullData, reverseLogicalChannelParameters
 *   with its mediaChannel) comes back with a forwardLogicalChannelNumber of our own (the spec
 *   asks for a unique number for the callee's transmit channel) and our RTCP address.
 *
 * We take the caller's order of preference, and only formats it proposed in both directions,
 * because the SIP side negotiates one sendrecv stream per media type.
 */
import * as h245 from '../asn1/generated/h245';
import type { AsnValue, ChoiceValue, SequenceValue } from '../asn1/types';
import { h245Address, rtcpAddress } from '../messages/common';
import { H264_CAPABILITY_OID, H264_PARAM_LEVEL, H264_PARAM_PROFILE, type AudioCodec } from '../messages/h245';
import { alt, choicePath, get, getArray, getChoice, getNumber, getSeq, h245IpPort, isChoice, isSeq } from '../messages/read';
import { PerDecodeError, perDecode, perEncode } from '../per';
import type { AudioCodecName, H323Media, RtpAddress } from './sink';

export type ProposalFormat =
  | { readonly kind: 'audio'; readonly codec: AudioCodecName }
  | { readonly kind: 'video'; readonly profile?: number; readonly level?: number };

export interface Proposal {
  readonly olc: SequenceValue;
  readonly channel: number;
  /** `toUs`: the caller transmits on it; `fromUs`: the caller receives on it. */
  readonly direction: 'toUs' | 'fromUs';
  readonly sessionId: number;
  readonly format: ProposalFormat;
  /** fromUs: where the caller wants our RTP. */
  readonly rtp?: RtpAddress;
  /** Where the caller wants RTCP. */
  readonly rtcp?: RtpAddress;
  readonly payloadType?: number;
}

const AUDIO: Readonly<Record<string, AudioCodecName>> = { g711Ulaw64k: 'PCMU', g711Alaw64k: 'PCMA', 'g722-64k': 'G722' };
/** The H.245 audio capability of each RTP audio format the gateway carries. */
export const AUDIO_CAPABILITY: Readonly<Record<AudioCodecName, AudioCodec>> = { PCMU: 'g711Ulaw64k', PCMA: 'g711Alaw64k', G722: 'g722-64k' };

/** The format an H.245 DataType (audioData/videoData) describes, if the gateway carries it. */
export function formatOf(dataType: AsnValue | undefined): ProposalFormat | undefined {
  const [kind, name] = choicePath(dataType, 2);
  if (kind === 'audioData' && name !== undefined && AUDIO[name]) return { kind: 'audio', codec: AUDIO[name]! };
  if (kind === 'videoData' && name === 'genericVideoCapability') {
    const cap = alt(alt(dataType, 'videoData'), 'genericVideoCapability');
    if (alt(get(cap, 'capabilityIdentifier'), 'standard') !== H264_CAPABILITY_OID) return undefined;
    const param = (id: number): number | undefined => {
      const p = getArray(cap, 'collapsing').find((x) => alt(get(x, 'parameterIdentifier'), 'standard') === id);
      const v = getChoice(p, 'parameterValue')?.value;
      return typeof v === 'number' ? v : undefined;
    };
    const profile = param(H264_PARAM_PROFILE);
    const level = param(H264_PARAM_LEVEL);
    return { kind: 'video', ...(profile !== undefined ? { profile } : {}), ...(level !== undefined ? { level } : {}) };
  }
  return undefined;
}

/**
 * The proposals of a fastStart element in formats the gateway carries, in the sender's order;
 * others are skipped. A `fromUs` one has no `rtp` when it is an answer (the answerer transmits on it).
 */
export function parseFastStart(encoded: readonly Uint8Array[]): Proposal[] {
  const out: Proposal[] = [];
  for (const bytes of encoded) {
    let olc: AsnValue;
    try {
      olc = perDecode(h245.OpenLogicalChannel, bytes);
    } catch (e) {
      if (e instanceof PerDecodeError) continue; // one bad proposal does not spoil the others
      throw e;
    }
    if (!isSeq(olc)) continue;
    const channel = getNumber(olc, 'forwardLogicalChannelNumber');
    const fwd = getSeq(olc, 'forwardLogicalChannelParameters');
    const rev = getSeq(olc, 'reverseLogicalChannelParameters');
    if (channel === undefined || !fwd) continue;
    const fwdFormat = formatOf(get(fwd, 'dataType'));
    const side = fwdFormat ? fwd : rev;
    const format = fwdFormat ?? formatOf(get(rev, 'dataType'));
    const params = alt(get(side, 'multiplexParameters'), 'h2250LogicalChannelParameters');
    if (!format || !isSeq(params)) continue;
    const rtp = h245IpPort(get(params, 'mediaChannel'));
    const rtcp = h245IpPort(get(params, 'mediaControlChannel'));
    const payloadType = getNumber(params, 'dynamicRTPPayloadType');
    const direction = fwdFormat ? 'toUs' : 'fromUs';
    out.push({
      olc,
      channel,
      direction,
      sessionId: getNumber(params, 'sessionID') ?? 0,
      format,
      ...(rtp ? { rtp } : {}),
      ...(rtcp ? { rtcp } : {}),
      ...(payloadType !== undefined ? { payloadType } : {}),
    });
  }
  return out;
}

export interface Selection {
  readonly audio?: { readonly codec: AudioCodecName; readonly toUs: Proposal; readonly fromUs: Proposal };
  readonly video?: { readonly toUs: Proposal; readonly fromUs: Proposal; readonly payloadType: number; readonly profileLevelId?: string };
}

const sameFormat = (a: ProposalFormat, b: ProposalFormat): boolean => (a.kind === 'audio' && b.kind === 'audio' ? a.codec === b.codec : a.kind === b.kind);

function pair(proposals: readonly Proposal[], kind: 'audio' | 'video', accept: (f: ProposalFormat) => boolean): [Proposal, Proposal] | undefined {
  for (const fromUs of proposals) {
    // A reverse proposal that names no address gives us nowhere to send to.
    if (fromUs.direction !== 'fromUs' || !fromUs.rtp || fromUs.format.kind !== kind || !accept(fromUs.format)) continue;
    const toUs = proposals.find((p) => p.direction === 'toUs' && sameFormat(p.format, fromUs.format));
    if (toUs) return [toUs, fromUs];
  }
  return undefined;
}

/** Audio and H.264 video formats proposed both ways, first in the caller's order. */
export function selectFastStart(proposals: readonly Proposal[], accept: (f: ProposalFormat) => boolean = () => true): Selection {
  const a = pair(proposals, 'audio', accept);
  const v = pair(proposals, 'video', accept);
  const sel: { audio?: Selection['audio']; video?: Selection['video'] } = {};
  if (a && a[0].format.kind === 'audio') sel.audio = { codec: a[0].format.codec, toUs: a[0], fromUs: a[1] };
  if (v && v[1].format.kind === 'video') {
    const f = v[1].format;
    const profileLevelId = h241ToProfileLevelId(f.profile, f.level);
    // The caller transmits with the payload type of its forward proposal: that is what the SIP side must expect.
    sel.video = { toUs: v[0], fromUs: v[1], payloadType: v[0].payloadType ?? v[1].payloadType ?? 96, ...(profileLevelId ? { profileLevelId } : {}) };
  }
  return sel;
}

/** What the sink is offered: where the caller receives, in the selected formats. */
export function offeredMedia(sel: Selection): H323Media {
  const media: { audio?: H323Media['audio']; video?: H323Media['video'] } = {};
  if (sel.audio) media.audio = { ...sel.audio.fromUs.rtp!, codec: sel.audio.codec };
  if (sel.video)
    media.video = {
      ...sel.video.fromUs.rtp!,
      payloadType: sel.video.payloadType,
      ...(sel.video.profileLevelId ? { profileLevelId: sel.video.profileLevelId } : {}),
    };
  return media;
}

function withH2250(params: AsnValue | undefined, set: Record<string, AsnValue | undefined>): AsnValue {
  const h2250 = alt(params, 'h2250LogicalChannelParameters');
  const merged: SequenceValue = { ...(isSeq(h2250) ? h2250 : {}) };
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return { choice: 'h2250LogicalChannelParameters', value: merged };
}

/**
 * A video DataType (or capability) with its maxBitRate lowered to `maxBitRate100bps`, profile and
 * level kept: what goes on a channel must fit both its sender's and the site's line. Unchanged
 * without a limit, when it already asks for less, or when it is not a generic (H.264) capability.
 */
export function withMaxBitRate(dataType: ChoiceValue, maxBitRate100bps: number | undefined): ChoiceValue {
  const generic = dataType.value;
  if (maxBitRate100bps === undefined || !isChoice(generic) || generic.choice !== 'genericVideoCapability' || !isSeq(generic.value)) return dataType;
  const theirs = getNumber(generic.value, 'maxBitRate');
  if (theirs !== undefined && theirs <= maxBitRate100bps) return dataType;
  return { ...dataType, value: { ...generic, value: { ...generic.value, maxBitRate: maxBitRate100bps } } };
}

/** A channel's dataType as accepted: video held to the site's bitrate, if it has one. */
function capped(dataType: AsnValue | undefined, maxBitRate100bps: number | undefined): { dataType?: AsnValue } {
  if (dataType === undefined) return {};
  return { dataType: isChoice(dataType) && dataType.choice === 'videoData' ? withMaxBitRate(dataType, maxBitRate100bps) : dataType };
}

/**
 * Our answer for a channel the caller transmits on: its RTP and RTCP come to `to`. Its payload
 * type stays the caller's: the sender of a channel chooses it. Video is held to
 * `maxBitRate100bps` (the site's line), when lower than the caller proposed.
 */
export function acceptToUs(p: Proposal, to: RtpAddress, maxBitRate100bps?: number): Uint8Array {
  const fwd = getSeq(p.olc, 'forwardLogicalChannelParameters')!;
  const olc: SequenceValue = {
    ...p.olc,
    forwardLogicalChannelParameters: {
      ...fwd,
      ...capped(get(fwd, 'dataType'), maxBitRate100bps),
      multiplexParameters: withH2250(get(fwd, 'multiplexParameters'), {
        mediaChannel: h245Address(to),
        mediaControlChannel: h245Address(rtcpAddress(to)),
      }),
    },
  };
  return perEncode(h245.OpenLogicalChannel, olc);
}

/**
 * Our answer for a channel the caller receives on: our channel number, our RTCP address, our
 * payload type; video held to `maxBitRate100bps` as in acceptToUs.
 */
export function acceptFromUs(p: Proposal, ourChannel: number, from: RtpAddress, payloadType?: number, maxBitRate100bps?: number): Uint8Array {
  const rev = getSeq(p.olc, 'reverseLogicalChannelParameters')!;
  const olc: SequenceValue = {
    ...p.olc,
    forwardLogicalChannelNumber: ourChannel,
    reverseLogicalChannelParameters: {
      ...rev,
      ...capped(get(rev, 'dataType'), maxBitRate100bps),
      multiplexParameters: withH2250(get(rev, 'multiplexParameters'), {
        mediaChannel: undefined,
        mediaControlChannel: h245Address(rtcpAddress(from)),
        ...(payloadType !== undefined ? { dynamicRTPPayloadType: payloadType } : {}),
      }),
    },
  };
  return perEncode(h245.OpenLogicalChannel, olc);
}

/** H.241 profile bit (64 Baseline, 32 Main, 16 Extended, 8 High) → profile_idc and constraint flags. */
const PROFILES: readonly [bit: number, idcAndFlags: string][] = [
  [64, '42e0'],
  [32, '4d40'],
  [16, '5800'],
  [8, '6400'],
];
/** H.241 level values → level_idc (1b, value 19, is level_idc 11 with constraint_set3 in Baseline: use 1.1). */
const LEVELS: Readonly<Record<number, number>> = {
  15: 10,
  19: 11,
  22: 11,
  29: 12,
  36: 13,
  43: 20,
  50: 21,
  57: 22,
  64: 30,
  71: 31,
  78: 32,
  85: 40,
  92: 41,
  99: 42,
  106: 50,
  113: 51,
};

/**
 * The SDP profile-level-id for an H.241 profile bit set and level. Several profile bits mean
 * several profiles are supported: Baseline is preferred, being the one every SIP peer decodes.
 */
export function h241ToProfileLevelId(profile: number | undefined, level: number | undefined): string | undefined {
  if (profile === undefined || level === undefined) return undefined;
  const p = PROFILES.find(([bit]) => (profile & bit) !== 0);
  const l = LEVELS[level];
  if (!p || l === undefined) return undefined;
  return `${p[1]}${l.toString(16).padStart(2, '0')}`;
}
