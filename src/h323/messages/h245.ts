/**
 * Builders for the H.245 messages the gateway uses: capability exchange with G.711, G.722 and
 * H.264 (GenericCapability per H.241), master/slave determination, logical channels for RTP,
 * end of session, fast update (keyframe) requests and round-trip delay.
 */
import type { ChoiceValue, SequenceValue } from '../asn1/types';
import { H245_PROTOCOL_ID, choice, h245Address, seq, type IpPort } from './common';

/** H.241 H.264 capability identifier and its generic parameter numbers. */
export const H264_CAPABILITY_OID = '0.0.8.241.0.0.1';
export const H264_PARAM_PROFILE = 41;
export const H264_PARAM_LEVEL = 42;
/** H.241 profile bits (booleanArray): 64 = Baseline. */
export const H264_PROFILE_BASELINE = 64;
/** H.241 level values: 29 = 1.2, 43 = 2, 64 = 3, 71 = 3.1, 78 = 3.2, 85 = 4. */
export const H264_LEVEL_3_1 = 71;

export type AudioCodec = 'g711Ulaw64k' | 'g711Alaw64k' | 'g722-64k';

/** AudioCapability: G.711/G.722 carry the maximum frames (ms) per packet. */
export const audioCapability = (codec: AudioCodec, framesPerPacket = 20): ChoiceValue => choice(codec, framesPerPacket);

export function h264Capability(o: { maxBitRate100bps: number; profile?: number; level?: number }): ChoiceValue {
  return choice('genericVideoCapability', {
    capabilityIdentifier: choice('standard', H264_CAPABILITY_OID),
    maxBitRate: o.maxBitRate100bps,
    collapsing: [
      { parameterIdentifier: choice('standard', H264_PARAM_PROFILE), parameterValue: choice('booleanArray', o.profile ?? H264_PROFILE_BASELINE) },
      { parameterIdentifier: choice('standard', H264_PARAM_LEVEL), parameterValue: choice('unsignedMin', o.level ?? H264_LEVEL_3_1) },
    ],
  });
}

export interface CapabilityEntry {
  readonly number: number;
  readonly capability: ChoiceValue;
}

export function receiveAudio(number: number, codec: AudioCodec): CapabilityEntry {
  return { number, capability: choice('receiveAudioCapability', audioCapability(codec)) };
}

export function receiveVideo(number: number, video: ChoiceValue): CapabilityEntry {
  return { number, capability: choice('receiveVideoCapability', video) };
}

/**
 * TerminalCapabilitySet with one descriptor: one of the audio entries, one of the video ones, and
 * each of `others` (H.239's control and presentation capabilities) at the same time.
 */
export function terminalCapabilitySet(o: {
  seq: number;
  audio: readonly CapabilityEntry[];
  video: readonly CapabilityEntry[];
  others?: readonly CapabilityEntry[];
}): ChoiceValue {
  const others = o.others ?? [];
  const all = [...o.audio, ...o.video, ...others];
  const simultaneous = [o.audio.map((e) => e.number), o.video.map((e) => e.number), ...others.map((e) => [e.number])].filter((s) => s.length > 0);
  return choice(
    'request',
    choice(
      'terminalCapabilitySet',
      seq({
        sequenceNumber: o.seq,
        protocolIdentifier: H245_PROTOCOL_ID,
        multiplexCapability: choice('h2250Capability', h2250Capability()),
        capabilityTable: all.map((e) => ({ capabilityTableEntryNumber: e.number, capability: e.capability })),
        capabilityDescriptors: [{ capabilityDescriptorNumber: 0, simultaneousCapabilities: simultaneous }],
      }),
    ),
  );
}

/** Minimal H2250Capability for an RTP endpoint with no multipoint abilities. */
function h2250Capability(): SequenceValue {
  const mp = {
    multicastCapability: false,
    multiUniCastConference: false,
    mediaDistributionCapability: [
      {
        centralizedControl: false,
        distributedControl: false,
        centralizedAudio: false,
        distributedAudio: false,
        centralizedVideo: false,
        distributedVideo: false,
      },
    ],
  };
  return {
    maximumAudioDelayJitter: 250,
    receiveMultipointCapability: mp,
    transmitMultipointCapability: mp,
    receiveAndTransmitMultipointCapability: mp,
    mcCapability: { centralizedConferenceMC: false, decentralizedConferenceMC: false },
    rtcpVideoControlCapability: false,
    mediaPacketizationCapability: { h261aVideoPacketization: false },
  };
}

export const terminalCapabilitySetAck = (seqNo: number): ChoiceValue => choice('response', choice('terminalCapabilitySetAck', { sequenceNumber: seqNo }));

export const masterSlaveDetermination = (terminalType: number, statusDeterminationNumber: number): ChoiceValue =>
  choice('request', choice('masterSlaveDetermination', { terminalType, statusDeterminationNumber }));

export const masterSlaveDeterminationAck = (decision: 'master' | 'slave'): ChoiceValue =>
  choice('response', choice('masterSlaveDeterminationAck', { decision: choice(decision) }));

export interface OlcOptions {
  channel: number;
  /** 1 audio, 2 video, 3 data; another for a further session (H.239 presentation); 0 asks the master to number it. */
  sessionId: number;
  dataType: ChoiceValue;
  /** Where we want RTCP from the peer (the forward channel's reverse RTCP). */
  mediaControl: IpPort;
  /** For fast start / a reverse channel: where we receive RTP. */
  media?: IpPort;
  dynamicPayloadType?: number;
}

/** Where a logical channel's RTP and RTCP go, and its session and payload type. */
function h2250Parameters(o: OlcOptions): ChoiceValue {
  return choice(
    'h2250LogicalChannelParameters',
    seq({
      sessionID: o.sessionId,
      mediaChannel: o.media && h245Address(o.media),
      mediaControlChannel: h245Address(o.mediaControl),
      dynamicRTPPayloadType: o.dynamicPayloadType,
    }),
  );
}

/**
 * The OpenLogicalChannel value (not wrapped in a message), as fastStart carries it encoded and
 * as request.openLogicalChannel wraps it.
 */
export function openLogicalChannel(o: OlcOptions): SequenceValue {
  return {
    forwardLogicalChannelNumber: o.channel,
    forwardLogicalChannelParameters: {
      dataType: o.dataType,
      multiplexParameters: h2250Parameters(o),
    },
  };
}

/** A fastStart proposal for receiving: no forward channel (nullData), reverse channel with our RTP address. */
export function openReverseLogicalChannel(o: OlcOptions): SequenceValue {
  return {
    forwardLogicalChannelNumber: o.channel,
    forwardLogicalChannelParameters: { dataType: choice('nullData'), multiplexParameters: choice('none') },
    reverseLogicalChannelParameters: {
      dataType: o.dataType,
      multiplexParameters: h2250Parameters(o),
    },
  };
}

export const openLogicalChannelRequest = (olc: SequenceValue): ChoiceValue => choice('request', choice('openLogicalChannel', olc));

export function openLogicalChannelAck(o: { channel: number; sessionId: number; media: IpPort; mediaControl: IpPort }): ChoiceValue {
  return choice(
    'response',
    choice('openLogicalChannelAck', {
      forwardLogicalChannelNumber: o.channel,
      forwardMultiplexAckParameters: choice('h2250LogicalChannelAckParameters', {
        sessionID: o.sessionId,
        mediaChannel: h245Address(o.media),
        mediaControlChannel: h245Address(o.mediaControl),
      }),
    }),
  );
}

export const closeLogicalChannel = (channel: number): ChoiceValue =>
  choice('request', choice('closeLogicalChannel', { forwardLogicalChannelNumber: channel, source: choice('user'), reason: choice('unknown') }));

export const endSessionCommand = (): ChoiceValue => choice('command', choice('endSessionCommand', choice('disconnect')));

/** videoFastUpdatePicture: the H.245 keyframe request (maps to SIP INFO / RTCP FIR). */
export const videoFastUpdatePicture = (channel: number): ChoiceValue =>
  choice('command', choice('miscellaneousCommand', { logicalChannelNumber: channel, type: choice('videoFastUpdatePicture') }));

export const roundTripDelayRequest = (seqNo: number): ChoiceValue => choice('request', choice('roundTripDelayRequest', { sequenceNumber: seqNo }));
export const roundTripDelayResponse = (seqNo: number): ChoiceValue => choice('response', choice('roundTripDelayResponse', { sequenceNumber: seqNo }));

export const masterSlaveDeterminationReject = (): ChoiceValue =>
  choice('response', choice('masterSlaveDeterminationReject', { cause: choice('identicalNumbers') }));

export const closeLogicalChannelAck = (channel: number): ChoiceValue =>
  choice('response', choice('closeLogicalChannelAck', { forwardLogicalChannelNumber: channel }));

export const openLogicalChannelReject = (channel: number, cause = 'unspecified'): ChoiceValue =>
  choice('response', choice('openLogicalChannelReject', { forwardLogicalChannelNumber: channel, cause: choice(cause) }));

/** functionNotUnderstood: H.245's answer to a request or command it cannot act on, echoing it. */
export const functionNotUnderstood = (what: ChoiceValue): ChoiceValue => choice('indication', choice('functionNotUnderstood', what));
