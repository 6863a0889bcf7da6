import { Inviter, SessionState, UserAgent, type Session } from 'sip.js';
import { defaultSessionDescriptionHandlerFactory, SessionDescriptionHandler, type SessionDescriptionHandlerOptions } from 'sip.js/lib/platform/web';
import { JOIN_TOKEN_HEADER, type IceServer } from '../api/join/contract';
import { CONTENT_OF_HEADER, ContentDescriptionHandler, ContentSession, type ContentMedia, type ContentSessionDelegate } from './content-session';

/**
 * One browser call into the bridge over SIP.js: a UserAgent on one WebSocket server, one INVITE
 * (carrying a guest's join token, or answering the bridge's digest challenge with a site's SIP
 * credentials), and the media of that one session. It ends exactly once, saying how (`CallEnd`);
 * retrying is the caller's business — a new SipCall with a new token (or the same credentials).
 *
 *   new → connecting → inviting → established → ended
 *              └──────────┴────────────┴──────→ ended
 */

export type CallEnd =
  /** The user hung up. */
  | { kind: 'left' }
  /** The bridge answered the INVITE with a failure (486 full, 480 not open, 403, 407 again…). */
  | { kind: 'rejected'; code: number; phrase: string }
  /** The bridge hung up (BYE): the meeting ended, or an operator removed us. */
  | { kind: 'remote-ended' }
  /** The bridge hung up because the media server carrying the call died: worth calling again at once. */
  | { kind: 'media-server-lost' }
  /** The WebSocket or the media path failed: worth retrying. */
  | { kind: 'connection-lost'; established: boolean }
  | { kind: 'failed'; message: string };

export interface SipCallDelegate {
  onEstablished(remote: MediaStream): void;
  onEnd(end: CallEnd): void;
}

export interface PacketCounts {
  inbound: { audio: number; video: number };
  outbound: { audio: number; video: number };
}

/** Who is calling: a guest the join API let in, or a directory site proving itself by digest. */
export type Caller =
  | { kind: 'guest'; token: string; displayName: string }
  /** The password stays in memory: SIP.js needs it for each challenge, nothing stores it. */
  | { kind: 'site'; username: string; password: string };

/** Where and how to call; built from a join ticket (guest) or from the room's join info (site). */
export interface CallPlan {
  /** `sip:<room>@<SIP domain>`: the INVITE's target, and the domain of our From. */
  sipUri: string;
  /** WebSocket servers to try in order (retries rotate through them). */
  wsServers: string[];
  iceServers: IceServer[];
  caller: Caller;
}

export interface SipCallOptions {
  plan: CallPlan;
  /** Which of `plan.wsServers` to use. */
  server: string;
  /** Hands the call its local tracks; called by SIP.js when it builds the offer. */
  localMedia: (constraints: MediaStreamConstraints) => MediaStream;
  sendAudio: boolean;
  sendVideo: boolean;
}

// SIP.js waits 5 s for ICE gathering by default; with no STUN/TURN configured only host candidates
// exist and they arrive at once, so waiting longer only delays the INVITE (and stalls offline).
const ICE_GATHERING_TIMEOUT_MS = 500;

export class SipCall {
  readonly #options: SipCallOptions;
  readonly #delegate: SipCallDelegate;
  #ua: UserAgent | null = null;
  #session: Session | null = null;
  #established = false;
  #ended = false;
  /** The Reason header (RFC 3326) of the bridge's BYE, if it sent one. */
  #byeReason: string | undefined;
  /** The content sessions opened beside the call, for the handler factory to recognise. */
  readonly #content = new WeakMap<Session, ContentMedia>();

  constructor(options: SipCallOptions, delegate: SipCallDelegate) {
    this.#options = options;
    this.#delegate = delegate;
  }

  async start(): Promise<void> {
    const { plan, server } = this.#options;
    const { caller } = plan;
    const target = UserAgent.makeURI(plan.sipUri);
    const domain = target?.host;
    // A site calls as itself (the bridge looks its credentials up by this name); a guest is anonymous.
    const user = caller.kind === 'site' ? caller.username : `guest-${randomToken(8)}`;
    const aor = domain ? UserAgent.makeURI(`sip:${user}@${domain}`) : undefined;
    if (!target || !aor) return this.#end({ kind: 'failed', message: `bad SIP URI ${plan.sipUri}` });

    const callMedia = defaultSessionDescriptionHandlerFactory((constraints) => Promise.resolve(this.#options.localMedia(constraints)));
    const ua = new UserAgent({
      uri: aor,
      // A site is shown under its directory name once it has proved itself; the username is only a
      // fallback the bridge uses if it admits the call without asking (a meeting open to guests).
      displayName: quotedStringContent(caller.kind === 'site' ? caller.username : caller.displayName),
      contactName: user,
      // SIP.js answers a 401/407 with these itself, once per challenge (a second one ends the call).
      ...(caller.kind === 'site' ? { authorizationUsername: caller.username, authorizationPassword: caller.password } : {}),
      transportOptions: { server, connectionTimeout: 5, keepAliveInterval: 20 },
      // Reconnection is ours (with a fresh token and a visible countdown), not SIP.js's.
      reconnectionAttempts: 0,
      sessionDescriptionHandlerFactory: (session, options) => {
        const content = this.#content.get(session);
        return content ? new ContentDescriptionHandler(session, content, options) : callMedia(session, options);
      },
      sessionDescriptionHandlerFactoryOptions: {
        // Only what the API configured: never SIP.js's default public STUN server. 'balanced'
        // because rtpengine answers un-bundled (a port per m-line).
        peerConnectionConfiguration: { iceServers: plan.iceServers, bundlePolicy: 'balanced' },
        iceGatheringTimeout: ICE_GATHERING_TIMEOUT_MS,
      },
      userAgentString: 'diemcau-web (SIP.js 0.21)',
      logLevel: 'warn',
      delegate: {
        onDisconnect: (error?: Error) => {
          // Without an error it was our own stop().
          if (error) this.#end({ kind: 'connection-lost', established: this.#established });
        },
      },
    });
    this.#ua = ua;
    try {
      await ua.start();
    } catch {
      return this.#end({ kind: 'connection-lost', established: false });
    }
    if (this.#ended) return;

    const media: SessionDescriptionHandlerOptions = {
      constraints: { audio: this.#options.sendAudio, video: this.#options.sendVideo },
      // Receive the meeting's picture and sound even when sending neither.
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: true },
    };
    const inviter = new Inviter(ua, target, {
      extraHeaders: caller.kind === 'guest' ? [`${JOIN_TOKEN_HEADER}: ${caller.token}`] : [],
      sessionDescriptionHandlerOptions: media,
      // With `onBye`, answering the BYE is ours. It ends in Terminated below, after onBye has run.
      delegate: {
        onBye: (bye) => {
          this.#byeReason = bye.request.getHeader('Reason');
          void bye.accept();
        },
      },
    });
    this.#session = inviter;
    inviter.stateChange.addListener((state) => {
      if (state === SessionState.Established) this.#onEstablished(inviter);
      else if (state === SessionState.Terminated) {
        // SIP.js moves to Terminated before it calls onReject/onBye: let those say why first.
        setTimeout(
          () =>
            this.#end(
              !this.#established
                ? { kind: 'failed', message: 'the call ended before it was answered' }
                : isMediaServerLost(this.#byeReason)
                  ? { kind: 'media-server-lost' }
                  : { kind: 'remote-ended' },
            ),
          0,
        );
      }
    });
    try {
      await inviter.invite({
        requestDelegate: {
          onReject: (response) => {
            const code = response.message.statusCode ?? 0;
            this.#end({ kind: 'rejected', code, phrase: response.message.reasonPhrase ?? '' });
          },
        },
      });
    } catch (err) {
      this.#end({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  }

  /**
   * A content session beside the established call, on the same WebSocket, with the call's
   * credentials (token header, or the site's digest answers) and `X-Content-Of` its Call-ID. Null
   * when the call is not established. The session ends with the call's UserAgent at the latest.
   */
  openContent(media: ContentMedia, delegate: ContentSessionDelegate): ContentSession | null {
    const ua = this.#ua;
    const call = this.#session;
    const target = UserAgent.makeURI(this.#options.plan.sipUri);
    if (!ua || !(call instanceof Inviter) || !this.#established || this.#ended || !target) return null;
    const { caller } = this.#options.plan;
    const headers = [...(caller.kind === 'guest' ? [`${JOIN_TOKEN_HEADER}: ${caller.token}`] : []), `${CONTENT_OF_HEADER}: ${call.request.callId}`];
    const session = new ContentSession(ua, target, headers, media, (s, m) => this.#content.set(s, m), delegate);
    session.start();
    return session;
  }

  /** Hang up: CANCEL before the answer, BYE after. */
  leave(): void {
    this.#end({ kind: 'left' });
  }

  /** Mutes by disabling the sent track: the bridge keeps receiving (silence, black), no re-INVITE. */
  setSending(kind: 'audio' | 'video', enabled: boolean): void {
    for (const sender of this.#peerConnection()?.getSenders() ?? []) {
      if (sender.track?.kind === kind) sender.track.enabled = enabled;
    }
  }

  async packetCounts(): Promise<PacketCounts> {
    const counts: PacketCounts = { inbound: { audio: 0, video: 0 }, outbound: { audio: 0, video: 0 } };
    const pc = this.#peerConnection();
    if (!pc) return counts;
    (await pc.getStats()).forEach((report: { type: string; kind?: string; packetsReceived?: number; packetsSent?: number }) => {
      const kind = report.kind === 'audio' || report.kind === 'video' ? report.kind : null;
      if (!kind) return;
      if (report.type === 'inbound-rtp') counts.inbound[kind] += report.packetsReceived ?? 0;
      if (report.type === 'outbound-rtp') counts.outbound[kind] += report.packetsSent ?? 0;
    });
    return counts;
  }

  #onEstablished(session: Session): void {
    if (this.#ended) return;
    this.#established = true;
    const sdh = session.sessionDescriptionHandler;
    if (!(sdh instanceof SessionDescriptionHandler)) return this.#end({ kind: 'failed', message: 'no media handler' });
    // A media path that fails after the answer (ICE, rtpengine gone) is a lost connection too.
    sdh.peerConnectionDelegate = {
      onconnectionstatechange: () => {
        if (sdh.peerConnection?.connectionState === 'failed') this.#end({ kind: 'connection-lost', established: true });
      },
    };
    this.#delegate.onEstablished(sdh.remoteMediaStream);
  }

  #peerConnection(): RTCPeerConnection | null {
    const sdh = this.#session?.sessionDescriptionHandler;
    return sdh instanceof SessionDescriptionHandler ? (sdh.peerConnection ?? null) : null;
  }

  /** The one way out: tell the delegate once, then release the session and the WebSocket. */
  #end(end: CallEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const session = this.#session;
    if (end.kind === 'left' && session) {
      if (session instanceof Inviter && session.state === SessionState.Establishing) session.cancel().catch(() => undefined);
      else if (session.state === SessionState.Established) session.bye().catch(() => undefined);
    }
    // Let a BYE/CANCEL leave before the socket closes; stop() also disposes of the session's media.
    const ua = this.#ua;
    setTimeout(() => void ua?.stop().catch(() => undefined), end.kind === 'left' ? 300 : 0);
    this.#delegate.onEnd(end);
  }
}

/** SIP.js puts the display name between quotes as it is: escape what a quoted-string cannot hold. */
function quotedStringContent(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  return name.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, '');
}

function randomToken(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
}

/**
 * The bridge's BYE when the FreeSWITCH carrying the call died (docs/scale.md, "Failover"): Q.850
 * cause 41, temporary failure. The meeting goes on elsewhere.
 */
export function isMediaServerLost(reason: string | undefined): boolean {
  return reason !== undefined && /^\s*Q\.850\s*;(?:.*;)?\s*cause\s*=\s*41\b/i.test(reason);
}
