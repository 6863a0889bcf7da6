import type { Registrations } from '../../directory/registrations';
import { deviceProfile } from '../device-profile';
import type { Logger } from '../../log';
import type { Meeting } from '../../meetings/meeting.entity';
import type { DialAttempts } from '../../meetings/dial-attempts';
import type { Invitations } from '../../meetings/invitations';
import type { MeetingEvents } from '../../meetings/meeting-events';
import type { CallRegistry } from '../call-registry';
import type { CallLookups } from '../lookups';
import type { DialResult, Placer } from './dial';
import { cancelledResult, type DialCancelReason } from './cancel';
import type { InFlight } from '../in-flight';
import { nextDelay, type RetryPolicy } from './retry-policy';

export interface DialerOptions {
  policy: RetryPolicy;
  /** Attempts in flight at once, across all meetings: the bridge's limit (`DIAL_CONCURRENCY`), shared with calls moving. */
  setups: InFlight;
  /** Redial a site whose call drops while its meeting is live. */
  redialDropped: boolean;
}

export interface DialerDeps {
  calls: CallRegistry;
  /** Where a site takes calls now (its SIP registration). */
  registrations: Pick<Registrations, 'current'>;
  sites: Pick<CallLookups, 'siteById'>;
  /** A meeting a site is called back into (failover) when no campaign of it runs here. */
  meetings: Pick<CallLookups, 'liveMeeting'>;
  invitations: Pick<Invitations, 'siteIds'>;
  /** The record of every attempt. */
  attempts: Pick<DialAttempts, 'open' | 'finish'>;
  events: MeetingEvents;
  log: Logger;
}

/** How each protocol calls a site; without `h323`, H.323 sites cannot be dialled. */
export interface Placers {
  sip: Placer;
  h323?: Placer;
}

interface Campaign {
  meeting: Meeting;
  timers: Set<NodeJS.Timeout>;
  /** Sites being dialled or waiting for a retry. */
  active: Set<string>;
  /**
   * Every attempt of the meeting carries its signal: stop() and close() abort it with their
   * DialCancelReason, so a site still ringing is cancelled and one answering late is hung up.
   */
  abort: AbortController;
  /** The invited sites are being called (start, or an operator's dialSite): one that drops is called back. */
  redial: boolean;
}

/**
 * Calls every invited site into a live meeting, keeps retrying the ones that fail as the retry policy
 * says, and stops for a site as soon as it is in (however it got there). Each attempt is a row in
 * dial_attempt and a pair of events.
 */
export class Dialer {
  readonly #campaigns = new Map<string, Campaign>();
  /** Meetings stopped here: a call back looked up while one ended must not start a campaign for it. */
  readonly #stopped = new Set<string>();
  #closed = false;

  constructor(
    private readonly deps: DialerDeps,
    private readonly placers: Placers,
    private readonly options: DialerOptions,
  ) {}

  /** Starts dialling every invited site of a live meeting that is not already in it. */
  async start(meeting: Meeting): Promise<void> {
    const campaign = this.#campaign(meeting, true);
    for (const siteId of await this.deps.invitations.siteIds(meeting.id)) this.#dialSite(campaign, siteId, 1);
  }

  /** Dials one site now, outside any campaign schedule (an operator's request). */
  async dialSite(meeting: Meeting, siteId: string): Promise<void> {
    this.#dialSite(this.#campaign(meeting, true), siteId, 1);
  }

  /**
   * Dials any SIP URI into the meeting once (no retries: an operator is watching, and no row: the
   * address is no site's). Cancelled like the campaign's own attempts when the meeting ends.
   */
  async dialUri(meeting: Meeting, uri: string, name: string): Promise<DialResult> {
    const { signal } = this.#campaign(meeting, false).abort;
    if (signal.aborted) return cancelledResult(signal, { note: 'not dialled' });
    return this.options.setups.run(() =>
      this.placers.sip({ meetingId: meeting.id, siteId: null, name, uri, moderator: false, muted: meeting.mode === 'lecture', signal }, meeting.roomNumber),
    );
  }

  /**
   * A call ended: if it was an invited site dropping out of a live meeting, dial it again. A site lost
   * with its media server is called back whatever the settings and however it came in (dialled out,
   * or dialled in: at its registration or its directory address), and wherever the meeting came from.
   */
  callEnded(meetingId: string, siteId: string | null, reason: string): void {
    if (siteId && reason === 'media-server-lost') {
      // A call that moved to another server in its own dialog is still there: nothing to call back.
      if (this.deps.calls.siteCall(meetingId, siteId)) return;
      void this.#callBack(meetingId, siteId).catch((err: Error) => this.deps.log.error({ err, meetingId, siteId }, 'calling a site back failed'));
      return;
    }
    const campaign = this.#campaigns.get(meetingId);
    if (!campaign?.redial || !siteId || !this.options.redialDropped) return;
    if (!['caller-hangup', 'bridge-hangup', 'media-failure'].includes(reason)) return;
    this.deps.log.info({ meetingId, siteId, reason }, 'site dropped out; dialling it again');
    this.#dialSite(campaign, siteId, 1);
  }

  async #callBack(meetingId: string, siteId: string): Promise<void> {
    const meeting = this.#campaigns.get(meetingId)?.meeting ?? (await this.deps.meetings.liveMeeting(meetingId));
    if (!meeting || this.#stopped.has(meetingId) || this.#closed) return;
    this.deps.log.info({ meetingId, siteId }, 'site lost with its media server; calling it back');
    this.#dialSite(this.#campaign(meeting, false), siteId, 1);
  }

  /** The meeting is over: no more attempts for it, and the ones in flight are called off. */
  stop(meetingId: string): void {
    this.#stopped.add(meetingId);
    this.#end(meetingId, 'meeting-ended');
  }

  /** Sites with an attempt running or a retry pending, per meeting (for tests and the roster). */
  pending(meetingId: string): string[] {
    return [...(this.#campaigns.get(meetingId)?.active ?? [])];
  }

  close(): void {
    this.#closed = true;
    for (const id of [...this.#campaigns.keys()]) this.#end(id, 'shutdown');
  }

  #end(meetingId: string, reason: DialCancelReason): void {
    const campaign = this.#campaigns.get(meetingId);
    if (!campaign) return;
    for (const t of campaign.timers) clearTimeout(t);
    this.#campaigns.delete(meetingId);
    // Synchronously, each attempt's placer sends its CANCEL (or Release Complete); the attempt then records itself.
    campaign.abort.abort(reason);
  }

  #campaign(meeting: Meeting, redial: boolean): Campaign {
    let c = this.#campaigns.get(meeting.id);
    if (!c) {
      c = { meeting, timers: new Set(), active: new Set(), abort: new AbortController(), redial };
      // After close() nothing is dialled: the campaign is born called off and never kept.
      if (this.#closed) c.abort.abort('shutdown' satisfies DialCancelReason);
      else this.#campaigns.set(meeting.id, c);
    }
    c.redial ||= redial;
    return c;
  }

  #dialSite(campaign: Campaign, siteId: string, attempt: number): void {
    if (attempt === 1 && campaign.active.has(siteId)) return;
    campaign.active.add(siteId);
    void this.#attempt(campaign, siteId, attempt).catch((err: Error) => {
      campaign.active.delete(siteId);
      this.deps.log.error({ err, meetingId: campaign.meeting.id, siteId }, 'dial-out attempt failed');
    });
  }

  async #attempt(campaign: Campaign, siteId: string, attempt: number): Promise<void> {
    const { meeting } = campaign;
    const log = this.deps.log.child({ meetingId: meeting.id, siteId, attempt });
    const gone = () => this.#closed || this.#campaigns.get(meeting.id) !== campaign;
    if (gone() || this.deps.calls.siteCall(meeting.id, siteId)) {
      campaign.active.delete(siteId);
      return;
    }
    const site = await this.deps.sites.siteById(siteId);
    if (!site?.enabled) {
      campaign.active.delete(siteId);
      return;
    }
    const [binding] = await this.deps.registrations.current(siteId);
    // The meeting may have ended during the lookups: no row for an attempt never made.
    if (gone()) {
      campaign.active.delete(siteId);
      return;
    }
    const h323 = site.protocol === 'h323' ? this.placers.h323 : undefined;
    // An H.323 site's address is the gateway's to resolve (registration or directory); this names it for the record.
    const uri = h323
      ? `h323:${site.h323Alias ?? ''}${site.h323Address ? `@${site.h323Address}` : ''}`
      : (binding?.contact ?? (site.protocol === 'sip' ? site.sipUri : null));
    const attemptId = await this.deps.attempts.open({ meetingId: meeting.id, siteId, target: uri ?? '(none)', attempt });
    this.deps.events.publish(meeting.id, { type: 'dial.attempt', siteId, attempt, target: uri ?? '' });

    let result: DialResult;
    if (!uri) {
      result = {
        outcome: 'failed',
        status: null,
        callId: null,
        detail: site.protocol === 'h323' ? 'H.323 dial-out is not available yet' : 'the site has no SIP address and is not registered',
      };
    } else {
      log.info({ target: uri }, 'dialling site');
      result = await this.options.setups.run(() =>
        (h323 ?? this.placers.sip)(
          {
            meetingId: meeting.id,
            siteId,
            name: site.name,
            uri,
            moderator: meeting.chairSiteId === siteId,
            muted: meeting.mode === 'lecture' && meeting.chairSiteId !== siteId,
            device: deviceProfile(site),
            region: site.region,
            signal: campaign.abort.signal,
          },
          meeting.roomNumber,
        ),
      );
    }
    const retryIn = uri && !gone() && !this.deps.calls.siteCall(meeting.id, siteId) ? nextDelay(this.options.policy, result.outcome, attempt) : null;
    // The placer knows where it really dialled (an H.323 registration beats the directory address).
    const target = result.target ?? uri;
    await this.deps.attempts.finish(attemptId, { ...result, target });
    this.deps.events.publish(meeting.id, {
      type: 'dial.outcome',
      siteId,
      attempt,
      outcome: result.outcome,
      sipStatus: result.status,
      retryInMs: retryIn,
      target: target ?? '',
    });
    log.info({ outcome: result.outcome, status: result.status, retryInMs: retryIn, ...(target !== uri && { target }) }, 'dial attempt over');
    if (retryIn === null) {
      campaign.active.delete(siteId);
      return;
    }
    const timer = setTimeout(() => {
      campaign.timers.delete(timer);
      this.#dialSite(campaign, siteId, attempt + 1);
    }, retryIn);
    campaign.timers.add(timer);
  }
}
