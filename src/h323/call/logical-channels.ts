/**
 * Logical channels opened over H.245 once the call is up: slow start, for endpoints that put no
 * fastStart in their Setup or Connect. Each side opens the channels it transmits on (H.245 8.4,
 * unidirectional):
 *
 *  - the endpoint's OpenLogicalChannel in a format we advertised is acknowledged with where our
 *    media server receives it (mediaChannel) and its RTCP; other formats are refused;
 *  - we open ours in the format and payload type of the endpoint's channel of the same kind, since
 *    the SIP leg carries one format per stream both ways; if the endpoint has opened none shortly
 *    after its capabilities arrive, in the first format of its capability table that we take.
 *    Its Ack names where it receives.
 *
 * `opened` reports the endpoint's receive addresses each time one of our channels is acknowledged
 * and audio is among them; `failed` when audio cannot be opened, or not in time.
 */
import type { AsnValue, ChoiceValue } from '../asn1/types';
import { rtcpAddress } from '../messages/common';
import * as m from '../messages/h245';
import { alt, get, getArray, getNumber, getSeq, h245IpPort, isChoice } from '../messages/read';
import { AUDIO_CAPABILITY, formatOf, h241ToProfileLevelId, withMaxBitRate, type ProposalFormat } from './fast-start';
import type { H323Media, ReceiveOffer, RtpAddress } from './sink';

/** How long we leave the endpoint to open its channels first, so that ours can mirror them. */
const MIRROR_GRACE_MS = 300;
/** How long audio may take to open both ways once we advertised our capabilities. */
const OPEN_TIMEOUT_MS = 15_000;
const FIRST_CHANNEL = 101;

type Kind = 'audio' | 'video';
const SESSION: Readonly<Record<Kind, 1 | 2>> = { audio: 1, video: 2 };

/** A format the endpoint can receive (from its TerminalCapabilitySet), as the DataType we would send. */
interface Capability {
  readonly format: ProposalFormat;
  readonly dataType: ChoiceValue;
}

interface TheirChannel {
  readonly channel: number;
  readonly format: ProposalFormat;
  readonly payloadType?: number;
}

interface OurChannel {
  readonly channel: number;
  readonly format: ProposalFormat;
  readonly payloadType?: number;
  state: 'opening' | 'open' | 'refused';
  rtp?: RtpAddress;
}

export interface LogicalChannelHooks {
  send(msg: ChoiceValue): void;
  opened(media: H323Media): void;
  failed(reason: string): void;
}

const RECEIVE_CAPABILITY: Readonly<Record<string, Kind>> = {
  receiveAudioCapability: 'audio',
  receiveAndTransmitAudioCapability: 'audio',
  receiveVideoCapability: 'video',
  receiveAndTransmitVideoCapability: 'video',
};

/** What the endpoint can receive, in its capability table's order (its preference, by convention). */
export function receiveCapabilities(tcs: AsnValue | undefined): Capability[] {
  const out: Capability[] = [];
  for (const entry of getArray(tcs, 'capabilityTable')) {
    const cap = get(entry, 'capability');
    if (!isChoice(cap)) continue;
    const kind = RECEIVE_CAPABILITY[cap.choice];
    if (!kind || !isChoice(cap.value)) continue;
    const dataType: ChoiceValue = { choice: kind === 'audio' ? 'audioData' : 'videoData', value: cap.value };
    const format = formatOf(dataType);
    if (format) out.push({ format, dataType });
  }
  return out;
}

export class LogicalChannels {
  private remote: Capability[] | undefined;
  private readonly theirs = new Map<Kind, TheirChannel>();
  private readonly ours = new Map<Kind, OurChannel>();
  private nextChannel = FIRST_CHANNEL;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly deadline: NodeJS.Timeout;
  private over = false;

  constructor(
    private readonly receive: ReceiveOffer,
    private readonly hooks: LogicalChannelHooks,
    remoteCapabilities?: AsnValue,
  ) {
    this.deadline = setTimeout(() => this.fail('audio channels did not open in time'), OPEN_TIMEOUT_MS);
    if (remoteCapabilities) this.onCapabilities(remoteCapabilities);
  }

  /** The TerminalCapabilitySet we advertise: exactly what our media server takes, and `others` numbered after. */
  capabilitySet(seq: number, others: (first: number) => m.CapabilityEntry[] = () => []): ChoiceValue {
    const audio = this.receive.audio.codecs.map((c, i) => m.receiveAudio(i + 1, AUDIO_CAPABILITY[c]));
    const video = this.receive.video ? [m.receiveVideo(audio.length + 1, m.h264Capability({ maxBitRate100bps: this.videoMaxBitRate }))] : [];
    return m.terminalCapabilitySet({ seq, audio, video, others: others(audio.length + video.length + 1) });
  }

  /** The channel the endpoint sends video on, for keyframe requests. */
  get videoFromEndpoint(): number | undefined {
    return this.theirs.get('video')?.channel;
  }

  onCapabilities(tcs: AsnValue): void {
    if (this.over) return;
    this.remote = receiveCapabilities(tcs);
    clearTimeout(this.graceTimer);
    this.graceTimer = setTimeout(() => this.openRemaining(), MIRROR_GRACE_MS);
  }

  /** request.openLogicalChannel from the endpoint: the answer to send. */
  onOpen(olc: AsnValue): ChoiceValue {
    const channel = getNumber(olc, 'forwardLogicalChannelNumber') ?? 0;
    const fwd = getSeq(olc, 'forwardLogicalChannelParameters');
    const format = formatOf(get(fwd, 'dataType'));
    const params = alt(get(fwd, 'multiplexParameters'), 'h2250LogicalChannelParameters');
    if (this.over || !format || !this.takes(format)) return m.openLogicalChannelReject(channel, 'dataTypeNotSupported');
    const to = format.kind === 'audio' ? this.receive.audio : this.receive.video!;
    const payloadType = getNumber(params, 'dynamicRTPPayloadType');
    this.theirs.set(format.kind, { channel, format, ...(payloadType !== undefined ? { payloadType } : {}) });
    if (!this.ours.has(format.kind)) this.open(format.kind, this.mirror(format), payloadType);
    return m.openLogicalChannelAck({ channel, sessionId: getNumber(params, 'sessionID') ?? SESSION[format.kind], media: to, mediaControl: rtcpAddress(to) });
  }

  onAck(ack: AsnValue): void {
    const ours = this.find(getNumber(ack, 'forwardLogicalChannelNumber'));
    if (ours?.state !== 'opening') return;
    const params = alt(get(ack, 'forwardMultiplexAckParameters'), 'h2250LogicalChannelAckParameters');
    const rtp = h245IpPort(get(params, 'mediaChannel'));
    if (!rtp) {
      ours.state = 'refused';
      return this.check();
    }
    ours.state = 'open';
    ours.rtp = rtp;
    this.check();
  }

  onReject(reject: AsnValue): void {
    const ours = this.find(getNumber(reject, 'forwardLogicalChannelNumber'));
    if (ours?.state !== 'opening') return;
    ours.state = 'refused';
    this.check();
  }

  /** The endpoint closed a channel it sends on. */
  onClose(channel: number): void {
    for (const [kind, t] of this.theirs) if (t.channel === channel) this.theirs.delete(kind);
  }

  end(): void {
    this.over = true;
    clearTimeout(this.graceTimer);
    clearTimeout(this.deadline);
  }

  private takes(f: ProposalFormat): boolean {
    return f.kind === 'audio' ? this.receive.audio.codecs.includes(f.codec) : this.receive.video !== undefined;
  }

  /**
   * What we send in answer to the endpoint's format: audio as our media server packs it; video
   * as the endpoint said it can receive H.264 (profile, level, bit rate), if it said so.
   */
  private mirror(f: ProposalFormat): Capability {
    const video = f.kind === 'video' ? this.remote?.find((c) => c.format.kind === 'video') : undefined;
    if (video) return { format: video.format, dataType: withMaxBitRate(video.dataType, this.videoMaxBitRate) };
    return { format: f, dataType: defaultDataType(f, this.videoMaxBitRate) };
  }

  /** The site's video bitrate, never above what the gateway takes by default. */
  private get videoMaxBitRate(): number {
    return Math.min(VIDEO_MAX_BIT_RATE, this.receive.video?.maxBitRate100bps ?? VIDEO_MAX_BIT_RATE);
  }

  private openRemaining(): void {
    this.graceTimer = undefined;
    if (this.over) return;
    for (const kind of ['audio', 'video'] as const) {
      if (this.ours.has(kind)) continue;
      const cap = this.remote?.find((c) => c.format.kind === kind && this.takes(c.format));
      if (cap) this.open(kind, this.mirror(cap.format), undefined);
      else if (kind === 'audio') return this.fail('no audio format in common with the endpoint');
    }
  }

  private open(kind: Kind, cap: Capability, payloadType: number | undefined): void {
    const channel = this.nextChannel++;
    const pt = kind === 'video' ? (payloadType ?? this.receive.video?.payloadType) : undefined;
    this.ours.set(kind, { channel, format: cap.format, state: 'opening', ...(pt !== undefined ? { payloadType: pt } : {}) });
    const from = kind === 'audio' ? this.receive.audio : this.receive.video!;
    this.hooks.send(
      m.openLogicalChannelRequest(
        m.openLogicalChannel({
          channel,
          sessionId: SESSION[kind],
          dataType: cap.dataType,
          mediaControl: rtcpAddress(from),
          ...(pt !== undefined ? { dynamicPayloadType: pt } : {}),
        }),
      ),
    );
  }

  private find(channel: number | undefined): OurChannel | undefined {
    return [...this.ours.values()].find((c) => c.channel === channel);
  }

  /** After each answer to one of our channels: report what is open, or give up on audio. */
  private check(): void {
    if (this.over) return;
    const audio = this.ours.get('audio');
    if (audio?.state === 'refused') return this.fail('the endpoint refused our audio channel');
    if (audio?.state !== 'open' || audio.format.kind !== 'audio') return;
    clearTimeout(this.deadline);
    const video = this.ours.get('video');
    const media: { audio: H323Media['audio']; video?: H323Media['video'] } = { audio: { ...audio.rtp!, codec: audio.format.codec } };
    if (video?.state === 'open' && video.format.kind === 'video' && video.payloadType !== undefined) {
      const profileLevelId = h241ToProfileLevelId(video.format.profile, video.format.level);
      media.video = { ...video.rtp!, payloadType: video.payloadType, ...(profileLevelId ? { profileLevelId } : {}) };
    }
    if (video?.state === 'opening') return; // one report once both are answered
    this.hooks.opened(media);
  }

  private fail(reason: string): void {
    if (this.over) return;
    this.end();
    this.hooks.failed(reason);
  }
}

/** H.264 up to 2.048 Mbit/s when the site sets no bandwidth (H.245 units of 100 bit/s). */
export const VIDEO_MAX_BIT_RATE = 20480;

function defaultDataType(f: ProposalFormat, maxBitRate100bps: number): ChoiceValue {
  return f.kind === 'audio'
    ? { choice: 'audioData', value: m.audioCapability(AUDIO_CAPABILITY[f.codec]) }
    : { choice: 'videoData', value: m.h264Capability({ maxBitRate100bps }) };
}
