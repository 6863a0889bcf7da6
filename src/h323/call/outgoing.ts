/**
 * One outgoing H.323 call (dial-out): the mirror of CallConnection. We are the caller, so we
 * propose fast start (one forward and one reverse OpenLogicalChannel per format, RTP to our
 * media server) and open tunnelled H.245 (TCS + MSD) in the Setup; the endpoint answers with
 * Connect carrying the proposals it accepted (its receive addresses), or Release Complete.
 *
 *   Setup ──► [CallProceeding/Alerting] ──► Connect (fastStart) | ReleaseComplete | ring timeout
 *
 * Every path ends with the socket closed and no timer left: `settle` for the attempt, `finish`
 * for the call. H.245 is only tunnelled: an endpoint that turns tunnelling off still gets media
 * (fast start carries it all) but no H.245 session, as we open no separate channel on dial-out.
 * Input that does not decode ends the attempt (or the call): the stream cannot be trusted after it.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import * as h225 from '../asn1/generated/h225';
import * as h245 from '../asn1/generated/h245';
import type { ChoiceValue, SequenceValue } from '../asn1/types';
import type { Logger } from '../../log';
import { rtcpAddress, type IpPort } from '../messages/common';
import * as m245 from '../messages/h245';
import { alt, get, getArray, getSeq, guidText, isChoice } from '../messages/read';
import * as uu from '../messages/uuie';
import { PerDecodeError, perDecode, perEncode } from '../per';
import { Q931DecodeError } from '../q931/errors';
import {
  IeId,
  MessageType,
  callStateIe,
  causeIe,
  causeValue,
  decodeQ931,
  displayIe,
  encodeQ931,
  findIe,
  userUserIe,
  userUserPdu,
  type Q931Ie,
} from '../q931/q931';
import { TpktReader, tpktFrame } from '../q931/tpkt';
import { Q850, q850ToSipStatus } from './cause';
import { AUDIO_CAPABILITY, parseFastStart } from './fast-start';
import { H245Link } from './h245-link';
import type { AudioCodecName, H323Media, RtpAddress } from './sink';

export interface OutgoingCallOptions {
  readonly to: IpPort;
  /** The endpoint's alias (destinationAddress). */
  readonly destAlias: string;
  /** Our alias (sourceAddress), e.g. the room number. */
  readonly ourAlias: string;
  readonly display?: string;
  /** Where we (FreeSWITCH) receive audio, and the formats we take, in order of preference. */
  readonly audio: RtpAddress & { readonly codecs: readonly AudioCodecName[] };
  /** Where we receive H.264, with the payload type we send it with and the site's bitrate (ReceiveOffer). */
  readonly video?: RtpAddress & { readonly payloadType: number; readonly maxBitRate100bps?: number };
  readonly ringTimeoutMs: number;
  /** Aborting while ringing cancels the attempt (released with cause 16, failed 487). */
  readonly signal?: AbortSignal;
  /** The endpoint asks for a keyframe of the video we send it (H.245 videoFastUpdatePicture). */
  readonly onKeyframeRequest?: () => void;
  readonly log: Logger;
}

export interface AnsweredCall {
  readonly kind: 'answered';
  readonly callId: string;
  /** Where the endpoint receives RTP, in the format it accepted. */
  readonly media: H323Media;
  /** Sends Release Complete (default cause 16) and closes the connection. */
  hangup(cause?: number): void;
  /** Asks the endpoint for a keyframe of the video it sends; false when it sends none. */
  requestKeyframe(): boolean;
  /** Resolves once when the call is over, whoever ended it; cause null when the connection was lost. */
  readonly ended: Promise<{ cause: number | null }>;
}

export interface FailedCall {
  readonly kind: 'failed';
  /** SIP status for the retry policy; undefined when the endpoint could not be reached at all. */
  readonly sipStatus: number | undefined;
  readonly cause: number | null;
  readonly timedOut: boolean;
  readonly reason: string;
}

export type OutgoingResult = AnsweredCall | FailedCall;

const LINGER_MS = 2000;

/** Our fast-start proposals: for each format, a channel we send on and one we receive on. */
function proposals(o: OutgoingCallOptions): Uint8Array[] {
  const out: Uint8Array[] = [];
  let channel = 0;
  const add = (sessionId: 1 | 2, dt: ChoiceValue, at: RtpAddress, pt?: number): void => {
    const extra = pt !== undefined ? { dynamicPayloadType: pt } : {};
    out.push(
      perEncode(h245.OpenLogicalChannel, m245.openLogicalChannel({ channel: ++channel, sessionId, dataType: dt, mediaControl: rtcpAddress(at), ...extra })),
    );
    out.push(
      perEncode(
        h245.OpenLogicalChannel,
        m245.openReverseLogicalChannel({ channel: ++channel, sessionId, dataType: dt, media: at, mediaControl: rtcpAddress(at), ...extra }),
      ),
    );
  };
  for (const codec of o.audio.codecs) add(1, { choice: 'audioData', value: m245.audioCapability(AUDIO_CAPABILITY[codec]) }, o.audio);
  // 1.024 Mbit/s each way unless the site's line takes less.
  if (o.video)
    add(
      2,
      { choice: 'videoData', value: m245.h264Capability({ maxBitRate100bps: Math.min(10240, o.video.maxBitRate100bps ?? 10240) }) },
      o.video,
      o.video.payloadType,
    );
  return out;
}

/**
 * What the endpoint accepted: the forward channels (ours to send on) now carry its mediaChannel.
 * Video keeps our payload type: the sender of a channel chooses it.
 */
export function acceptedMedia(fastStart: readonly Uint8Array[], o: Pick<OutgoingCallOptions, 'video'>): H323Media {
  const accepted = parseFastStart(fastStart).filter((p) => p.direction === 'toUs' && p.rtp);
  const a = accepted.find((p) => p.format.kind === 'audio');
  const v = accepted.find((p) => p.format.kind === 'video');
  return {
    ...(a && a.format.kind === 'audio' ? { audio: { ...a.rtp!, codec: a.format.codec } } : {}),
    ...(v && o.video ? { video: { ...v.rtp!, payloadType: o.video.payloadType } } : {}),
  };
}

/** Places the call; resolves when it is answered or has failed. */
export function placeH323(o: OutgoingCallOptions): Promise<OutgoingResult> {
  return new Promise((resolve) => new OutgoingCall(o, resolve).start());
}

type State = 'connecting' | 'ringing' | 'connected' | 'ended';

class OutgoingCall {
  private state: State = 'connecting';
  private socket: Socket | undefined;
  private readonly reader = new TpktReader();
  private readonly guid = Uint8Array.from(randomBytes(16));
  private readonly conferenceId = Uint8Array.from(randomBytes(16));
  private readonly crv = randomInt(1, 0x7fff);
  private readonly callId = guidText(this.guid);
  private tunnelling = true;
  private fastStart: readonly Uint8Array[] = [];
  private ringTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private endedResolve: ((v: { cause: number | null }) => void) | undefined;
  private readonly log: Logger;
  private readonly h245: H245Link;
  private readonly onAbort = (): void => this.fail(Q850.normalClearing, 487, 'cancelled', true);

  constructor(
    private readonly o: OutgoingCallOptions,
    private readonly resolve: (r: OutgoingResult) => void,
  ) {
    this.log = o.log.child({ callId: this.callId, to: `${o.to.ip}:${o.to.port}` });
    this.h245 = new H245Link({
      log: () => this.log,
      keyframeRequest: () => {
        if (this.state === 'connected') o.onKeyframeRequest?.();
      },
      sendFacility: (control) => {
        if (this.state === 'ringing' || this.state === 'connected') this.send(MessageType.facility, uu.empty({ h245Tunnelling: true, h245Control: control }));
      },
    });
  }

  start(): void {
    if (this.o.signal?.aborted) return this.settle({ kind: 'failed', sipStatus: 487, cause: null, timedOut: false, reason: 'cancelled before dialling' });
    this.o.signal?.addEventListener('abort', this.onAbort, { once: true });
    // One timer covers connecting and ringing: the site has this long to answer, however it fails to.
    this.ringTimer = setTimeout(
      () => this.fail(Q850.recoveryOnTimerExpiry, undefined, `no answer within ${this.o.ringTimeoutMs} ms`, true, true),
      this.o.ringTimeoutMs,
    );
    const socket = tcpConnect(this.o.to.port, this.o.to.ip);
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => this.onConnected());
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.log.info({ err: err.message }, 'H.225 out: connection error'));
    socket.on('close', () => this.onClose());
  }

  private onConnected(): void {
    if (this.state !== 'connecting') return;
    this.state = 'ringing';
    this.h245.startTunnel([], { capabilities: true, videoMaxBitRate100bps: this.o.video?.maxBitRate100bps }); // queues our TCS + MSD for the Setup
    const ies: Q931Ie[] = this.o.display ? [displayIe(this.o.display)] : [];
    this.send(
      MessageType.setup,
      uu.setup({
        callId: this.guid,
        conferenceId: this.conferenceId,
        sourceAliases: [this.o.ourAlias],
        destAliases: [this.o.destAlias],
        destCallSignalAddress: this.o.to,
        fastStart: proposals(this.o),
        h245Tunnelling: true,
        h245Control: this.h245.takeTunnelled(),
      }),
      ies,
    );
    this.h245.allowFacility();
    this.log.info({ dest: this.o.destAlias }, 'H.225 out: Setup sent');
  }

  private onData(chunk: Buffer): void {
    try {
      for (const payload of this.reader.push(chunk)) {
        if (this.state === 'ended') return;
        this.onQ931(payload);
      }
    } catch (e) {
      if (!(e instanceof Q931DecodeError || e instanceof PerDecodeError)) this.log.error({ err: e }, 'H.225 out: handling failed');
      this.drop(`malformed input: ${(e as Error).message}`);
    }
  }

  private onQ931(payload: Uint8Array): void {
    const msg = decodeQ931(payload);
    if (msg.callReference !== this.crv || !msg.fromDestination) return; // not about our call
    const uuBytes = userUserPdu(msg);
    const pdu = uuBytes ? getSeq(perDecode(h225.H323_UserInformation, uuBytes), 'h323-uu-pdu') : undefined;
    if (pdu && get(pdu, 'h245Tunnelling') === false) this.tunnelling = false;
    const bodyChoice = get(pdu, 'h323-message-body');
    const body = isChoice(bodyChoice) ? alt(bodyChoice, bodyChoice.choice) : undefined;
    // Fast start may be answered in CallProceeding, Alerting, Progress or Connect (H.323 8.1.7.1): keep the latest.
    const fs = getArray(body, 'fastStart').filter((b): b is Uint8Array => b instanceof Uint8Array);
    if (fs.length) this.fastStart = fs;
    if (msg.messageType === MessageType.releaseComplete) {
      const ie = findIe(msg, IeId.cause);
      return this.onRemoteRelease(ie ? (causeValue(ie) ?? null) : null);
    }
    if (msg.messageType === MessageType.statusEnquiry) {
      // Cause 30 "response to STATUS ENQUIRY"; call state 3 outgoing call proceeding / 10 active.
      this.send(MessageType.status, uu.status({ callId: this.guid, h245Tunnelling: this.tunnelling }), [
        causeIe(30),
        callStateIe(this.state === 'connected' ? 10 : 3),
      ]);
    }
    if (this.tunnelling) this.h245.receiveTunnelled(getArray(pdu, 'h245Control').filter((b): b is Uint8Array => b instanceof Uint8Array));
    if (msg.messageType === MessageType.connect && this.state === 'ringing') this.onConnect();
  }

  private onConnect(): void {
    const media = acceptedMedia(this.fastStart, this.o);
    if (!media.audio) return this.fail(Q850.incompatibleDestination, 488, 'connected without accepting an audio channel');
    clearTimeout(this.ringTimer);
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.state = 'connected';
    const ended = new Promise<{ cause: number | null }>((r) => {
      this.endedResolve = r;
    });
    this.log.info({ audio: media.audio, video: media.video ?? null }, 'H.225 out: connected');
    // The endpoint sends video on the reverse proposal it accepted, under the channel number it gave it (H.323 8.1.7.1).
    const video = parseFastStart(this.fastStart).find((p) => p.direction === 'fromUs' && p.format.kind === 'video')?.channel;
    this.resolve({
      kind: 'answered',
      callId: this.callId,
      media,
      ended,
      hangup: (cause = Q850.normalClearing) => this.release(cause),
      requestKeyframe: () => this.state === 'connected' && video !== undefined && this.h245.requestKeyframe(video),
    });
  }

  private onRemoteRelease(cause: number | null): void {
    this.log.info({ cause }, 'H.225 out: released by the endpoint');
    if (this.state === 'connected') return this.end(cause);
    const c = cause ?? Q850.normalUnspecified;
    this.settle({ kind: 'failed', sipStatus: q850ToSipStatus(c), cause, timedOut: false, reason: `released with cause ${c}` });
  }

  /** The attempt failed on our side: release (if a Setup went out) and resolve. */
  private fail(cause: number, sipStatus: number | undefined, reason: string, sendRelease = true, timedOut = false): void {
    if (this.state === 'ended' || this.state === 'connected') return;
    if (sendRelease && this.state === 'ringing') this.sendRelease(cause);
    this.settle({ kind: 'failed', sipStatus, cause: null, timedOut, reason });
  }

  private release(cause: number): void {
    if (this.state !== 'connected') return;
    this.sendRelease(cause);
    this.end(cause);
  }

  private drop(why: string): void {
    this.log.warn({ why }, 'H.225 out: dropping the connection');
    if (this.state === 'connected') {
      this.end(null);
      this.socket?.destroy();
      return;
    }
    this.settle({ kind: 'failed', sipStatus: 502, cause: null, timedOut: false, reason: why });
    this.socket?.destroy();
  }

  private onClose(): void {
    clearTimeout(this.lingerTimer);
    this.h245.destroy();
    if (this.state === 'connected') return this.end(null);
    if (this.state !== 'ended') {
      // Refused or cut before any answer: nothing reached the endpoint, or it went away.
      this.settle({
        kind: 'failed',
        sipStatus: this.state === 'connecting' ? undefined : 500,
        cause: null,
        timedOut: false,
        reason: 'connection closed before an answer',
      });
    }
  }

  private settle(r: FailedCall): void {
    if (this.state === 'ended') return;
    this.log.info({ reason: r.reason, sipStatus: r.sipStatus ?? null }, 'H.225 out: call failed');
    this.finish();
    this.resolve(r);
  }

  private end(cause: number | null): void {
    if (this.state === 'ended') return;
    this.finish();
    this.endedResolve?.({ cause });
  }

  /** Timers off, H.245 over, the socket half-closed and cut if the peer lingers. */
  private finish(): void {
    this.state = 'ended';
    clearTimeout(this.ringTimer);
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.h245.end();
    const s = this.socket;
    if (!s || s.destroyed) return;
    if (s.connecting) {
      s.destroy();
      return;
    }
    s.end();
    this.lingerTimer = setTimeout(() => s.destroy(), LINGER_MS);
  }

  private sendRelease(cause: number): void {
    this.send(MessageType.releaseComplete, uu.releaseComplete({ callId: this.guid, h245Tunnelling: this.tunnelling }), [causeIe(cause)]);
  }

  private send(type: number, value: SequenceValue, ies: readonly Q931Ie[] = []): void {
    const s = this.socket;
    if (!s || s.destroyed || !s.writable || s.connecting) return;
    const q931 = encodeQ931({
      callReference: this.crv,
      fromDestination: false,
      messageType: type,
      ies: [...ies, userUserIe(perEncode(h225.H323_UserInformation, value))],
    });
    s.write(tpktFrame(q931));
  }
}
