import type { JoinInfo } from '../api/join/contract';
import type { DeviceLists } from './devices';
import { formatDate, formatMoment, formatTime } from './format';
import { isMessageKey, translate, type Language, type MessageKey, type Params } from './i18n';
import type { JoinMode } from './site-login';

/**
 * The page's DOM, and nothing else: the controller (page.ts) decides, this file draws. Every text
 * is drawn from a message key at render time, so switching the language redraws everything.
 */

export type Screen = 'lobby' | 'call' | 'ended';
export type Field = 'room' | 'name' | 'pin' | 'username' | 'password';

export interface BannerModel {
  kind: 'info' | 'warn' | 'error';
  key: MessageKey;
  /** A function, so values like times are formatted in the language shown. */
  params?: (lang: Language) => Params;
  actions?: { now?: boolean; cancel?: boolean };
}

export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`the page has no <${type.name}> #${id}`);
  return el;
}

export class JoinView {
  readonly room = byId('room', HTMLInputElement);
  readonly roomFind = byId('room-find', HTMLButtonElement);
  readonly name = byId('name', HTMLInputElement);
  readonly pin = byId('pin', HTMLInputElement);
  readonly modeGuest = byId('mode-guest', HTMLInputElement);
  readonly modeSite = byId('mode-site', HTMLInputElement);
  readonly username = byId('username', HTMLInputElement);
  readonly password = byId('password', HTMLInputElement);
  readonly form = byId('join-form', HTMLFormElement);
  readonly join = byId('join', HTMLButtonElement);
  readonly mic = byId('mic', HTMLSelectElement);
  readonly cam = byId('cam', HTMLSelectElement);
  readonly mediaRetry = byId('media-retry', HTMLButtonElement);
  readonly toggleMic = byId('toggle-mic', HTMLButtonElement);
  readonly toggleCam = byId('toggle-cam', HTMLButtonElement);
  readonly leave = byId('leave', HTMLButtonElement);
  readonly rejoin = byId('rejoin', HTMLButtonElement);
  readonly bannerNow = byId('banner-now', HTMLButtonElement);
  readonly bannerCancel = byId('banner-cancel', HTMLButtonElement);
  readonly langButtons = Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-lang]'));

  readonly #selfView = byId('self-view', HTMLVideoElement);
  readonly #callSelf = byId('call-self', HTMLVideoElement);
  readonly #remote = byId('remote', HTMLVideoElement);

  applyLanguage(lang: Language): void {
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
      const key = el.dataset['i18n'] ?? '';
      if (isMessageKey(key)) el.textContent = translate(lang, key);
    }
    for (const el of document.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) {
      const key = el.dataset['i18nPlaceholder'] ?? '';
      if (isMessageKey(key)) el.placeholder = translate(lang, key);
    }
    for (const el of document.querySelectorAll<HTMLElement>('[data-i18n-aria-label]')) {
      const key = el.dataset['i18nAriaLabel'] ?? '';
      if (isMessageKey(key)) el.setAttribute('aria-label', translate(lang, key));
    }
    for (const b of this.langButtons) b.setAttribute('aria-pressed', String(b.dataset['lang'] === lang));
  }

  showScreen(screen: Screen): void {
    byId('lobby', HTMLElement).hidden = screen !== 'lobby';
    byId('call', HTMLElement).hidden = screen !== 'call';
    byId('ended', HTMLElement).hidden = screen !== 'ended';
  }

  renderBanner(banner: BannerModel | null, lang: Language): void {
    const box = byId('banner', HTMLDivElement);
    box.hidden = !banner;
    if (!banner) return;
    box.className = `banner ${banner.kind}`;
    byId('banner-text', HTMLParagraphElement).textContent = translate(lang, banner.key, banner.params?.(lang));
    this.bannerNow.hidden = !banner.actions?.now;
    this.bannerCancel.hidden = !banner.actions?.cancel;
  }

  renderFieldError(field: Field, key: MessageKey | null, lang: Language): void {
    const p = byId(`${field}-error`, HTMLParagraphElement);
    p.hidden = !key;
    p.textContent = key ? translate(lang, key) : '';
    const input = this.input(field);
    if (key) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', p.id);
    } else {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  }

  input(field: Field): HTMLInputElement {
    return { room: this.room, name: this.name, pin: this.pin, username: this.username, password: this.password }[field];
  }

  /** A guest gives a name (and the PIN); a site its SIP credentials, and the bridge knows its name. */
  renderMode(mode: JoinMode): void {
    this.modeGuest.checked = mode === 'guest';
    this.modeSite.checked = mode === 'site';
    byId('guest-fields', HTMLDivElement).hidden = mode !== 'guest';
    byId('site-fields', HTMLDivElement).hidden = mode !== 'site';
  }

  renderMeeting(info: JoinInfo | null, lang: Language): void {
    byId('meeting', HTMLDivElement).hidden = !info;
    byId('pin-field', HTMLDivElement).hidden = !info?.hasPin;
    const hint = byId('sip-hint', HTMLParagraphElement);
    hint.textContent = info ? translate(lang, 'footer.sip', { sipUri: info.sipUri }) : '';
    document.title = info ? `${info.title} – Điểm Cầu` : 'Điểm Cầu';
    if (!info) return;
    const chip = byId('meeting-status', HTMLSpanElement);
    chip.className = `chip ${info.status}`;
    chip.textContent = translate(lang, `status.${info.status}`);
    byId('meeting-title', HTMLHeadingElement).textContent = info.title;
    byId('call-title', HTMLParagraphElement).textContent = info.title;
    byId('meeting-when', HTMLParagraphElement).textContent = translate(lang, 'meeting.when', {
      date: formatDate(info.startsAt, lang),
      start: formatTime(info.startsAt, lang),
      end: formatTime(info.endsAt, lang),
    });
    const opens = byId('meeting-opens', HTMLParagraphElement);
    opens.hidden = info.status !== 'not-open-yet';
    opens.textContent = translate(lang, 'meeting.opensAt', { time: formatMoment(info.opensAt, lang) });
  }

  /** `asking` while the permission prompt is up; a problem key when the devices could not be opened. */
  renderMediaMessage(key: MessageKey | null, retry: boolean, lang: Language): void {
    byId('media-message', HTMLDivElement).hidden = !key;
    byId('media-text', HTMLParagraphElement).textContent = key ? translate(lang, key) : '';
    this.mediaRetry.hidden = !retry;
  }

  renderDevices(lists: DeviceLists, current: { audio: string | null; video: string | null }, lang: Language): void {
    const fill = (select: HTMLSelectElement, devices: MediaDeviceInfo[], selected: string | null, kind: 'audioinput' | 'videoinput') => {
      select.replaceChildren(
        ...devices.map((d, i) => new Option(d.label || translate(lang, `device.unnamed.${kind}`, { n: i + 1 }), d.deviceId)),
        new Option(translate(lang, 'device.none'), 'none'),
      );
      select.value = selected && devices.some((d) => d.deviceId === selected) ? selected : 'none';
      select.disabled = devices.length === 0;
    };
    fill(this.mic, lists.mics, current.audio, 'audioinput');
    fill(this.cam, lists.cams, current.video, 'videoinput');
  }

  setPreview(stream: MediaStream | null): void {
    const hasVideo = !!stream?.getVideoTracks().length;
    this.#selfView.srcObject = stream;
    this.#selfView.closest('.preview')?.classList.toggle('has-video', hasVideo);
    this.#callSelf.srcObject = stream;
    this.#callSelf.hidden = !hasVideo;
    if (stream) void this.#selfView.play().catch(() => undefined);
  }

  setRemote(stream: MediaStream | null): void {
    this.#remote.srcObject = stream;
    const waiting = byId('remote-waiting', HTMLParagraphElement);
    const update = () => (waiting.hidden = !!stream?.getVideoTracks().some((t) => t.readyState === 'live') && this.#remote.videoWidth > 0);
    update();
    this.#remote.onresize = update;
    if (stream) {
      stream.onaddtrack = update;
      void this.#remote.play().catch(() => undefined);
      void this.#callSelf.play().catch(() => undefined);
    }
  }

  renderJoining(joining: boolean, mode: JoinMode, lang: Language): void {
    this.join.disabled = joining;
    this.join.textContent = translate(lang, joining ? 'join.joining' : mode === 'site' ? 'join.site' : 'join.button');
  }

  renderToggles(state: { micOn: boolean; camOn: boolean; hasAudio: boolean; hasVideo: boolean }, lang: Language): void {
    this.toggleMic.textContent = translate(lang, state.micOn ? 'call.mute' : 'call.unmute');
    this.toggleMic.setAttribute('aria-pressed', String(!state.micOn));
    this.toggleMic.disabled = !state.hasAudio;
    this.toggleCam.textContent = translate(lang, state.camOn ? 'call.videoOff' : 'call.videoOn');
    this.toggleCam.setAttribute('aria-pressed', String(!state.camOn));
    this.toggleCam.disabled = !state.hasVideo;
    // With the camera off the self-view goes away rather than showing a black box.
    this.#callSelf.classList.toggle('off', !state.camOn);
  }

  renderEnded(key: MessageKey | null, lang: Language): void {
    byId('ended-text', HTMLParagraphElement).textContent = key ? translate(lang, key) : '';
  }
}
