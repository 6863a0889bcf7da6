import type { JoinInfo, JoinTokenRequest } from '../api/join/contract';
import { fetchJoinInfo, JoinApiError, requestJoinTicket, requestSitePass } from './api';
import { bannerForInfo, bannerForRefusal, bannerForSipStatus, mediaProblemKey } from './banners';
import { parseFloorEvent, parseHelloPresenter } from './content-floor';
import { ContentPanel, type ContentHookState } from './content-panel';
import { LocalMedia, type DeviceChoice } from './devices';
import { DocumentsPanel } from './documents';
import type { Language, MessageKey } from './i18n';
import { backoffSeconds, Countdown } from './reconnect';
import { SipCall, type CallEnd, type CallPlan, type PacketCounts } from './sip-call';
import { checkSiteLogin, rememberMode, rememberUsername, storedMode, storedUsername, type JoinMode } from './site-login';
import { JoinView, type BannerModel, type Field, type Screen } from './view';

/**
 * The join page's controller: one state machine from the lobby to the call and back.
 *
 *   lobby ──Join──→ joining ──answered──→ in-call ──Leave / BYE──→ ended ──Join again──→ lobby
 *     ↑               │  └─ refused (PIN, credentials, full, not open…) → lobby with the reason
 *     │               └─ connection lost ─┐        │ connection lost
 *     └──── Cancel ──── reconnecting ←────┴────────┘ (countdown, new token, next server)
 *
 * A guest asks the join API for a token (name, PIN) before every call; a site signs in with its
 * SIP credentials instead, answering the bridge's digest challenge, and never asks for a token.
 */

export type PageState = 'lobby' | 'joining' | 'in-call' | 'reconnecting' | 'ended';

/** Read by the end-to-end tests (`window.__diemcau`); nothing in the page depends on it. */
export interface TestHook {
  readonly state: PageState;
  readonly language: Language;
  stats(): Promise<PacketCounts>;
  readonly content: ContentHookState;
}

declare global {
  interface Window {
    __diemcau?: TestHook;
  }
}

const NAME_MAX = 60;
const ROOM = /^\d{3,9}$/;
const LANG_KEY = 'diemcau.lang';

/** What the user asked for, kept to call again on every reconnect (a site's password in memory only). */
type JoinRequest = { room: string } & ({ mode: 'guest'; body: JoinTokenRequest } | { mode: 'site'; username: string; password: string });

export class JoinPage {
  readonly #view = new JoinView();
  readonly #media = new LocalMedia();
  #lang: Language;
  #mode: JoinMode = storedMode();
  #state: PageState = 'lobby';
  #screen: Screen = 'lobby';
  #info: JoinInfo | null = null;
  #banner: BannerModel | null = null;
  #errors: Partial<Record<Field, MessageKey>> = {};
  #mediaMessage: { key: MessageKey; retry: boolean } | null = null;
  #ended: MessageKey | null = null;
  #call: SipCall | null = null;
  #request: JoinRequest | null = null;
  #attempt = 0;
  #server = 0;
  #countdown: Countdown | null = null;
  #micOn = true;
  #camOn = true;
  readonly #documents: DocumentsPanel;
  readonly #content: ContentPanel;

  constructor(lang: Language) {
    this.#lang = lang;
    this.#content = new ContentPanel(lang);
    const floor = (data: string, type: string) => {
      const event = parseFloorEvent(type, data);
      if (event) this.#content.event(event);
    };
    this.#documents = new DocumentsPanel(lang, {
      hello: (data) => this.#content.presenting(parseHelloPresenter(data)),
      'content.started': (data) => floor(data, 'content.started'),
      'content.stopped': (data) => floor(data, 'content.stopped'),
    });
  }

  get hook(): TestHook {
    const page = this;
    return {
      get state() {
        return page.#state;
      },
      get language() {
        return page.#lang;
      },
      stats: () => this.#call?.packetCounts() ?? Promise.resolve({ inbound: { audio: 0, video: 0 }, outbound: { audio: 0, video: 0 } }),
      get content() {
        return page.#content.hook;
      },
    };
  }

  start(room: string | null): void {
    this.#bind();
    this.#view.username.value = storedUsername();
    this.#render();
    if (room) {
      this.#view.room.value = room;
      void this.#loadInfo();
    } else {
      this.#view.room.focus();
    }
    void this.#openMedia(null, null);
  }

  #bind(): void {
    const v = this.#view;
    for (const b of v.langButtons) b.addEventListener('click', () => this.#setLanguage(b.dataset['lang'] === 'en' ? 'en' : 'vi'));
    v.roomFind.addEventListener('click', () => void this.#loadInfo());
    v.room.addEventListener('keydown', (e) => {
      // Enter in the room field looks the room up; it does not join yet.
      if (e.key === 'Enter') {
        e.preventDefault();
        void this.#loadInfo();
      }
    });
    v.room.addEventListener('change', () => {
      if (this.#info && String(this.#info.room) !== v.room.value.trim()) void this.#loadInfo();
    });
    v.modeGuest.addEventListener('change', () => this.#setMode('guest'));
    v.modeSite.addEventListener('change', () => this.#setMode('site'));
    v.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.#join();
    });
    v.mediaRetry.addEventListener('click', () => void this.#openMedia(this.#choice(v.mic), this.#choice(v.cam)));
    v.mic.addEventListener('change', () => void this.#openMedia(this.#choice(v.mic), this.#choice(v.cam)));
    v.cam.addEventListener('change', () => void this.#openMedia(this.#choice(v.mic), this.#choice(v.cam)));
    v.toggleMic.addEventListener('click', () => this.#toggle('audio'));
    v.toggleCam.addEventListener('click', () => this.#toggle('video'));
    v.leave.addEventListener('click', () => this.#leave());
    v.rejoin.addEventListener('click', () => this.#backToLobby(null));
    v.bannerNow.addEventListener('click', () => this.#countdown?.skip());
    v.bannerCancel.addEventListener('click', () => this.#backToLobby(null));
    // Closing the tab hangs up properly instead of leaving a ghost participant until media timeout.
    window.addEventListener('pagehide', () => this.#call?.leave());
  }

  #setLanguage(lang: Language): void {
    this.#lang = lang;
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    void this.#refreshDevices();
    this.#render();
  }

  #setMode(mode: JoinMode): void {
    if (this.#state === 'lobby' || this.#state === 'ended') {
      this.#mode = mode;
      rememberMode(mode);
      this.#errors = {};
      // What the room's state means depends on who asks (closed to guests is no news to a site).
      if (this.#info) this.#banner = bannerForInfo(this.#info, mode);
    }
    this.#render();
  }

  #render(): void {
    const v = this.#view;
    const lang = this.#lang;
    v.applyLanguage(lang);
    v.showScreen(this.#screen);
    v.renderBanner(this.#banner, lang);
    v.renderMode(this.#mode);
    for (const f of ['room', 'name', 'pin', 'username', 'password'] as const) v.renderFieldError(f, this.#errors[f] ?? null, lang);
    v.renderMeeting(this.#info, lang);
    v.renderMediaMessage(this.#mediaMessage?.key ?? null, this.#mediaMessage?.retry ?? false, lang);
    v.renderJoining(this.#state === 'joining' || this.#state === 'reconnecting', this.#mode, lang);
    v.renderToggles({ micOn: this.#micOn, camOn: this.#camOn, hasAudio: this.#media.hasAudio, hasVideo: this.#media.hasVideo }, lang);
    v.renderEnded(this.#ended, lang);
    this.#documents.render(lang);
    this.#content.render(lang);
  }

  // --- lobby -----------------------------------------------------------------------------------

  /** Looks the room up; `fallback` is shown when the meeting's state itself calls for no banner. */
  async #loadInfo(fallback: BannerModel | null = null): Promise<boolean> {
    const room = this.#view.room.value.trim();
    this.#errors = {};
    if (!ROOM.test(room)) {
      this.#errors.room = room ? 'room.invalid' : 'room.required';
      this.#render();
      return false;
    }
    try {
      this.#info = await fetchJoinInfo(room);
      if (this.#documents.room !== null && this.#documents.room !== room) this.#documents.close();
      history.replaceState(null, '', `/join/${room}${location.search}`);
      this.#banner = bannerForInfo(this.#info, this.#mode) ?? fallback;
    } catch (err) {
      this.#info = null;
      this.#banner = bannerForRefusal(err, room, undefined);
    }
    this.#render();
    return this.#info !== null;
  }

  async #openMedia(mic: DeviceChoice, cam: DeviceChoice): Promise<void> {
    this.#mediaMessage = { key: 'media.asking', retry: false };
    this.#render();
    const problem = await this.#media.open(mic, cam);
    this.#mediaMessage = problem ? { key: mediaProblemKey(problem), retry: problem !== 'no-device' } : null;
    this.#view.setPreview(this.#media.stream);
    await this.#refreshDevices();
    this.#render();
  }

  async #refreshDevices(): Promise<void> {
    const lists = await this.#media.devices().catch(() => ({ mics: [], cams: [] }));
    this.#view.renderDevices(lists, { audio: this.#media.currentDevice('audio'), video: this.#media.currentDevice('video') }, this.#lang);
  }

  #choice(select: HTMLSelectElement): DeviceChoice {
    return select.value === 'none' ? 'none' : select.value || null;
  }

  // --- joining ---------------------------------------------------------------------------------

  async #join(): Promise<void> {
    if (this.#state !== 'lobby' && this.#state !== 'ended') return;
    const room = this.#view.room.value.trim();
    if (!this.#info || String(this.#info.room) !== room) {
      if (!(await this.#loadInfo())) return;
    }
    this.#errors = {};
    const request = this.#mode === 'site' ? this.#siteRequest(room) : this.#guestRequest(room);
    if (!request) {
      this.#render();
      const first = (['name', 'pin', 'username', 'password'] as const).find((f) => this.#errors[f]);
      if (first) this.#view.input(first).focus();
      return;
    }
    this.#request = request;
    this.#attempt = 0;
    this.#banner = this.#media.hasAudio || this.#media.hasVideo ? null : { kind: 'info', key: 'join.withoutMedia' };
    this.#setState('joining');
    const plan = await this.#plan();
    if (plan) this.#place(plan);
  }

  /** The guest's name and PIN, checked before the API sees them; null after noting what is missing. */
  #guestRequest(room: string): JoinRequest | null {
    const name = this.#view.name.value.normalize('NFC').replace(/\s+/g, ' ').trim();
    const pin = this.#view.pin.value.trim();
    if (!name) this.#errors.name = 'name.required';
    else if ([...name].length > NAME_MAX) this.#errors.name = 'name.tooLong';
    if (this.#info?.hasPin && !pin) this.#errors.pin = 'pin.required';
    if (this.#errors.name || this.#errors.pin) return null;
    return { room, mode: 'guest', body: { name, ...(this.#info?.hasPin ? { pin } : {}) } };
  }

  /** The site's SIP credentials; no name (the bridge takes it from the directory), no PIN (invited sites skip it). */
  #siteRequest(room: string): JoinRequest | null {
    const username = this.#view.username.value.trim();
    const password = this.#view.password.value;
    Object.assign(this.#errors, checkSiteLogin(username, password));
    if (this.#errors.username || this.#errors.password) return null;
    rememberUsername(username);
    return { room, mode: 'site', username, password };
  }

  /**
   * How to call this time: a guest's fresh token, or a site's credentials with the room's current
   * join info. Null after showing why not (or scheduling a retry when the server is unreachable).
   */
  async #plan(): Promise<CallPlan | null> {
    const request = this.#request;
    if (!request) return null;
    try {
      if (request.mode === 'guest') {
        const ticket = await requestJoinTicket(request.room, request.body);
        this.#content.setSelfName(ticket.displayName);
        void this.#documents.open(request.room, ticket.documentsPass);
        const caller = { kind: 'guest', token: ticket.token, displayName: ticket.displayName } as const;
        return { sipUri: ticket.sipUri, wsServers: ticket.wsServers, iceServers: ticket.iceServers, caller };
      }
      this.#openSiteDocuments(request);
      // No token for a site: the bridge challenges the INVITE and SIP.js answers with the credentials.
      // The room is looked up again so a meeting that closed meanwhile is said, not dialled.
      const info = await fetchJoinInfo(request.room);
      this.#info = info;
      const closed = bannerForInfo(info, 'site');
      if (closed || !info.wsUri) {
        this.#backToLobby(closed ?? { kind: 'error', key: 'err.notConfigured' });
        return null;
      }
      // The join info names one WebSocket server and no ICE servers (the ticket alone carries those).
      return { sipUri: info.sipUri, wsServers: [info.wsUri], iceServers: [], caller: { kind: 'site', username: request.username, password: request.password } };
    } catch (err) {
      // Unreachable or failing server while reconnecting: keep trying. A refusal with a reason is final.
      if (this.#state === 'reconnecting' && err instanceof JoinApiError && err.reason === null && (err.status === 0 || err.status >= 500)) {
        this.#scheduleReconnect();
        return null;
      }
      if (err instanceof JoinApiError && err.reason === 'wrong-pin') {
        this.#errors.pin = 'err.wrongPin';
        this.#view.pin.value = '';
      }
      if (err instanceof JoinApiError && err.reason === 'pin-required' && this.#info) {
        this.#info = { ...this.#info, hasPin: true };
        this.#errors.pin = 'pin.required';
      }
      this.#backToLobby(bannerForRefusal(err, request.room, this.#info?.opensAt));
      if (this.#errors.pin) this.#view.pin.focus();
      return null;
    }
  }

  /** A site signs in for its meeting's documents beside the call; without them the call goes on all the same. */
  #openSiteDocuments(request: { room: string; username: string; password: string }): void {
    if (this.#documents.room === request.room) return;
    requestSitePass(request.room, { username: request.username, password: request.password })
      .then((granted) => {
        this.#content.setSelfName(granted.holder);
        return this.#documents.open(request.room, granted.pass);
      })
      .catch(() => undefined);
  }

  #place(plan: CallPlan): void {
    const servers = plan.wsServers;
    if (!servers.length) return this.#backToLobby({ kind: 'error', key: 'err.notConfigured' });
    const call = new SipCall(
      {
        plan,
        server: servers[this.#server % servers.length]!,
        localMedia: (constraints) => this.#media.cloneFor(constraints),
        sendAudio: this.#media.hasAudio,
        sendVideo: this.#media.hasVideo,
      },
      {
        onEstablished: (remote) => this.#onEstablished(call, remote),
        onEnd: (end) => this.#onCallEnd(call, end),
      },
    );
    this.#call = call;
    void call.start();
  }

  #onEstablished(call: SipCall, remote: MediaStream): void {
    if (this.#call !== call) return;
    this.#attempt = 0;
    this.#banner = null;
    call.setSending('audio', this.#micOn);
    call.setSending('video', this.#camOn);
    this.#screen = 'call';
    this.#view.setRemote(remote);
    this.#content.attach(call);
    this.#setState('in-call');
  }

  #onCallEnd(call: SipCall, end: CallEnd): void {
    if (this.#call !== call) return;
    this.#call = null;
    this.#content.detach();
    this.#view.setRemote(null);
    switch (end.kind) {
      case 'left':
        return;
      case 'remote-ended':
        return this.#finish('ended.remote');
      case 'connection-lost':
      case 'media-server-lost':
        return this.#scheduleReconnect();
      case 'rejected': {
        const mode = this.#request?.mode ?? this.#mode;
        const banner = bannerForSipStatus(end.code, end.phrase, mode);
        this.#backToLobby(banner);
        if (mode === 'site' && [401, 403, 407].includes(end.code)) this.#refusedSignIn(end.code);
        // 480: the meeting is not open (any more); the room's state says when or why, in full.
        if (end.code === 480) void this.#loadInfo(banner);
        return;
      }
      case 'failed':
        return this.#backToLobby({ kind: 'error', key: 'err.generic' });
    }
  }

  /**
   * The bridge did not take the site's sign-in. A second 401/407 means SIP.js's answer to the
   * challenge was not accepted: the password goes. A 403 may just as well mean a site that is not
   * invited, so the password stays, selected, to be typed over if it was the wrong one.
   */
  #refusedSignIn(code: number): void {
    const password = this.#view.password;
    if (code !== 403) password.value = '';
    password.focus();
    password.select();
  }

  // --- reconnecting ----------------------------------------------------------------------------

  #scheduleReconnect(): void {
    this.#countdown?.cancel();
    this.#attempt += 1;
    this.#server += 1; // the next server, if there are several
    const attempt = this.#attempt;
    this.#state = 'reconnecting';
    this.#countdown = new Countdown(
      backoffSeconds(attempt),
      (left) => this.#showBanner({ kind: 'warn', key: 'reconnect.lost', params: () => ({ seconds: left, attempt }), actions: { now: true, cancel: true } }),
      () => void this.#reconnect(attempt),
    );
  }

  async #reconnect(attempt: number): Promise<void> {
    this.#countdown = null;
    if (this.#state !== 'reconnecting') return;
    this.#showBanner({ kind: 'warn', key: 'reconnect.trying', params: () => ({ attempt }), actions: { cancel: true } });
    const plan = await this.#plan();
    if (plan && this.#state === 'reconnecting') this.#place(plan);
  }

  // --- in the call -----------------------------------------------------------------------------

  #toggle(kind: 'audio' | 'video'): void {
    if (kind === 'audio') this.#micOn = !this.#micOn;
    else {
      this.#camOn = !this.#camOn;
      this.#media.setVideoEnabled(this.#camOn);
    }
    this.#call?.setSending(kind, kind === 'audio' ? this.#micOn : this.#camOn);
    this.#render();
  }

  #leave(): void {
    this.#countdown?.cancel();
    this.#countdown = null;
    const call = this.#call;
    this.#call = null;
    this.#content.detach();
    call?.leave();
    this.#finish('ended.self');
  }

  #finish(key: MessageKey): void {
    this.#request = null; // a site's password stays in the form, not in the controller
    this.#view.setRemote(null);
    this.#ended = key;
    this.#banner = null;
    this.#screen = 'ended';
    this.#setState('ended');
  }

  #backToLobby(banner: BannerModel | null): void {
    this.#countdown?.cancel();
    this.#countdown = null;
    const call = this.#call;
    this.#call = null;
    this.#content.detach();
    call?.leave();
    this.#request = null;
    this.#banner = banner;
    this.#screen = 'lobby';
    this.#setState('lobby');
  }

  #showBanner(banner: BannerModel): void {
    this.#banner = banner;
    this.#render();
  }

  #setState(state: PageState): void {
    this.#state = state;
    this.#render();
  }
}
