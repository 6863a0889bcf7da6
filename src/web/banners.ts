import type { JoinInfo } from '../api/join/contract';
import { JoinApiError } from './api';
import type { MediaProblem } from './devices';
import { formatMoment } from './format';
import type { MessageKey } from './i18n';
import type { JoinMode } from './site-login';
import type { BannerModel } from './view';

/**
 * What the page says about the room, the API's refusals and the bridge's SIP answers: pure
 * mappings from facts to messages, kept out of the controller (page.ts).
 */

/** The room's own state, before anyone presses Join; null when there is nothing to say. */
export function bannerForInfo(info: JoinInfo, mode: JoinMode): BannerModel | null {
  switch (info.status) {
    case 'not-open-yet':
      return { kind: 'warn', key: 'err.notOpenYet', params: (lang) => ({ time: formatMoment(info.opensAt, lang) }) };
    case 'ended':
      return { kind: 'info', key: 'err.ended' };
    case 'cancelled':
      return { kind: 'warn', key: 'err.cancelled' };
    case 'open':
      // Closed to guests is news to a guest only: an invited site signs in all the same.
      if (!info.allowGuests && mode === 'guest') return { kind: 'warn', key: 'err.guests' };
      if (!info.wsUri) return { kind: 'info', key: 'err.notConfigured' };
      return null;
  }
}

/** A refusal of the join API (`reason` in its problem+json body), or a network failure. */
export function bannerForRefusal(err: unknown, room: string, knownOpensAt: string | undefined): BannerModel {
  if (!(err instanceof JoinApiError)) return { kind: 'error', key: 'err.generic' };
  switch (err.reason) {
    case 'wrong-pin':
      return { kind: 'error', key: 'err.wrongPin' };
    case 'pin-required':
      return { kind: 'error', key: 'err.pinRequired' };
    case 'not-open-yet': {
      const opensAt = err.opensAt ?? knownOpensAt;
      return opensAt
        ? { kind: 'warn', key: 'err.notOpenYet', params: (lang) => ({ time: formatMoment(opensAt, lang) }) }
        : { kind: 'warn', key: 'err.generic' };
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

/** The bridge's SIP answers (README, "INVITE"): 486 full or locked, 480 not open / ended / cancelled. */
export function bannerForSipStatus(code: number, phrase: string, mode: JoinMode): BannerModel {
  switch (code) {
    case 486:
    case 600:
      return { kind: 'error', key: 'err.roomFull' };
    case 480:
      if (/cancel/i.test(phrase)) return { kind: 'warn', key: 'err.cancelled' };
      if (/not open/i.test(phrase)) return { kind: 'warn', key: 'err.generic' };
      return { kind: 'info', key: 'err.ended' };
    case 403:
      // To a site the bridge says 403 for a wrong password, an unknown username and a site that is
      // not invited alike (it does not tell a stranger which one); a guest's 403 is a bad token.
      return mode === 'site' ? { kind: 'error', key: 'err.siteForbidden' } : { kind: 'error', key: 'err.refused', params: () => ({ code }) };
    case 401:
    case 407:
      // SIP.js answered one challenge and was challenged again: the credentials were not taken.
      return mode === 'site' ? { kind: 'error', key: 'err.siteAuth' } : { kind: 'error', key: 'err.refused', params: () => ({ code }) };
    case 503:
      return { kind: 'error', key: 'err.busy' };
    default:
      return { kind: 'error', key: 'err.refused', params: () => ({ code }) };
  }
}

export function mediaProblemKey(problem: MediaProblem): MessageKey {
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
