/**
 * One incoming H.323 call on one TCP connection (H.225.0 call signalling; `multipleCalls` is
 * false in everything we send, so endpoints open a connection per call).
 *
 *   Setup ──► CallProceeding ──► sink.offer() ──► Connect (fastStart answer)  | ReleaseComplete
 *
 * A Setup without fastStart (slow start) is offered with no media; the sink answers with where
 * it receives, and after Connect the logical channels are opened over H.245 (tunnelled or on the
 * caller's h245Address), their addresses reaching the sink through channelsOpen().
 *
 * Tunnelled H.245 rides in the h245Control of whatever we send next, or in a Facility with an
 * `empty` body when nothing else is due. Input that does not decode (TPKT, Q.931 or the PER of
 * the user-user IE) drops the connection with a log line: the byte stream cannot be trusted
 * after that, and the endpoint will see the call end.
 */
import type { Socket } from 'node:net';
import * as h225 from '../asn1/generated/h225';
import type { SequenceValue } from '../asn1/types';
import type { Logger } from '../../log';
import { alt, choicePath, get, getArray, getSeq, h225IpPort } from '../messages/read';
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
  encodeQ931,
  findIe,
  userUserIe,
  userUserPdu,
  type Q931Ie,
  type Q931Message,
} from '../q931/q931';
import { TpktReader, tpktFrame } from '../q931/tpkt';
import { Q850, sipStatusToQ850 } from './cause';
import { acceptFromUs, acceptToUs, offeredMedia, parseFastStart, selectFastStart, type Proposal, type Selection } from './fast-start';
import { H245Link } from './h245-link';
import { readSetup } from './setup';
import type { ContentReceive, H323CallAnswer, H323CallContent, H323CallSink, H323ContentSink, H323Media, ReceiveOffer, ReleaseWhy } from './sink';

export interface ConnectionDeps {
  readonly sink: H323CallSink;
  readonly log: Logger;
  readonly setupTimeoutMs: number;
  readonly answerTimeoutMs: number;
  /** Claims the call identifier; false when a call with it is already up. */
  claim(conn: CallConnection): boolean;
  /** The call is over (released either way): its identifier is free again. */
  ended(conn: CallConnection): void;
  /** The connection is gone (always called once, last). */
  gone(conn: CallConnection): void;
}

type State = 'awaiting-setup' | 'offering' | 'connected' | 'ended';

/** How long a released connection may stay half-open before we cut it. */
const LINGER_MS = 2000;

export class CallConnection {
  callId: string | undefined;
  private state: State = 'awaiting-setup';
  private readonly reader = new TpktReader();
  private log: Logger;
  private crv = 0;
  private guid: Uint8Array = new Uint8Array(16);
  private conferenceId: Uint8Array = new Uint8Array(16);
  private tunnelling = false;
  /** The sink was offered the call and has not ended it itself: it must hear of the end. */
  private sinkOwed = false;
  private readonly h245: H245Link;
  private timer: NodeJS.Timeout | undefined;
  private proposals: Proposal[] = [];
  private videoFromCaller: number | undefined;
  private contentHandle: H323CallContent | undefined;
  private isGone = false;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ConnectionDeps,
  ) {
    this.log = deps.log.child({ peer: `${socket.remoteAddress}:${socket.remotePort}` });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.log.info({ err: err.message }, 'H.225: connection error'));
    socket.on('close', () => this.onClose());
    this.timer = setTimeout(() => this.abort('no Setup received in time'), deps.setupTimeoutMs);
    this.h245 = new H245Link({
      // Asked when needed, so the link logs with the call identifier once the Setup is in.
      log: () => this.log,
      keyframeRequest: () => this.toSink((sink, id) => sink.keyframeRequest(id), 'keyframe request'),
      sendFacility: (control) => {
        if (this.state === 'offering' || this.state === 'connected')
          this.send(MessageType.facility, uu.empty({ h245Tunnelling: this.tunnelling, h245Control: control }));
      },
    });
  }

  get source(): { ip: string; port: number } {
    return { ip: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0 };
  }

  /** The SIP side ends the call. */
  release(why: ReleaseWhy): boolean {
    if (this.state !== 'offering' && this.state !== 'connected') return false;
    this.sinkOwed = false;
    this.releaseWith('cause' in why ? why.cause : sipStatusToQ850(why.sipStatus), 'released by the SIP side');
    return true;
  }

  /** Asks the endpoint for a keyframe of the video it sends us. */
  requestKeyframe(): boolean {
    const channel = this.videoFromCaller ?? this.h245.videoFromEndpoint;
    if (this.state !== 'connected' || channel === undefined) return false;
    return this.h245.requestKeyframe(channel);
  }

  /** H.239 on a connected call answered with content; undefined otherwise. */
  get content(): H323CallContent | undefined {
    return this.state === 'connected' ? this.contentHandle : undefined;
  }

  /** Server shutdown: release the call (the sink hears of it) and drop the connection. */
  shutdown(): void {
    if (this.state === 'offering' || this.state === 'connected') {
      this.owedHangup(Q850.temporaryFailure, 'the call server is closing');
      this.releaseWith(Q850.temporaryFailure, 'the call server is closing');
    }
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      for (const payload of this.reader.push(chunk)) {
        if (this.state === 'ended') return;
        this.onQ931(payload);
      }
    } catch (e) {
      if (e instanceof Q931DecodeError || e instanceof PerDecodeError) this.abort(`malformed input: ${e.message}`);
      else {
        this.log.error({ err: e }, 'H.225: handling failed');
        this.abort('internal error');
      }
    }
  }

  private onQ931(payload: Uint8Array): void {
    const msg = decodeQ931(payload);
    const uuBytes = userUserPdu(msg);
    const pdu = uuBytes ? getSeq(perDecode(h225.H323_UserInformation, uuBytes), 'h323-uu-pdu') : undefined;
    if (this.state !== 'awaiting-setup' && (msg.callReference !== this.crv || msg.fromDestination)) {
      this.log.info({ crv: msg.callReference }, 'H.225: message for another call reference ignored');
      return;
    }
    switch (msg.messageType) {
      case MessageType.setup:
        if (this.state === 'awaiting-setup') {
          this.onSetup(msg, pdu).catch((err: unknown) => {
            this.log.error({ err }, 'H.225: call setup failed');
            this.abort('internal error');
          });
          return;
        }
        this.log.info('H.225: second Setup on one connection ignored');
        return;
      case MessageType.releaseComplete:
        return this.onRemoteRelease(msg);
      case MessageType.statusEnquiry:
        this.sendStatus();
        break;
      case MessageType.facility: {
        const facility = alt(get(pdu, 'h323-message-body'), 'facility');
        if (!this.tunnelling && choicePath(get(facility, 'reason'), 1)[0] === 'startH245')
          this.h245.openChannel(h225IpPort(get(facility, 'h245Address')), this.source.ip);
        break;
      }
      default:
        break;
    }
    this.tunnelIn(pdu);
  }

  private async onSetup(msg: Q931Message, pdu: SequenceValue | undefined): Promise<void> {
    const setup = readSetup(msg, pdu);
    if (!setup) return this.abort('Setup without an H.225 Setup-UUIE and call identifier');
    clearTimeout(this.timer);
    this.crv = setup.callReference;
    this.guid = setup.guid;
    this.conferenceId = setup.conferenceId;
    this.callId = setup.callId;
    this.tunnelling = setup.tunnelling;
    this.log = this.log.child({ callId: this.callId });
    this.state = 'offering';

    const room = setup.room;
    if (!room) return this.releaseWith(Q850.unallocatedNumber, `no room number dialled (${setup.dialled.join(', ') || 'nothing'})`);
    if (!this.deps.claim(this)) return this.releaseWith(Q850.temporaryFailure, 'call identifier already in use');
    this.proposals = parseFastStart(setup.fastStart);
    const slowStart = setup.fastStart.length === 0;
    const sel = selectFastStart(this.proposals);
    if (!slowStart && !sel.audio) return this.releaseWith(Q850.incompatibleDestination, 'no audio format proposed both ways in fastStart');
    if (slowStart && !this.tunnelling && !setup.h245Address) {
      return this.releaseWith(Q850.incompatibleDestination, 'slow start without H.245 tunnelling or an h245Address');
    }

    // Our capabilities wait for the sink's answer, which knows the site's line (advertise / openChannels).
    const h245Options = { capabilities: false };
    if (this.tunnelling) this.h245.startTunnel(tunnelled(pdu), h245Options);
    this.send(MessageType.callProceeding, uu.callProceeding({ callId: this.guid, ...this.uuOptions() }));
    this.h245.allowFacility();
    if (!this.tunnelling) this.h245.openChannel(setup.h245Address, this.source.ip, h245Options);
    if (slowStart && !this.h245.active) return this.releaseWith(Q850.incompatibleDestination, 'slow start, and the H.245 address cannot be used');

    this.timer = setTimeout(() => {
      this.owedHangup(null, 'no answer in time');
      this.releaseWith(Q850.recoveryOnTimerExpiry, 'the SIP side did not answer in time');
    }, this.deps.answerTimeoutMs);
    this.sinkOwed = true;
    const { callerAlias, callerName } = setup;
    this.log.info({ room: room.room, callerAlias, audio: sel.audio?.codec ?? 'slow start', video: sel.video !== undefined }, 'H.225: call offered');
    let answer: H323CallAnswer;
    try {
      answer = await this.deps.sink.offer({
        callId: this.callId,
        room: room.room,
        pin: room.pin,
        callerAlias,
        callerName,
        source: this.source,
        media: slowStart ? null : offeredMedia(sel),
      });
    } catch (err) {
      if (this.state !== 'offering') return;
      this.sinkOwed = false;
      this.log.error({ err }, 'H.225: the call sink failed');
      return this.releaseWith(Q850.temporaryFailure, 'the call sink failed');
    }
    if (this.state !== 'offering') return; // released meanwhile; the sink has been told
    clearTimeout(this.timer);
    if (answer.kind === 'reject') {
      this.sinkOwed = false;
      return this.releaseWith(sipStatusToQ850(answer.sipStatus), `rejected: ${answer.sipStatus} ${answer.reason}`);
    }
    if (answer.content) this.enableContent(answer.content);
    if (answer.kind === 'open-channels' && slowStart) return this.connectSlow(answer.receive);
    if (answer.kind === 'answer' && !slowStart) return this.connect(answer.media, answer.videoMaxBitRate100bps);
    this.owedHangup(Q850.incompatibleDestination, 'answer does not fit the call');
    this.releaseWith(Q850.incompatibleDestination, `the sink answered ${answer.kind} to a ${slowStart ? 'slow' : 'fast'} start call`);
  }

  /** Slow start: Connect carrying our capabilities, then logical channels over H.245. */
  private connectSlow(receive: ReceiveOffer): void {
    this.h245.openChannels(receive, {
      opened: (media) => {
        this.log.info({ audio: media.audio, video: media.video ?? null }, 'H.245: logical channels open');
        this.toSink((sink, id) => sink.channelsOpen(id, media), 'channels open');
      },
      failed: (reason) => {
        this.owedHangup(Q850.incompatibleDestination, reason);
        this.releaseWith(Q850.incompatibleDestination, reason);
      },
    });
    this.state = 'connected';
    this.send(MessageType.connect, uu.connect({ callId: this.guid, conferenceId: this.conferenceId, ...this.uuOptions() }));
    this.log.info('H.225: call connected (slow start)');
  }

  /**
   * H.239 with the sink's content port: capabilities, presentation channels and the token, before
   * our capability set goes out. The floor is asked synchronously; a failing sink refuses.
   */
  private enableContent(receive: ContentReceive): void {
    const content = this.deps.sink.content;
    if (!content) return;
    const tell = (fn: (c: H323ContentSink, callId: string) => void, what: string): void => this.toSink((_, id) => fn(content, id), what);
    this.contentHandle = this.h245.enableContent(receive, {
      floor: {
        request: () => {
          if (!this.callId || !this.sinkOwed) return 'refused';
          try {
            return content.tokenRequest(this.callId);
          } catch (err) {
            this.log.error({ err, what: 'token request' }, 'H.225: the call sink failed');
            return 'refused';
          }
        },
        release: () => tell((c, id) => c.tokenReleased(id), 'token release'),
      },
      capable: (h239) => tell((c, id) => c.contentCapable(id, h239), 'content capability'),
      fromEndpoint: (format) => tell((c, id) => c.contentFromEndpoint(id, format), 'content from the endpoint'),
      toEndpoint: (media) => tell((c, id) => c.contentToEndpoint(id, media), 'content to the endpoint'),
      closed: (direction) => tell((c, id) => c.contentClosed(id, direction), 'content channel closed'),
      keyframeRequest: () => tell((c, id) => c.contentKeyframeRequest(id), 'content keyframe request'),
      malformed: (reason) => this.log.info({ reason }, 'H.239: message dropped'),
    });
  }

  /** Tells the sink something about a call it holds; a failing sink does not take the connection down. */
  private toSink(fn: (sink: H323CallSink, callId: string) => void, what: string): void {
    if (!this.callId || !this.sinkOwed) return;
    try {
      fn(this.deps.sink, this.callId);
    } catch (err) {
      this.log.error({ err, what }, 'H.225: the call sink failed');
    }
  }

  private connect(media: H323Media, videoMaxBitRate100bps: number | undefined): void {
    const answerAudio = media.audio;
    // The sink may pick any audio codec the caller proposed both ways, not only the one offered.
    const sel: Selection = selectFastStart(this.proposals, (f) => f.kind !== 'audio' || f.codec === answerAudio?.codec);
    if (!answerAudio || !sel.audio) {
      this.owedHangup(Q850.incompatibleDestination, 'answer without an audio format the caller proposed');
      return this.releaseWith(Q850.incompatibleDestination, 'the answer has no audio format the caller proposed');
    }
    const used = new Set(this.proposals.map((p) => p.channel));
    let next = 100;
    const ours = (): number => {
      while (used.has(++next));
      used.add(next);
      return next;
    };
    const fastStart = [acceptToUs(sel.audio.toUs, answerAudio), acceptFromUs(sel.audio.fromUs, ours(), answerAudio)];
    if (sel.video && media.video) {
      fastStart.push(
        acceptToUs(sel.video.toUs, media.video, videoMaxBitRate100bps),
        acceptFromUs(sel.video.fromUs, ours(), media.video, media.video.payloadType, videoMaxBitRate100bps),
      );
      this.videoFromCaller = sel.video.toUs.channel;
    }
    this.state = 'connected';
    this.h245.advertise(videoMaxBitRate100bps); // tunnelled, it rides in the Connect
    this.send(MessageType.connect, uu.connect({ callId: this.guid, conferenceId: this.conferenceId, fastStart, ...this.uuOptions() }));
    this.log.info({ audio: answerAudio, video: media.video ?? null }, 'H.225: call connected');
  }

  private onRemoteRelease(msg: Q931Message): void {
    const ie = findIe(msg, IeId.cause);
    const cause = ie ? (causeValue(ie) ?? null) : null;
    this.log.info({ cause }, 'H.225: released by the endpoint');
    this.owedHangup(cause, 'released by the endpoint');
    this.finish();
  }

  private tunnelIn(pdu: SequenceValue | undefined): void {
    if (this.tunnelling && (this.state === 'offering' || this.state === 'connected')) this.h245.receiveTunnelled(tunnelled(pdu));
  }

  /** Options common to our user-user PDUs: tunnelling as the caller asked, and any H.245 waiting. */
  private uuOptions(): { h245Tunnelling: boolean; h245Control?: Uint8Array[] } {
    const control = this.h245.takeTunnelled();
    return { h245Tunnelling: this.tunnelling, ...(control.length ? { h245Control: control } : {}) };
  }

  private sendStatus(): void {
    // Cause 30 "response to STATUS ENQUIRY"; call state 9 incoming call proceeding / 10 active.
    const state = this.state === 'connected' ? 10 : this.state === 'offering' ? 9 : 0;
    this.send(MessageType.status, uu.status({ callId: this.guid, ...this.uuOptions() }), [causeIe(30), callStateIe(state)]);
  }

  private send(type: number, uuValue: SequenceValue, ies: readonly Q931Ie[] = []): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    const q931 = encodeQ931({
      callReference: this.crv,
      fromDestination: true,
      messageType: type,
      ies: [...ies, userUserIe(perEncode(h225.H323_UserInformation, uuValue))],
    });
    this.socket.write(tpktFrame(q931));
  }

  /** Sends Release Complete with `cause` and closes the connection. */
  private releaseWith(cause: number, reason: string): void {
    if (this.state === 'ended') return;
    this.log.info({ cause, reason }, 'H.225: releasing the call');
    this.send(MessageType.releaseComplete, uu.releaseComplete({ callId: this.guid, h245Tunnelling: this.tunnelling }), [causeIe(cause)]);
    this.finish();
  }

  private owedHangup(cause: number | null, reason: string): void {
    if (!this.sinkOwed || !this.callId) return;
    this.sinkOwed = false;
    try {
      this.deps.sink.hangup(this.callId, { cause, reason });
    } catch (err) {
      this.log.error({ err }, 'H.225: the call sink failed on hangup');
    }
  }

  /** Ends the call: timers off, the socket half-closed and cut if the peer lingers. */
  private finish(): void {
    this.setEnded();
    this.clearTimers();
    this.socket.end();
    this.timer = setTimeout(() => this.socket.destroy(), LINGER_MS);
  }

  private abort(why: string): void {
    this.log.warn({ why }, 'H.225: dropping the connection');
    this.owedHangup(null, why);
    this.setEnded();
    this.socket.destroy();
  }

  private setEnded(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.h245.end();
    this.deps.ended(this);
  }

  private clearTimers(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private onClose(): void {
    if (this.isGone) return;
    this.isGone = true;
    if (this.state !== 'ended') {
      this.log.info('H.225: connection closed by the endpoint');
      this.owedHangup(null, 'connection lost');
      this.setEnded();
    }
    this.clearTimers();
    this.h245.destroy();
    this.deps.gone(this);
  }
}

const tunnelled = (pdu: SequenceValue | undefined): Uint8Array[] => getArray(pdu, 'h245Control').filter((b): b is Uint8Array => b instanceof Uint8Array);
