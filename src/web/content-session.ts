import { Inviter, SessionState, type Session, type UserAgent } from 'sip.js';
import {
  defaultPeerConnectionConfiguration,
  SessionDescriptionHandler,
  type SessionDescriptionHandlerFactoryOptions,
  type SessionDescriptionHandlerOptions,
} from 'sip.js/lib/platform/web';
import type { BodyAndContentType } from 'sip.js/lib/api/session-description-handler';
import { contentSdp, h264First, type ContentDirection } from './content-sdp';

/**
 * The join page's content session: a second INVITE to the room beside the page's call, with
 * `X-Content-Of: <the call's Call-ID>`, carrying one H.264 video line marked `a=content:slides`.
 * `sendonly` shares the screen (the bridge gives it the floor), `recvonly` watches whoever presents.
 * It ends exactly once, saying how.
 */

export const CONTENT_OF_HEADER = 'X-Content-Of';

export type ContentEnd =
  | { kind: 'closed' }
  | { kind: 'rejected'; code: number; phrase: string }
  | { kind: 'remote-ended' }
  | { kind: 'failed'; message: string };

export interface ContentSessionDelegate {
  onEstablished(remote: MediaStream): void;
  onEnd(end: ContentEnd): void;
}

/** What a content session sends and how, looked up by the UserAgent's handler factory. */
export interface ContentMedia {
  direction: ContentDirection;
  /** The screen, when sharing. */
  stream: MediaStream | null;
}

/**
 * SIP.js's handler with three changes for the content line: the transceiver's direction is the
 * session's (SIP.js would offer sendrecv for a track), H.264 is preferred, and the SDP as sent is
 * the content line (`contentSdp`). The munging is applied to what is sent, not as a SIP.js modifier:
 * modifiers run before setLocalDescription, and Chromium drops `a=content` from its own description.
 */
export class ContentDescriptionHandler extends SessionDescriptionHandler {
  readonly #direction: ContentDirection;

  constructor(session: Session, media: ContentMedia, options: SessionDescriptionHandlerFactoryOptions | undefined) {
    super(session.userAgent.getLogger('sip.ContentDescriptionHandler'), () => Promise.resolve(media.stream ?? new MediaStream()), {
      iceGatheringTimeout: options?.iceGatheringTimeout ?? 5000,
      peerConnectionConfiguration: { ...defaultPeerConnectionConfiguration(), ...options?.peerConnectionConfiguration },
    });
    this.#direction = media.direction;
  }

  protected override async updateDirection(options?: SessionDescriptionHandlerOptions): Promise<void> {
    await super.updateDirection(options);
    const pc = this.peerConnection;
    if (!pc) return;
    const video = pc.getTransceivers().filter((t) => (t.sender.track ?? t.receiver.track).kind === 'video');
    if (!video.length) video.push(pc.addTransceiver('video', { direction: this.#direction }));
    const codecs = typeof RTCRtpReceiver.getCapabilities === 'function' ? (RTCRtpReceiver.getCapabilities('video')?.codecs ?? []) : [];
    for (const t of video) {
      t.direction = this.#direction;
      if (codecs.length && typeof t.setCodecPreferences === 'function') t.setCodecPreferences(h264First(codecs));
    }
  }

  override async getDescription(
    options?: SessionDescriptionHandlerOptions,
    modifiers?: Parameters<SessionDescriptionHandler['getDescription']>[1],
  ): Promise<BodyAndContentType> {
    const offering = this.peerConnection?.signalingState === 'stable';
    const description = await super.getDescription(options, modifiers);
    return { ...description, body: contentSdp(description.body, offering ? this.#direction : null) };
  }
}

export class ContentSession {
  readonly #inviter: Inviter;
  readonly #delegate: ContentSessionDelegate;
  #established = false;
  #ended = false;

  /**
   * `register` tells the UserAgent's handler factory what this session sends before SIP.js asks it
   * for a handler (at invite()).
   */
  constructor(
    ua: UserAgent,
    target: NonNullable<ReturnType<typeof UserAgent.makeURI>>,
    headers: string[],
    media: ContentMedia,
    register: (session: Session, media: ContentMedia) => void,
    delegate: ContentSessionDelegate,
  ) {
    this.#delegate = delegate;
    const options: SessionDescriptionHandlerOptions = { constraints: { audio: false, video: media.stream !== null } };
    this.#inviter = new Inviter(ua, target, { extraHeaders: headers, sessionDescriptionHandlerOptions: options });
    register(this.#inviter, media);
    this.#inviter.stateChange.addListener((state) => {
      if (state === SessionState.Established) this.#onEstablished();
      // SIP.js moves to Terminated before it calls onReject: let that say why first.
      else if (state === SessionState.Terminated)
        setTimeout(() => this.#end(this.#established ? { kind: 'remote-ended' } : { kind: 'failed', message: 'ended before it was answered' }), 0);
    });
  }

  start(): void {
    this.#inviter
      .invite({
        requestDelegate: {
          onReject: (response) => this.#end({ kind: 'rejected', code: response.message.statusCode ?? 0, phrase: response.message.reasonPhrase ?? '' }),
        },
      })
      .catch((err: unknown) => this.#end({ kind: 'failed', message: err instanceof Error ? err.message : String(err) }));
  }

  /** Ends the session: CANCEL before the answer, BYE after. */
  close(): void {
    this.#end({ kind: 'closed' });
  }

  /** Frames decoded on a watching session, packets sent on a sharing one: what the tests look at. */
  async counts(): Promise<{ framesDecoded: number; packetsSent: number }> {
    const counts = { framesDecoded: 0, packetsSent: 0 };
    const pc = this.#handler()?.peerConnection;
    if (!pc) return counts;
    (await pc.getStats()).forEach((r: { type: string; framesDecoded?: number; packetsSent?: number }) => {
      if (r.type === 'inbound-rtp') counts.framesDecoded += r.framesDecoded ?? 0;
      if (r.type === 'outbound-rtp') counts.packetsSent += r.packetsSent ?? 0;
    });
    return counts;
  }

  #handler(): ContentDescriptionHandler | null {
    const sdh = this.#inviter.sessionDescriptionHandler;
    return sdh instanceof ContentDescriptionHandler ? sdh : null;
  }

  #onEstablished(): void {
    if (this.#ended) return;
    this.#established = true;
    const sdh = this.#handler();
    if (!sdh) return this.#end({ kind: 'failed', message: 'no media handler' });
    this.#delegate.onEstablished(sdh.remoteMediaStream);
  }

  #end(end: ContentEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const inviter = this.#inviter;
    if (end.kind === 'closed') {
      if (inviter.state === SessionState.Initial || inviter.state === SessionState.Establishing) inviter.cancel().catch(() => undefined);
      else if (inviter.state === SessionState.Established) inviter.bye().catch(() => undefined);
    }
    this.#delegate.onEnd(end);
  }
}
