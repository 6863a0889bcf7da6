/**
 * The H.245 control procedures a gateway call needs, independent of transport (tunnelled in
 * H.225 messages, or a separate TCP channel): capability exchange, master/slave determination,
 * round-trip delay, closing channels, end of session and fast update (keyframe) requests. With
 * fast start the media already flows, and logical channels opened later (presentation, far-end
 * camera control) are refused, except H.239 presentation channels on a call with content
 * (enableContent, see presentation.ts); a slow-start call opens its audio and video channels here
 * (openChannels, see logical-channels.ts).
 *
 * A PDU that does not decode is logged and skipped rather than ending the call: the media is
 * independent of H.245, and an endpoint's odd message is no reason to drop a meeting.
 */
import { randomInt } from 'node:crypto';
import * as h245 from '../asn1/generated/h245';
import type { AsnValue, ChoiceValue } from '../asn1/types';
import type { Logger } from '../../log';
import * as m from '../messages/h245';
import { isGenericKind } from '../messages/h239';
import { choicePath, get, getNumber, isChoice } from '../messages/read';
import { PerDecodeError, perDecode, perEncode } from '../per';
import { LogicalChannels, VIDEO_MAX_BIT_RATE, type LogicalChannelHooks } from './logical-channels';
import { Presentation, type PresentationHooks } from './presentation';
import type { ContentReceive, ReceiveOffer } from './sink';

/** H.323 Table 1 terminal types: a gateway without MC. */
export const GATEWAY_TERMINAL_TYPE = 60;
const MOD24 = 1 << 24;
const HALF24 = 1 << 23;

export interface H245SessionEvents {
  /** The endpoint asks for a keyframe on a channel we transmit (videoFastUpdatePicture). */
  keyframeRequest(channel: number): void;
  /** The endpoint sent endSessionCommand: the call is ending. */
  endSession(): void;
}

export interface H245StartOptions {
  readonly capabilities: boolean;
  readonly videoMaxBitRate100bps?: number;
}

/** Master/slave determination result (H.245 C.2): `master` means we are. */
export type MsdResult = 'master' | 'slave';

export class H245Session {
  private tcsSeq = 0;
  private msdState: 'idle' | 'outgoing' | 'incoming' | 'done' = 'idle';
  private msdNumber = randomInt(0, MOD24);
  private msdRetries = 0;
  private result: MsdResult | undefined;
  /** The endpoint's last TerminalCapabilitySet. */
  private remoteTcs: AsnValue | undefined;
  private channels: LogicalChannels | undefined;
  private presentation: Presentation | undefined;
  /** The site's video limit (H.245 maxBitRate, 100 bit/s), if it has one. */
  private videoMaxBitRate: number | undefined;

  constructor(
    private readonly send: (pdus: readonly Uint8Array[]) => void,
    private readonly events: H245SessionEvents,
    private readonly log: Logger,
    private readonly terminalType = GATEWAY_TERMINAL_TYPE,
  ) {}

  /**
   * Our opening: capability set and master/slave determination. A call that does not know yet
   * what the site's line takes holds its capabilities back (`capabilities: false`) until
   * advertise() (fast start, answered) or openChannels (slow start) does. `videoMaxBitRate100bps`:
   * the site's video limit, when known from the start (dial-out).
   */
  start(o: H245StartOptions = { capabilities: true }): void {
    if (o.videoMaxBitRate100bps !== undefined) this.videoMaxBitRate = o.videoMaxBitRate100bps;
    this.emit(...(o.capabilities ? [this.ourCapabilities()] : []), m.masterSlaveDetermination(this.terminalType, this.msdNumber));
    this.msdState = 'outgoing';
  }

  /** Fast start, answered: our capability set, video held to the site's line if it has a limit. */
  advertise(videoMaxBitRate100bps: number | undefined): void {
    if (videoMaxBitRate100bps !== undefined) this.videoMaxBitRate = videoMaxBitRate100bps;
    this.emit(this.ourCapabilities());
  }

  /** Slow start: advertise exactly what `receive` takes and open logical channels both ways. */
  openChannels(receive: ReceiveOffer, hooks: Omit<LogicalChannelHooks, 'send'>): void {
    if (this.channels) return;
    this.channels = new LogicalChannels(receive, { ...hooks, send: (msg) => this.emit(msg) }, this.remoteTcs);
    this.emit(this.ourCapabilities());
  }

  /**
   * H.239 on this call: our capabilities (from the next set we send) add the presentation role,
   * and presentation channels and token messages are served. Before advertise/openChannels.
   */
  enableContent(receive: ContentReceive, hooks: Omit<PresentationHooks, 'send' | 'masterSlave'>): void {
    if (this.presentation) return;
    this.presentation = new Presentation(receive, { ...hooks, send: (msg) => this.emit(msg), masterSlave: () => this.result });
    if (this.remoteTcs !== undefined) this.presentation.onCapabilities(this.remoteTcs);
  }

  /** H.239 content toward the endpoint (false when it takes none, or the call has no content). */
  sendContent(): boolean {
    return this.presentation?.open() ?? false;
  }
  stopContent(): void {
    this.presentation?.close();
  }
  /** A queued token request's turn came. */
  grantToken(): void {
    this.presentation?.grantToken();
  }
  /** The floor left the endpoint (or its waiting request is given up). */
  revokeToken(): void {
    this.presentation?.revokeToken();
  }
  /** Asks the endpoint for a keyframe of the content it presents. */
  requestContentKeyframe(): boolean {
    const channel = this.presentation?.channelFromEndpoint;
    if (channel === undefined) return false;
    this.emit(m.videoFastUpdatePicture(channel));
    return true;
  }

  get masterSlave(): MsdResult | undefined {
    return this.result;
  }
  get capabilitiesReceived(): boolean {
    return this.remoteTcs !== undefined;
  }
  /** Slow start: the channel the endpoint sends video on. */
  get videoFromEndpoint(): number | undefined {
    return this.channels?.videoFromEndpoint;
  }

  /** The call is over: pending channel timers off. */
  close(): void {
    this.channels?.end();
  }

  /** Asks the endpoint for a keyframe on its video channel (the SIP side got a FIR/PLI/INFO). */
  requestKeyframe(channel: number): void {
    this.emit(m.videoFastUpdatePicture(channel));
  }

  endSession(): void {
    this.emit(m.endSessionCommand());
  }

  /** One received PDU (MultimediaSystemControlMessage). */
  receive(bytes: Uint8Array): void {
    let msg: AsnValue;
    try {
      msg = perDecode(h245.MultimediaSystemControlMessage, bytes);
    } catch (e) {
      if (!(e instanceof PerDecodeError)) throw e;
      this.log.warn({ err: e.message, octets: bytes.length }, 'H.245: undecodable PDU skipped');
      return;
    }
    if (!isChoice(msg) || !isChoice(msg.value)) return;
    const [kind, name] = [msg.choice, msg.value.choice];
    const body = msg.value.value;
    this.log.debug({ h245: `${kind}.${name}` }, 'H.245 received');
    switch (`${kind}.${name}`) {
      case 'request.terminalCapabilitySet':
        this.remoteTcs = body;
        this.emit(m.terminalCapabilitySetAck(getNumber(body, 'sequenceNumber') ?? 0));
        this.presentation?.onCapabilities(body);
        return this.channels?.onCapabilities(body);
      case 'request.masterSlaveDetermination':
        return this.onMsd(body);
      case 'response.masterSlaveDeterminationAck':
        return this.onMsdAck(body);
      case 'response.masterSlaveDeterminationReject':
        return this.onMsdReject();
      case 'request.roundTripDelayRequest':
        return this.emit(m.roundTripDelayResponse(getNumber(body, 'sequenceNumber') ?? 0));
      case 'request.closeLogicalChannel': {
        const channel = getNumber(body, 'forwardLogicalChannelNumber') ?? 1;
        if (!this.presentation?.onClose(channel)) this.channels?.onClose(channel);
        return this.emit(m.closeLogicalChannelAck(channel));
      }
      case 'request.openLogicalChannel':
        return this.emit(
          this.presentation?.onOpen(body) ??
            this.channels?.onOpen(body) ??
            m.openLogicalChannelReject(getNumber(body, 'forwardLogicalChannelNumber') ?? 1, 'dataTypeNotSupported'),
        );
      case 'response.openLogicalChannelAck':
        if (this.presentation?.onAck(body)) return;
        return this.channels?.onAck(body);
      case 'response.openLogicalChannelReject':
        if (this.presentation?.onReject(body)) return;
        return this.channels?.onReject(body);
      case 'request.requestChannelClose':
        return this.emit({
          choice: 'response',
          value: { choice: 'requestChannelCloseAck', value: { forwardLogicalChannelNumber: getNumber(body, 'forwardLogicalChannelNumber') ?? 1 } },
        });
      case 'command.miscellaneousCommand': {
        if (choicePath(get(body, 'type'), 1)[0] !== 'videoFastUpdatePicture') return;
        const channel = getNumber(body, 'logicalChannelNumber') ?? 0;
        if (this.presentation?.isOurs(channel)) return this.presentation.keyframeRequest();
        return this.events.keyframeRequest(channel);
      }
      case 'request.genericRequest':
      case 'response.genericResponse':
      case 'command.genericCommand':
      case 'indication.genericIndication':
        if (isGenericKind(name) && this.presentation?.onGeneric(name, body)) return;
        if (kind === 'request') this.emit(m.functionNotUnderstood(msg));
        return;
      case 'command.endSessionCommand':
        return this.events.endSession();
      case 'command.sendTerminalCapabilitySet':
        return this.emit(this.ourCapabilities());
      default:
        // Requests we cannot serve get functionNotUnderstood (H.245 8.1), so the peer stops waiting.
        if (kind === 'request') this.emit(m.functionNotUnderstood(msg));
    }
  }

  private nextTcsSeq(): number {
    this.tcsSeq = (this.tcsSeq + 1) % 256;
    return this.tcsSeq;
  }

  private ourCapabilities(): ChoiceValue {
    const others = (first: number): m.CapabilityEntry[] => this.presentation?.capabilities(first) ?? [];
    if (this.channels) return this.channels.capabilitySet(this.nextTcsSeq(), others);
    return m.terminalCapabilitySet({
      seq: this.nextTcsSeq(),
      audio: [m.receiveAudio(1, 'g722-64k'), m.receiveAudio(2, 'g711Ulaw64k'), m.receiveAudio(3, 'g711Alaw64k')],
      video: [m.receiveVideo(4, m.h264Capability({ maxBitRate100bps: Math.min(VIDEO_MAX_BIT_RATE, this.videoMaxBitRate ?? VIDEO_MAX_BIT_RATE) }))],
      others: others(5),
    });
  }

  private onMsd(body: AsnValue): void {
    const type = getNumber(body, 'terminalType') ?? 0;
    const number = getNumber(body, 'statusDeterminationNumber') ?? 0;
    let weAreMaster: boolean;
    if (type !== this.terminalType) weAreMaster = this.terminalType > type;
    else {
      const diff = (number - this.msdNumber + MOD24) % MOD24;
      if (diff === 0 || diff === HALF24) {
        this.msdNumber = randomInt(0, MOD24);
        return this.emit(m.masterSlaveDeterminationReject());
      }
      // (remote - local) mod 2^24 below 2^23: the remote number is "larger", the remote is master.
      weAreMaster = diff >= HALF24;
    }
    this.result = weAreMaster ? 'master' : 'slave';
    this.msdState = 'incoming';
    // The Ack states the decision from the receiver's point of view.
    this.emit(m.masterSlaveDeterminationAck(weAreMaster ? 'slave' : 'master'));
  }

  private onMsdAck(body: AsnValue): void {
    const decision = choicePath(get(body, 'decision'), 1)[0];
    if (this.msdState === 'outgoing' && (decision === 'master' || decision === 'slave')) {
      this.result = decision;
      this.emit(m.masterSlaveDeterminationAck(decision === 'master' ? 'slave' : 'master'));
    }
    this.msdState = 'done';
  }

  private onMsdReject(): void {
    if (this.msdRetries++ >= 3) {
      this.msdState = 'idle';
      return;
    }
    this.msdNumber = randomInt(0, MOD24);
    this.emit(m.masterSlaveDetermination(this.terminalType, this.msdNumber));
    this.msdState = 'outgoing';
  }

  private emit(...msgs: ChoiceValue[]): void {
    this.send(msgs.map((x) => perEncode(h245.MultimediaSystemControlMessage, x)));
  }
}
