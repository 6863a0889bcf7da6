import type { JoinInfo, JoinTicket, JoinTokenRequest } from '../api/join/contract';
import { fetchJoinInfo, JoinApiError, requestJoinTicket } from './api';
import { LocalMedia, type DeviceChoice, type MediaProblem } from './devices';
import { formatMoment } from './format';
import type { Language, MessageKey } from './i18n';
import { backoffSeconds, Countdown } from './reconnect';
import { SipCall, type CallEnd, type PacketCounts } from './sip-call';
import { JoinView, type BannerModel, type Field, type Screen } from './view';

/**
 * The join page's controller: one state machine from the lobby to the call and back.
 *
 *   lobby ──Join──→ joining ──answered──→ in-call ──Leave / BYE──→ ended ──Join again──→ lobby
 *     ↑               │  └─ refused (PIN, full, not open…) → lobby with the reason
 *     │               └─ connection lost ─┐        │ connection lost
 *     └──── Cancel ──── reconnecting ←────┴────────┘ (countdown, new token, next server)
 */

export type PageState = 'lobby' | 'joining' | 'in-call' | 'reconnecting' | 'ended';

/** Read by the end-to-end tests (`window.__diemcau`); nothing in the page depends on it. */
export interface TestHook {
  readonly state: PageState;
  readonly language: Language;
  stats(): Promise<PacketCounts>;
}

declare global {
  interface Window {
    __diemcau?: TestHook;
  }
}

const NAME_MAX = 60;
const ROOM = /^\d{3,9}$/;
const LANG_KEY = 'diemcau.lang';

export class JoinPage {
  readonly #view = new JoinView();
  readonly #media = new LocalMedia();
  #lang: Language;
  #state: PageState = 'lobby';
  #screen: Screen = 'lobby';
  #info: JoinInfo | null = null;
  #banner: BannerModel | null = null;
  #errors: Partial<Record<Field, MessageKey>> = {};
  #mediaMessage: { key: MessageKey; retry: boolean } | null = null;
  #ended: MessageKey | null = null;
  #call: SipCall | null = null;
  /** What the user asked for, kept to fetch a fresh token on every reconnect. */
  #request: { room: string; body: JoinTokenRequest } | null = null;
  #attempt = 0;
  #server = 0;
  #countdown: Countdown | null = null;
  #micOn = true;
  #camOn = true;

  constructor(lang: Language) {
    this.#lang = lang;
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
    };
  }

  start(room: string | null): void {
    this.#bind();
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

  #render(): void {
    const v = this.#view;
    const lang = this.#lang;
    v.applyLanguage(lang);
    v.showScreen(this.#screen);
    v.renderBanner(this.#banner, lang);
    for (const f of ['room', 'name', 'pin'] as const) v.renderFieldError(f, this.#errors[f] ?? null, lang);
    v.renderMeeting(this.#info, lang);
    v.renderMediaMessage(this.#mediaMessage?.key ?? null, this.#mediaMessage?.retry ?? false, lang);
    v.renderJoining(this.#state === 'joining' || this.#state === 'reconnecting', lang);
    v.renderToggles({ micOn: this.#micOn, camOn: this.#camOn, hasAudio: this.#media.hasAudio, hasVideo: this.#media.hasVideo }, lang);
    v.renderEnded(this.#ended, lang);
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
      history.replaceState(null, '', `/join/${room}${location.search}`);
      this.#banner = this.#bannerForInfo(this.#info) ?? fallback;
    } catch (err) {
      this.#info = null;
      this.#banner = this.#bannerForRefusal(err, room);
    }
    this.#render();
    return this.#info !== null;
  }

  #bannerForInfo(info: JoinInfo): BannerModel | null {
    switch (info.status) {
      case 'not-open-yet':
        return { kind: 'warn', key: 'err.notOpenYet', params: (lang) => ({ time: formatMoment(info.opensAt, lang) }) };
      case 'ended':
        return { kind: 'info', key: 'err.ended' };
      case 'cancelled':
        return { kind: 'warn', key: 'err.cancelled' };
      case 'open':
        if (!info.allowGuests) return { kind: 'warn', key: 'err.guests' };
        if (!info.wsUri) return { kind: 'info', key: 'err.notConfigured' };
        return null;
    }
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
    const v = this.#view;
    const room = v.room.value.trim();
    if (!this.#info || String(this.#info.room) !== room) {
      if (!(await this.#loadInfo())) return;
    }
    const name = v.name.value.normalize('NFC').replace(/\s+/g, ' ').trim();
    const pin = v.pin.value.trim();
    this.#errors = {};
    if (!name) this.#errors.name = 'name.required';
    else if ([...name].length > NAME_MAX) this.#errors.name = 'name.tooLong';
    if (this.#info?.hasPin && !pin) this.#errors.pin = 'pin.required';
    if (Object.keys(this.#errors).length) {
      this.#render();
      (this.#errors.name ? v.name : v.pin).focus();
      return;
    }
    this.#request = { room, body: { name, ...(this.#info?.hasPin ? { pin } : {}) } };
    this.#attempt = 0;
    this.#banner = this.#media.hasAudio || this.#media.hasVideo ? null : { kind: 'info', key: 'join.withoutMedia' };
    this.#setState('joining');
    const ticket = await this.#ticket();
    if (ticket) this.#place(ticket);
  }

  /** A fresh token, or null after showing why not (or scheduling a retry when the server is unreachable). */
  async #ticket(): Promise<JoinTicket | null> {
    const request = this.#request;
    if (!request) return null;
    try {
      return await requestJoinTicket(request.room, request.body);
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
      this.#backToLobby(this.#bannerForRefusal(err, request.room));
      if (this.#errors.pin) this.#view.pin.focus();
      return null;
    }
  }

  #bannerForRefusal(err: unknown, room: string): BannerModel {
    if (!(err instanceof JoinApiError)) return { kind: 'error', key: 'err.generic' };
    switch (err.reason) {
      case 'wrong-pin':
        return { kind: 'error', key: 'err.wrongPin' };
      case 'pin-required':
        return { kind: 'error', key: 'err.pinRequired' };
      case 'not-open-yet': {
        const opensAt = err.opensAt ?? this.#info?.opensAt;
        return opensAt ? { kind: 'warn', key: 'err.notOpenYet', params: (lang) => ({ time: formatMoment(opensAt, lang) }) } : { kind: 'warn', key: 'err.generic' };
      }
      case 'ended':
        return { kind: 'info', key: 'err.ended' };
      case 'cancelled':
        return { kind: 'warn', key: 'err.cancelled' };
      case 'no-meeting':
        return { kind: 'error', key: 'err.noMeeting', params: () => ({ room }) };
      case 'guests-not-allowed':
        return { kind: 'warn', key: 'err.guests' };
      case 'too-many-attempts':
        return { kind: 'error', key: 'err.tooMany', params: () => ({ minutes: Math.max(1, Math.ceil((err.retryAfter ?? 60) / 60)) }) };
      case 'not-configured':
        return { kind: 'error', key: 'err.notConfigured' };
      default:
        return { kind: 'error', key: err.status === 0 ? 'err.network' : 'err.generic' };
    }
  }

  #place(ticket: JoinTicket): void {
    const servers = ticket.wsServers;
    if (!servers.length) return this.#backToLobby({ kind: 'error', key: 'err.notConfigured' });
    const call = new SipCall(
      {
        ticket,
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
    this.#setState('in-call');
  }

  #onCallEnd(call: SipCall, end: CallEnd): void {
    if (this.#call !== call) return;
    this.#call = null;
    this.#view.setRemote(null);
    switch (end.kind) {
      case 'left':
        return;
      case 'remote-ended':
        return this.#finish('ended.remote');
      case 'connection-lost':
        return this.#scheduleReconnect();
      case 'rejected': {
        const banner = bannerForSipStatus(end.code, end.phrase);
        this.#backToLobby(banner);
        // 480: the meeting is not open (any more); the room's state says when or why, in full.
        if (end.code === 480) void this.#loadInfo(banner);
        return;
      }
      case 'failed':
        return this.#backToLobby({ kind: 'error', key: 'err.generic' });
    }
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
    const ticket = await this.#ticket();
    if (ticket && this.#state === 'reconnecting') this.#place(ticket);
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
    call?.leave();
    this.#finish('ended.self');
  }

  #finish(key: MessageKey): void {
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
    call?.leave();
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

function mediaProblemKey(problem: MediaProblem): MessageKey {
  switch (problem) {
    case 'denied':
      return 'media.denied';
    case 'no-device':
      return 'media.noDevice';
    case 'busy':
      return 'media.busy';
    case 'insecure':
      return 'media.insecure';
    case 'failed':
      return 'media.failed';
  }
}

/** The bridge's SIP answers (README, "INVITE"): 486 full or locked, 480 not open / ended / cancelled. */
function bannerForSipStatus(code: number, phrase: string): BannerModel {
  switch (code) {
    case 486:
    case 600:
      return { kind: 'error', key: 'err.roomFull' };
    case 480:
      if (/cancel/i.test(phrase)) return { kind: 'warn', key: 'err.cancelled' };
      if (/not open/i.test(phrase)) return { kind: 'warn', key: 'err.generic' };
      return { kind: 'info', key: 'err.ended' };
    case 404:
      return { kind: 'error', key: 'err.refused', params: () => ({ code }) };
    case 503:
      return { kind: 'error', key: 'err.busy' };
    default:
      return { kind: 'error', key: 'err.refused', params: () => ({ code }) };
  }
}
