import { randomBytes } from 'node:crypto';
import type { NgDictionary, NgResponse } from 'rtpengine-client';
import { rtcpFromRtpengine } from '../quality/media-stats';
import type { RelayRtcp } from '../quality/quality-math';
import { RtpEngineError } from './errors';
import { RELAY_FLAGS, type RelayHop } from './flags';

/** The ng commands a session sends. */
export type SessionCommand = 'offer' | 'answer' | 'delete' | 'query';

/**
 * One rtpengine instance as a session sees it: `request` resolves only with a successful answer
 * and rejects with an RtpEngineError otherwise (the pool implements it).
 */
export interface NgChannel {
  /** 'host:port' */
  readonly instance: string;
  request(command: SessionCommand, params: NgDictionary): Promise<NgResponse>;
}

/**
 * The SIP identifiers rtpengine keys a call by. In the B2BUA these come from the browser leg:
 * its Call-ID and From tag; the To tag once the dialog has one (or let answerToBrowser make one).
 */
export interface RelayKeys {
  callId: string;
  fromTag: string;
  toTag?: string;
}

/** A media relay for one browser call: every SDP between the browser and FreeSWITCH goes through it. */
export interface MediaRelay {
  readonly callId: string;
  readonly fromTag: string;
  readonly toTag: string | undefined;
  /** rtpengine instance ('host:port') this call lives on */
  readonly instance: string;
  /** the browser's INVITE offer → SDP to send FreeSWITCH */
  offerToFreeswitch(browserSdp: string): Promise<string>;
  /** FreeSWITCH's answer → SDP for the browser's 200 OK; `toTag` is the browser dialog's To tag */
  answerToBrowser(freeswitchSdp: string, toTag?: string): Promise<string>;
  /** a re-INVITE from the browser: its offer → SDP for FreeSWITCH */
  reofferFromBrowser(browserSdp: string): Promise<string>;
  /** FreeSWITCH's answer to that → SDP for the browser */
  reanswerFromFreeswitch(freeswitchSdp: string): Promise<string>;
  /** a re-INVITE from FreeSWITCH: its offer → SDP for the browser */
  reofferFromFreeswitch(freeswitchSdp: string): Promise<string>;
  /** the browser's answer to that → SDP for FreeSWITCH */
  reanswerFromBrowser(browserSdp: string): Promise<string>;
  /** what rtpengine knows from the call's RTCP (jitter, round-trip time, reported loss) */
  rtcp(): Promise<RelayRtcp>;
  /** removes the call from rtpengine; a second call (or a call already gone there) is a no-op */
  delete(): Promise<void>;
}

export interface RelaySessionOptions {
  /** called once, when the session is deleted, so the pool stops counting it */
  onRelease: () => void;
  /** rtpengine's `delete-delay` in seconds (see RtpEnginePoolOptions) */
  deleteDelaySeconds: number;
}

// rtpengine's words for "no such call" on delete: a warning on 'ok', or an error.
const GONE = /unknown call-id|call-id not found/i;

/** A MediaRelay bound to one rtpengine instance (made by RtpEnginePool.pick). */
export class RelaySession implements MediaRelay {
  readonly callId: string;
  readonly fromTag: string;
  #toTag: string | undefined;
  #deleting: Promise<void> | undefined;

  constructor(
    keys: RelayKeys,
    private readonly channel: NgChannel,
    private readonly options: RelaySessionOptions,
  ) {
    this.callId = keys.callId;
    this.fromTag = keys.fromTag;
    this.#toTag = keys.toTag;
  }

  get toTag(): string | undefined {
    return this.#toTag;
  }

  get instance(): string {
    return this.channel.instance;
  }

  get deleted(): boolean {
    return this.#deleting !== undefined;
  }

  async offerToFreeswitch(browserSdp: string): Promise<string> {
    // The initial offer has no To tag yet (unless the caller already knows it).
    return this.#rewrite('offer', 'browser-offer', browserSdp, this.fromTag, this.#toTag);
  }

  async answerToBrowser(freeswitchSdp: string, toTag?: string): Promise<string> {
    if (toTag !== undefined && this.#toTag !== undefined && toTag !== this.#toTag) {
      throw this.#fail('answer', 'protocol', `to-tag ${toTag} differs from the session's ${this.#toTag}`);
    }
    // rtpengine needs a To tag on the answer to name FreeSWITCH's side. Any stable token will do
    // when the caller has none: it only has to be the same on every later re-INVITE, and we keep it.
    this.#toTag ??= toTag ?? randomBytes(8).toString('hex');
    return this.#rewrite('answer', 'freeswitch-answer', freeswitchSdp, this.fromTag, this.#toTag);
  }

  async reofferFromBrowser(browserSdp: string): Promise<string> {
    return this.#rewrite('offer', 'browser-offer', browserSdp, this.fromTag, this.#needToTag('offer'));
  }

  async reanswerFromFreeswitch(freeswitchSdp: string): Promise<string> {
    return this.#rewrite('answer', 'freeswitch-answer', freeswitchSdp, this.fromTag, this.#needToTag('answer'));
  }

  // A re-INVITE in the other direction: FreeSWITCH's side is the From of that transaction, so the
  // tags swap (ng takes from-tag = the offerer's tag, in the offer and in its answer).
  async reofferFromFreeswitch(freeswitchSdp: string): Promise<string> {
    return this.#rewrite('offer', 'freeswitch-offer', freeswitchSdp, this.#needToTag('offer'), this.fromTag);
  }

  async reanswerFromBrowser(browserSdp: string): Promise<string> {
    return this.#rewrite('answer', 'browser-answer', browserSdp, this.#needToTag('answer'), this.fromTag);
  }

  async rtcp(): Promise<RelayRtcp> {
    return rtcpFromRtpengine(await this.channel.request('query', { 'call-id': this.callId, 'from-tag': this.fromTag }));
  }

  delete(): Promise<void> {
    if (this.#deleting) return this.#deleting.then(noop, noop);
    this.options.onRelease();
    this.#deleting = this.#delete();
    return this.#deleting;
  }

  async #delete(): Promise<void> {
    try {
      await this.channel.request('delete', {
        'call-id': this.callId,
        'from-tag': this.fromTag,
        'delete-delay': this.options.deleteDelaySeconds,
      });
    } catch (err) {
      // Already gone (never offered, timed out, or the daemon restarted): that is what we wanted.
      if (err instanceof RtpEngineError && err.kind === 'error' && GONE.test(err.reason)) return;
      throw err;
    }
  }

  async #rewrite(command: 'offer' | 'answer', hop: RelayHop, sdp: string, fromTag: string, toTag: string | undefined): Promise<string> {
    if (this.#deleting) throw this.#fail(command, 'closed', 'the session was deleted');
    const res = await this.channel.request(command, {
      ...RELAY_FLAGS[hop],
      'call-id': this.callId,
      'from-tag': fromTag,
      ...(toTag !== undefined ? { 'to-tag': toTag } : {}),
      sdp,
    });
    if (typeof res.sdp !== 'string' || !res.sdp) throw this.#fail(command, 'protocol', 'the reply has no SDP');
    return res.sdp;
  }

  #needToTag(command: SessionCommand): string {
    if (this.#toTag === undefined) throw this.#fail(command, 'protocol', 'no to-tag yet: answerToBrowser first');
    return this.#toTag;
  }

  #fail(command: SessionCommand, kind: RtpEngineError['kind'], reason: string): RtpEngineError {
    return new RtpEngineError(kind, command, this.channel.instance, `${reason} (call-id ${this.callId})`);
  }
}

function noop(): void {}
