/**
 * H.239 on one call's H.245 session: the capabilities we add (h239ControlCapability and H.264 in
 * the presentation role, each a simultaneous capability of its own, so content flows beside the
 * main video), the presentation channels both ways, and the token messages.
 *
 *  - The endpoint's OpenLogicalChannel whose data type is extendedVideoCapability labelled
 *    presentation, H.264 inside, is acknowledged with where our content leg receives; any other
 *    extended video is refused. It is accepted on fast-start and slow-start calls alike.
 *  - Ours (open()) goes out when the bridge has content for the endpoint, in the format of the
 *    endpoint's own presentation capability (H.264, held to the site's rate), and only if the
 *    endpoint advertised H.239. Its Ack names where the endpoint receives.
 *  - Session IDs: as master we number the presentation session (CONTENT_SESSION), also in the Ack
 *    of the endpoint's channel when it left it to us (0); as slave we leave ours to the endpoint.
 */
import type { AsnValue, ChoiceValue } from '../asn1/types';
import { rtcpAddress } from '../messages/common';
import * as m from '../messages/h245';
import {
  H239DecodeError,
  extendedVideoCapability,
  h239ControlCapability,
  h239Message,
  hasH239Control,
  readH239,
  roleVideoCapabilities,
  type GenericKind,
} from '../messages/h239';
import { alt, get, getArray, getNumber, getSeq, h245IpPort, isChoice } from '../messages/read';
import { formatOf, h241ToProfileLevelId, withMaxBitRate, type ProposalFormat } from './fast-start';
import { PresentationToken, type TokenFloor } from './h239';
import { VIDEO_MAX_BIT_RATE } from './logical-channels';
import type { ContentFormat, ContentReceive, VideoMedia } from './sink';

/** The session ID the master gives presentation channels (any dynamic one; 32 as several MCUs use). */
export const CONTENT_SESSION = 32;
/** Our presentation channels' numbers: clear of the main channels (from 101) whatever the call did. */
const FIRST_CONTENT_CHANNEL = 1001;

export interface PresentationHooks {
  send(msg: ChoiceValue): void;
  /** Master/slave determination so far. */
  masterSlave(): 'master' | 'slave' | undefined;
  floor: TokenFloor;
  /** The endpoint's capability set arrived: whether it lists h239ControlCapability. */
  capable(h239: boolean): void;
  fromEndpoint(format: ContentFormat): void;
  toEndpoint(media: VideoMedia): void;
  closed(direction: 'from' | 'to'): void;
  /** The endpoint asks for a keyframe of the content we send it. */
  keyframeRequest(): void;
  /** Something the endpoint sent broke H.239 (logged; the message is dropped). */
  malformed(reason: string): void;
}

interface OurChannel {
  readonly channel: number;
  readonly payloadType: number;
  readonly profileLevelId?: string;
  state: 'opening' | 'open';
}

export class Presentation {
  private readonly token: PresentationToken;
  private remoteTcs: AsnValue | undefined;
  private theirs: number | undefined;
  private ours: OurChannel | undefined;
  private nextChannel = FIRST_CONTENT_CHANNEL;
  /** The bridge has content for the endpoint: our channel opens as soon as its capabilities allow. */
  private wanted = false;

  constructor(
    private readonly receive: ContentReceive,
    private readonly hooks: PresentationHooks,
  ) {
    this.token = new PresentationToken(hooks.floor);
  }

  /** Capability table entries from `first` on: control, then H.264 in the presentation role. */
  capabilities(first: number): m.CapabilityEntry[] {
    return [
      { number: first, capability: h239ControlCapability() },
      m.receiveVideo(first + 1, extendedVideoCapability(m.h264Capability({ maxBitRate100bps: this.maxBitRate }))),
    ];
  }

  onCapabilities(tcs: AsnValue): void {
    this.remoteTcs = tcs;
    this.hooks.capable(hasH239Control(tcs));
    if (this.wanted && !this.ours) this.open();
  }

  /** The channel the endpoint presents on, for keyframe requests. */
  get channelFromEndpoint(): number | undefined {
    return this.theirs;
  }

  /** Whether `channel` is our presentation channel (the endpoint's keyframe requests on it are for content). */
  isOurs(channel: number): boolean {
    return this.ours?.channel === channel;
  }

  keyframeRequest(): void {
    this.hooks.keyframeRequest();
  }

  /** The endpoint holds the presentation token. */
  get holdsToken(): boolean {
    return this.token.held;
  }

  /** request.openLogicalChannel: the answer when it is a presentation channel, else undefined. */
  onOpen(olc: AsnValue): ChoiceValue | undefined {
    const fwd = getSeq(olc, 'forwardLogicalChannelParameters');
    const video = alt(get(fwd, 'dataType'), 'videoData');
    if (!isChoice(video) || video.choice !== 'extendedVideoCapability') return undefined;
    const channel = getNumber(olc, 'forwardLogicalChannelNumber') ?? 0;
    const format = presentationH264(video)?.format;
    if (!format) return m.openLogicalChannelReject(channel, 'dataTypeNotSupported');
    const params = alt(get(fwd, 'multiplexParameters'), 'h2250LogicalChannelParameters');
    const payloadType = getNumber(params, 'dynamicRTPPayloadType');
    const profileLevelId = h241ToProfileLevelId(format.profile, format.level);
    this.theirs = channel;
    this.hooks.fromEndpoint({ ...(payloadType !== undefined ? { payloadType } : {}), ...(profileLevelId ? { profileLevelId } : {}) });
    const sessionId = getNumber(params, 'sessionID') || CONTENT_SESSION;
    return m.openLogicalChannelAck({ channel, sessionId, media: this.receive, mediaControl: rtcpAddress(this.receive) });
  }

  /** response.openLogicalChannelAck: true when it answers our presentation channel. */
  onAck(ack: AsnValue): boolean {
    const ours = this.ours;
    if (!ours || getNumber(ack, 'forwardLogicalChannelNumber') !== ours.channel) return false;
    const rtp = h245IpPort(get(alt(get(ack, 'forwardMultiplexAckParameters'), 'h2250LogicalChannelAckParameters'), 'mediaChannel'));
    if (ours.state !== 'opening') return true;
    if (!rtp) {
      // An Ack that says nowhere to send is no channel: close it rather than keep a dead one.
      this.ours = undefined;
      this.hooks.send(m.closeLogicalChannel(ours.channel));
      this.hooks.closed('to');
      return true;
    }
    ours.state = 'open';
    this.hooks.toEndpoint({ ...rtp, payloadType: ours.payloadType, ...(ours.profileLevelId ? { profileLevelId: ours.profileLevelId } : {}) });
    return true;
  }

  /** response.openLogicalChannelReject: true when it refuses our presentation channel. */
  onReject(reject: AsnValue): boolean {
    if (!this.ours || getNumber(reject, 'forwardLogicalChannelNumber') !== this.ours.channel) return false;
    this.ours = undefined;
    this.hooks.closed('to');
    return true;
  }

  /** request.closeLogicalChannel of the endpoint's channel: true when it was its presentation channel. */
  onClose(channel: number): boolean {
    if (this.theirs !== channel) return false;
    this.theirs = undefined;
    this.hooks.closed('from');
    return true;
  }

  /** A generic message from the endpoint: handled when it is H.239 (true), else left to the session. */
  onGeneric(kind: GenericKind, body: AsnValue | undefined): boolean {
    let msg: ReturnType<typeof readH239>;
    try {
      msg = readH239(kind, body);
    } catch (e) {
      if (!(e instanceof H239DecodeError)) throw e;
      this.hooks.malformed(e.message);
      return true;
    }
    if (!msg) return false;
    const answer = this.token.receive(msg);
    if (answer) this.hooks.send(h239Message(answer));
    return true;
  }

  /** The floor came to the endpoint while its request waited: the acknowledge it is owed. */
  grantToken(): void {
    const answer = this.token.granted();
    if (answer) this.hooks.send(h239Message(answer));
  }

  /** The floor went elsewhere: the holder is told to stop (presentationTokenRelease), a waiting request refused. */
  revokeToken(): void {
    const answer = this.token.revoke();
    if (answer) this.hooks.send(h239Message(answer));
  }

  /**
   * Opens our presentation channel toward the endpoint, announcing the bridge as the token's owner.
   * False when the endpoint takes no H.239 presentation in H.264, or has not said yet: then the
   * channel opens when its capabilities say it can.
   */
  open(): boolean {
    this.wanted = true;
    if (this.ours) return true;
    const remote = this.remotePresentation();
    if (!remote) return false;
    const profileLevelId = h241ToProfileLevelId(remote.format.profile, remote.format.level);
    const video = withMaxBitRate({ choice: 'videoData', value: remote.cap }, this.maxBitRate).value;
    if (!isChoice(video)) return false;
    const channel = this.nextChannel++;
    this.ours = { channel, payloadType: this.receive.payloadType, state: 'opening', ...(profileLevelId ? { profileLevelId } : {}) };
    this.hooks.send(h239Message(PresentationToken.indicateOwner(channel)));
    this.hooks.send(
      m.openLogicalChannelRequest(
        m.openLogicalChannel({
          channel,
          sessionId: this.hooks.masterSlave() === 'master' ? CONTENT_SESSION : 0,
          dataType: { choice: 'videoData', value: extendedVideoCapability(video) },
          mediaControl: rtcpAddress(this.receive),
          dynamicPayloadType: this.receive.payloadType,
        }),
      ),
    );
    return true;
  }

  /** Closes our presentation channel (the bridge has no content for the endpoint any more). */
  close(): void {
    this.wanted = false;
    const ours = this.ours;
    if (!ours) return;
    this.ours = undefined;
    this.hooks.send(m.closeLogicalChannel(ours.channel));
  }

  /** The H.264 capability the endpoint receives in the presentation role, if it advertised H.239. */
  private remotePresentation(): PresentationH264 | undefined {
    if (!hasH239Control(this.remoteTcs)) return undefined;
    for (const entry of getArray(this.remoteTcs, 'capabilityTable')) {
      const cap = get(entry, 'capability');
      if (!isChoice(cap) || (cap.choice !== 'receiveVideoCapability' && cap.choice !== 'receiveAndTransmitVideoCapability')) continue;
      const h264 = presentationH264(cap.value);
      if (h264) return h264;
    }
    return undefined;
  }

  private get maxBitRate(): number {
    return Math.min(VIDEO_MAX_BIT_RATE, this.receive.maxBitRate100bps ?? VIDEO_MAX_BIT_RATE);
  }
}

type VideoFormat = Extract<ProposalFormat, { kind: 'video' }>;
interface PresentationH264 {
  readonly cap: ChoiceValue;
  readonly format: VideoFormat;
}

/** The H.264 capability (and its format) of a VideoCapability labelled presentation, if it has one. */
function presentationH264(videoCapability: AsnValue | undefined): PresentationH264 | undefined {
  for (const cap of roleVideoCapabilities(videoCapability) ?? []) {
    const format = formatOf({ choice: 'videoData', value: cap });
    if (format?.kind === 'video') return { cap, format };
  }
  return undefined;
}
