import {
  initialFloor,
  onFloorEvent,
  onHello,
  onShareEnded,
  onShareStarted,
  type FloorAction,
  type FloorEvent,
  type FloorState,
  type Presenter,
} from './content-floor';
import type { ContentEnd, ContentSession } from './content-session';
import { translate, type Language, type MessageKey, type Params } from './i18n';
import type { SipCall } from './sip-call';
import { byId } from './view';

/**
 * The presentation on the join page: the "Share screen" button (a sending content session with the
 * screen from getDisplayMedia), and the content of whoever else presents in a second video element
 * (a receiving content session). content-floor.ts decides; this carries it out with SIP sessions
 * beside the page's call, and draws it.
 */

/** Read by the end-to-end tests through the page's hook. */
export interface ContentHookState {
  sharing: boolean;
  watching: boolean;
  counts(): Promise<{ framesDecoded: number; packetsSent: number }>;
}

interface News {
  kind: 'info' | 'error';
  key: MessageKey;
  params?: Params;
}

export class ContentPanel {
  readonly #button = byId('toggle-share', HTMLButtonElement);
  readonly #stage = byId('content-stage', HTMLElement);
  readonly #video = byId('content', HTMLVideoElement);
  readonly #label = byId('content-label', HTMLParagraphElement);
  readonly #news = byId('content-news', HTMLParagraphElement);
  readonly #screens = byId('screens', HTMLDivElement);
  #lang: Language;
  #call: SipCall | null = null;
  #selfName: string | null = null;
  #floor: FloorState = initialFloor;
  #share: { session: ContentSession | null; stream: MediaStream } | null = null;
  /** Pressed Share, waiting for the browser's picker. */
  #picking = false;
  #watch: ContentSession | null = null;
  #watchStream: MediaStream | null = null;
  #message: News | null = null;
  /** Taken over, and the new presenter's name not known yet. */
  #takenOver = false;

  constructor(lang: Language) {
    this.#lang = lang;
    this.#button.addEventListener('click', () => void this.#toggleShare());
  }

  get hook(): ContentHookState {
    return {
      sharing: (this.#share?.session ?? null) !== null,
      watching: this.#watchStream !== null,
      counts: () => (this.#share?.session ?? this.#watch)?.counts() ?? Promise.resolve({ framesDecoded: 0, packetsSent: 0 }),
    };
  }

  /** The name the bridge shows this page under (the ticket's, or the site's): how it knows its own presentation. */
  setSelfName(name: string | null): void {
    this.#selfName = name;
  }

  /** The page's call is established: content sessions may go beside it. */
  attach(call: SipCall): void {
    this.#call = call;
    if (this.#floor.presenter && this.#floor.share === 'none') this.#apply([{ kind: 'watch', presenter: this.#floor.presenter }]);
    this.render(this.#lang);
  }

  /** The call ended (or is being replaced): its content sessions end with it. */
  detach(): void {
    this.#call = null;
    this.#stopShare(null);
    this.#unwatch();
    this.#message = null;
    this.render(this.#lang);
  }

  /** Whoever presents as the event stream (re)opens; undefined: the stream does not say. */
  presenting(presenter: Presenter | null | undefined): void {
    if (presenter === undefined) return;
    this.#step(onHello(this.#floor, presenter, this.#isSelf));
  }

  event(event: FloorEvent): void {
    this.#step(onFloorEvent(this.#floor, event, this.#isSelf));
  }

  readonly #isSelf = (p: Presenter): boolean => p.protocol === 'webrtc' && p.name === this.#selfName;

  #step(step: { state: FloorState; actions: FloorAction[] }): void {
    this.#floor = step.state;
    this.#apply(step.actions);
    this.render(this.#lang);
  }

  render(lang: Language): void {
    this.#lang = lang;
    const inCall = this.#call !== null;
    this.#button.hidden = !inCall || !canShareScreen();
    const sharing = this.#share !== null || this.#picking;
    this.#button.textContent = translate(lang, sharing ? 'share.stop' : 'share.start');
    this.#button.setAttribute('aria-pressed', String(sharing));
    this.#button.disabled = this.#picking;
    const shown = inCall && (this.#share !== null || this.#watchStream !== null);
    this.#stage.hidden = !shown;
    this.#screens.classList.toggle('with-content', shown);
    const presenter = this.#floor.presenter;
    this.#label.textContent = this.#share
      ? translate(lang, this.#floor.share === 'presenting' ? 'content.self' : 'content.asking')
      : presenter
        ? translate(lang, 'content.by', { name: presenter.name })
        : '';
    const news = this.#message;
    this.#news.className = `content-news ${news?.kind ?? ''}`;
    this.#news.textContent = news ? translate(lang, news.key, news.params) : '';
  }

  // --- sharing ---------------------------------------------------------------------------------

  async #toggleShare(): Promise<void> {
    if (this.#share) return this.#stopShare(null);
    if (this.#picking || !this.#call) return;
    this.#message = null;
    this.#picking = true;
    this.render(this.#lang);
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (err) {
      this.#picking = false;
      // Cancelling the browser's picker is the user's choice, not news.
      if (!(err instanceof DOMException && err.name === 'NotAllowedError')) this.#message = { kind: 'error', key: 'share.failed' };
      return this.render(this.#lang);
    }
    this.#picking = false;
    const call = this.#call;
    if (!call) {
      for (const t of stream.getTracks()) t.stop();
      return this.render(this.#lang);
    }
    this.#step(onShareStarted(this.#floor));
    const share: { session: ContentSession | null; stream: MediaStream } = { session: null, stream };
    this.#share = share;
    // The browser's own "Stop sharing" bar ends the track.
    for (const t of stream.getVideoTracks()) t.addEventListener('ended', () => this.#share === share && this.#stopShare(null));
    share.session = call.openContent(
      { direction: 'sendonly', stream },
      {
        onEstablished: () => this.render(this.#lang),
        onEnd: (end) => this.#shareEnded(share, end),
      },
    );
    if (!share.session) return this.#stopShare({ kind: 'error', key: 'share.failed' });
    this.#showLocal(stream);
    this.render(this.#lang);
  }

  #shareEnded(share: { stream: MediaStream }, end: ContentEnd): void {
    if (this.#share !== share) return;
    this.#stopShare(shareEndNews(end));
  }

  /** Ends this page's share (BYE), says why if `news`, and goes back to watching whoever presents. */
  #stopShare(news: News | null): void {
    this.#picking = false;
    const share = this.#share;
    if (!share) return;
    this.#share = null;
    share.session?.close();
    for (const t of share.stream.getTracks()) t.stop();
    if (this.#video.srcObject === share.stream) this.#video.srcObject = null;
    if (news) this.#message = news;
    this.#step(onShareEnded(this.#floor));
  }

  // --- watching --------------------------------------------------------------------------------

  #apply(actions: FloorAction[]): void {
    for (const action of actions) {
      if (action.kind === 'stop-share') {
        // The bridge says the page's presentation stopped before it says who started: the name
        // comes with the next presenter's `content.started` (the `watch` that follows).
        const by = this.#floor.presenter?.name;
        if (action.why === 'taken-over' && !by) this.#takenOver = true;
        this.#stopShare(
          action.why === 'taken-over' ? { kind: 'info', key: 'share.takenOver', params: { name: by ?? '…' } } : { kind: 'info', key: 'share.revoked' },
        );
      } else if (action.kind === 'watch') {
        if (this.#takenOver) this.#message = { kind: 'info', key: 'share.takenOver', params: { name: action.presenter.name } };
        this.#takenOver = false;
        this.#openWatch();
      } else this.#unwatch();
    }
  }

  /** A receiving session, unless one is open (a new presenter's content comes through the same one). */
  #openWatch(): void {
    if (this.#watch || !this.#call || this.#share) return;
    const session = this.#call.openContent(
      { direction: 'recvonly', stream: null },
      {
        onEstablished: (remote) => {
          if (this.#watch !== session) return;
          this.#watchStream = remote;
          this.#video.srcObject = remote;
          this.#video.muted = true;
          void this.#video.play().catch(() => undefined);
          this.render(this.#lang);
        },
        onEnd: (end) => {
          if (this.#watch !== session) return;
          this.#watch = null;
          this.#clearWatch();
          if (end.kind === 'rejected' || end.kind === 'failed') this.#message = { kind: 'error', key: 'content.failed' };
          this.render(this.#lang);
        },
      },
    );
    this.#watch = session;
  }

  #unwatch(): void {
    const session = this.#watch;
    this.#watch = null;
    session?.close();
    this.#clearWatch();
  }

  #clearWatch(): void {
    if (this.#watchStream && this.#video.srcObject === this.#watchStream) this.#video.srcObject = null;
    this.#watchStream = null;
  }

  #showLocal(stream: MediaStream): void {
    this.#video.srcObject = stream;
    this.#video.muted = true;
    void this.#video.play().catch(() => undefined);
  }
}

function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

/** What the page says when its share ended without its asking. */
function shareEndNews(end: ContentEnd): News | null {
  switch (end.kind) {
    case 'closed':
      return null;
    case 'remote-ended':
      return { kind: 'info', key: 'share.ended' };
    case 'failed':
      return { kind: 'error', key: 'share.failed' };
    case 'rejected':
      if (end.code === 403) return { kind: 'error', key: 'share.forbidden' };
      if (end.code === 488 || end.code === 415) return { kind: 'error', key: 'share.unsupported' };
      if (end.code === 486 || end.code === 503 || end.code === 480) return { kind: 'error', key: 'share.busy' };
      return { kind: 'error', key: 'share.refused', params: { code: end.code } };
  }
}
