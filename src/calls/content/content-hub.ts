import { ContentFloor, type FloorChange, type FloorRequestResult } from '../../content/floor';
import type { Logger } from '../../log';
import { CONTENT_PROFILE, PRESENTATION_LAYOUT, type CanvasLayout } from '../../media/freeswitch/conference';
import type { ConferenceControl, MediaEndpoint, MediaLease, MediaPool } from '../../media/freeswitch/media-endpoint';
import type { MeetingEvents } from '../../meetings/meeting-events';
import type { Call } from '../call';
import type { CallRegistry } from '../call-registry';
import { ConferenceLink } from './conference-link';
import type { ContentControl, ContentRecords, FloorPolicy, Presenter, ShareEndReason } from './content-control';
import { ContentLeg } from './content-leg';

/** The main canvas's layout when no operator chose one: the video profile's own (conference.conf.xml). */
const PROFILE_LAYOUT: CanvasLayout = 'group:grid';
/** BFCP user ids are 16 bits; 0 is not used. */
const MAX_USER_ID = 0xffff;

/** A content channel not yet a call's (dialling out: the call exists once the site answers). */
export interface PreparedLeg {
  readonly lease: MediaLease;
  readonly endpoint: MediaEndpoint;
  /** Hangs the channel up and releases the lease (when it is not adopted). */
  release(): Promise<void>;
}

export interface ContentHubDeps {
  media: Pick<MediaPool, 'leaseOn' | 'control'>;
  calls: CallRegistry;
  events: MeetingEvents;
  records: ContentRecords;
  /** The main conference's profile, and whether it mixes video (content goes into its canvas then). */
  mainProfile: string;
  mixesVideo: boolean;
  /** The layout an operator chose for a meeting, to go back to when content leaves the canvas. */
  layoutOf(meetingId: string): CanvasLayout | null;
  log: Logger;
}

interface Presenting {
  callId: string;
  presenter: Presenter;
  /** The attendance row, once written; null if writing it failed. */
  shareId: Promise<string | null>;
}

/** One meeting's content: its floor, content legs, presenter and the link into its main canvas. */
interface MeetingContent {
  readonly meetingId: string;
  readonly floor: ContentFloor;
  readonly legs: Map<string, ContentLeg>;
  presenting: Presenting | null;
  link: ConferenceLink | null;
  /** FreeSWITCH changes of this meeting, one after the other. */
  queue: Promise<void>;
  readonly conferenceId: number;
  nextUserId: number;
  stopFloor(): void;
}

/**
 * Content sharing for every meeting this process carries (docs/content-sharing.md): each call's content
 * leg in the meeting's content conference, the one floor every protocol asks (BFCP, H.239, browsers,
 * the operator), FreeSWITCH's video floor following it, the link that shows content in the main canvas
 * to sites without a content channel, and the events and attendance rows of each presentation.
 */
export class ContentHub implements ContentControl {
  readonly #meetings = new Map<string, MeetingContent>();
  #nextConferenceId = 1;
  readonly #unsubscribe: () => void;

  constructor(private readonly deps: ContentHubDeps) {
    // Who still needs content in the main canvas changes as participants come and go.
    this.#unsubscribe = deps.events.subscribe('*', (e) => {
      if (e.type !== 'participant.joined' && e.type !== 'participant.left') return;
      const m = this.#meetings.get(e.meetingId);
      if (!m) return;
      if (e.type === 'participant.left' && !deps.calls.inMeeting(e.meetingId).length && !m.legs.size) {
        this.#forget(m, 'ended');
        return;
      }
      this.#schedule(m, () => this.#updateCanvas(m));
    });
  }

  /** Content is in the meeting's main canvas: the link is open and the presentation layout set. */
  showsContent(meetingId: string): boolean {
    return (this.#meetings.get(meetingId)?.link ?? null) !== null;
  }

  /**
   * A FreeSWITCH channel for content on `serverId`: FreeSWITCH answers `offer` (a video-only SDP), or
   * makes an offer without one. Before the call exists (dialling out) it is held as prepared; `adoptLeg`
   * makes it the call's, and whoever holds a prepared leg it does not adopt releases it.
   */
  async prepareLeg(serverId: string, offer?: string): Promise<PreparedLeg> {
    const lease = this.deps.media.leaseOn(serverId);
    if (!lease) throw new Error(`media server ${serverId} is not up`);
    try {
      const endpoint = await lease.createEndpoint(offer !== undefined ? { remoteSdp: offer } : {});
      const release = async (): Promise<void> => {
        try {
          await endpoint.hangUp();
        } finally {
          lease.release();
        }
      };
      return { lease, endpoint, release };
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  /**
   * The prepared channel becomes the call's content leg, attached to the call (which closes it). It
   * is not in the content conference until `joinLeg`.
   */
  async adoptLeg(call: Call, prepared: PreparedLeg): Promise<ContentLeg> {
    const { meetingId, callId } = call.info;
    const m = await this.#meeting(meetingId);
    const leg = new ContentLeg(callId, meetingId, prepared.lease, prepared.endpoint, call.log.child({ content: true }));
    // A new content leg replaces the call's last (a browser that stops watching to share).
    const replaced = m.legs.get(callId);
    m.legs.set(callId, leg);
    leg.onClosed(() => {
      if (m.legs.get(callId) !== leg) return;
      m.legs.delete(callId);
      m.floor.leave(callId);
      this.#schedule(m, () => this.#updateCanvas(m));
    });
    // A receiver's keyframe request goes to the presenter, whose leg passes it to its far end.
    leg.onKeyframeWanted(() => {
      const presenterLeg = m.presenting ? m.legs.get(m.presenting.callId) : undefined;
      if (presenterLeg && presenterLeg !== leg) presenterLeg.askFarEnd();
    });
    call.attachContent(leg);
    if (replaced) void replaced.close();
    return leg;
  }

  /**
   * prepareLeg on the meeting's media server (its primary when it spreads over several nodes: the
   * content conference is one), then adoptLeg.
   */
  async openLeg(call: Call, offer?: string): Promise<ContentLeg> {
    const serverId = this.deps.calls.mediaServerOf(call.info.meetingId) ?? call.mediaServer;
    if (!serverId) throw new Error('the call has no media server for content');
    const prepared = await this.prepareLeg(serverId, offer);
    if (call.isClosed()) {
      await prepared.release();
      throw new Error('the call ended while its content leg was set up');
    }
    return this.adoptLeg(call, prepared);
  }

  /** Puts the leg in the content conference; the presenter's leg becomes the conference's video floor. */
  async joinLeg(leg: ContentLeg): Promise<void> {
    await leg.join();
    const m = this.#meetings.get(leg.meetingId);
    if (!m) return;
    this.#schedule(m, async () => {
      if (m.presenting?.callId === leg.callId) await this.#showPresenter(m);
      await this.#updateCanvas(m);
    });
  }

  /** The floor of the meeting (BFCP users are given it); made on first use with the meeting's policy. */
  floor(meetingId: string): Promise<ContentFloor> {
    return this.#meeting(meetingId).then((m) => m.floor);
  }

  /** The meeting's BFCP conference id and a new user id for one of its calls. */
  async bfcpIds(meetingId: string): Promise<{ conferenceId: number; userId: number }> {
    const m = await this.#meeting(meetingId);
    const userId = m.nextUserId;
    m.nextUserId = userId >= MAX_USER_ID ? 1 : userId + 1;
    return { conferenceId: m.conferenceId, userId };
  }

  /** The call asks to present (H.239 token request, a browser starting to share). */
  async request(call: Call): Promise<FloorRequestResult> {
    const m = await this.#meeting(call.info.meetingId);
    return m.floor.request(call.info.callId);
  }

  /** The call stops presenting, or withdraws its request. */
  release(call: Call): void {
    this.#meetings.get(call.info.meetingId)?.floor.release(call.info.callId);
  }

  /** Floor changes of a meeting, keyed by call id; returns the unsubscribe function. */
  async onFloorChange(meetingId: string, listener: (change: FloorChange) => void): Promise<() => void> {
    return (await this.#meeting(meetingId)).floor.onChange(listener);
  }

  presenter(meetingId: string): Presenter | null {
    return this.#meetings.get(meetingId)?.presenting?.presenter ?? null;
  }

  async stop(meetingId: string): Promise<Presenter | null> {
    const m = this.#meetings.get(meetingId);
    const was = m?.presenting?.presenter ?? null;
    if (m && was) m.floor.revoke();
    if (m) await m.queue;
    return was;
  }

  /** The meeting ends: its presentation stops (`ended`) and the link closes, before the calls do. */
  async end(meetingId: string): Promise<void> {
    const m = this.#meetings.get(meetingId);
    if (m) await this.#forget(m, 'ended');
  }

  /**
   * Shutdown or restart: every presentation ends and every content leg and link is hung up, also for
   * calls left running for the next process, which does not take content legs over.
   */
  async close(): Promise<void> {
    this.#unsubscribe();
    await Promise.all([...this.#meetings.values()].map((m) => this.#forget(m, 'ended', 'close')));
  }

  #pending = new Map<string, Promise<MeetingContent>>();

  #meeting(meetingId: string): Promise<MeetingContent> {
    const known = this.#meetings.get(meetingId);
    if (known) return Promise.resolve(known);
    let pending = this.#pending.get(meetingId);
    if (!pending) {
      pending = this.#create(meetingId).finally(() => this.#pending.delete(meetingId));
      this.#pending.set(meetingId, pending);
    }
    return pending;
  }

  async #create(meetingId: string): Promise<MeetingContent> {
    let policy: FloorPolicy = 'take-over';
    try {
      policy = await this.deps.records.policy(meetingId);
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message, meetingId }, 'content policy not read; take-over');
    }
    const floor = new ContentFloor(policy);
    const conferenceId = this.#nextConferenceId;
    this.#nextConferenceId = conferenceId >= 0xffffffff ? 1 : conferenceId + 1;
    const m: MeetingContent = {
      meetingId,
      floor,
      legs: new Map(),
      presenting: null,
      link: null,
      queue: Promise.resolve(),
      conferenceId,
      nextUserId: 1,
      stopFloor: () => undefined,
    };
    m.stopFloor = floor.onChange((change) => this.#floorChanged(m, change));
    this.#meetings.set(meetingId, m);
    return m;
  }

  #floorChanged(m: MeetingContent, change: FloorChange): void {
    if (m.presenting && m.presenting.callId === change.previous) void this.#stopped(m, endReason(change.reason));
    if (change.holder !== null) this.#started(m, change.holder);
    this.#schedule(m, async () => {
      await this.#showPresenter(m);
      await this.#updateCanvas(m);
    });
  }

  #started(m: MeetingContent, callId: string): void {
    const call = this.deps.calls.get(callId);
    const presenter: Presenter = {
      participantId: call?.participationId ?? null,
      name: call?.info.displayName ?? '',
      siteId: call?.info.siteId ?? null,
      protocol: call?.info.protocol ?? 'sip',
      since: new Date(),
    };
    const shareId = this.deps.records.started(m.meetingId, presenter).catch((err: Error) => {
      this.deps.log.warn({ err: err.message, meetingId: m.meetingId }, 'presentation not recorded');
      return null;
    });
    m.presenting = { callId, presenter, shareId };
    this.deps.events.publish(m.meetingId, { type: 'content.started', presenter: eventPresenter(presenter) });
    (call?.log ?? this.deps.log).info({ meetingId: m.meetingId }, 'presenting');
  }

  /** Resolves once the attendance row is closed. */
  #stopped(m: MeetingContent, reason: ShareEndReason): Promise<void> {
    const was = m.presenting;
    if (!was) return Promise.resolve();
    m.presenting = null;
    const at = new Date();
    const recorded = was.shareId.then((id) =>
      id ? this.deps.records.ended(id, reason, at).catch((err: Error) => this.deps.log.warn({ err: err.message }, 'presentation end not recorded')) : undefined,
    );
    this.deps.events.publish(m.meetingId, { type: 'content.stopped', presenter: eventPresenter(was.presenter), reason });
    this.deps.log.info({ meetingId: m.meetingId, callId: was.callId, reason }, 'presentation stopped');
    return recorded;
  }

  /** FreeSWITCH's video floor in the content conference follows the presenter's leg. */
  async #showPresenter(m: MeetingContent): Promise<void> {
    const leg = m.presenting ? m.legs.get(m.presenting.callId) : undefined;
    const control = this.#control(m);
    if (!control) return;
    await control.presenter(m.meetingId, leg?.memberId ?? null);
  }

  /**
   * Content goes into the main canvas (the link, the presentation layout) while someone presents from
   * a joined content leg and some participant with video has no joined content leg of its own.
   */
  async #updateCanvas(m: MeetingContent): Promise<void> {
    const presenterLeg = m.presenting ? m.legs.get(m.presenting.callId) : undefined;
    const wanted =
      this.deps.mixesVideo &&
      presenterLeg?.memberId != null &&
      this.deps.calls.inMeeting(m.meetingId).some((c) => c.state === 'joined' && c.codecs.video !== null && m.legs.get(c.info.callId)?.memberId == null);
    if (wanted && !m.link && presenterLeg) await this.#openLink(m, presenterLeg.serverId);
    else if (!wanted && m.link) await this.#closeLink(m);
  }

  async #openLink(m: MeetingContent, serverId: string): Promise<void> {
    const lease = this.deps.media.leaseOn(serverId);
    const control = this.deps.media.control(serverId);
    if (!lease || !control) return;
    const log = this.deps.log.child({ meetingId: m.meetingId, link: 'content' });
    try {
      const link = await ConferenceLink.open(
        { a: lease, b: lease },
        m.meetingId,
        { profile: CONTENT_PROFILE, conference: 'content' },
        { profile: this.deps.mainProfile, muted: true },
        log,
      );
      m.link = link;
      link.onBroken(() => {
        if (m.link !== link) return;
        m.link = null;
        void link.close();
        this.#schedule(m, () => this.#updateCanvas(m));
      });
      await control.reserveContentSlot(m.meetingId, link.memberB);
      await control.layout(m.meetingId, PRESENTATION_LAYOUT);
      log.info('content shown in the main canvas');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'content not shown in the main canvas');
    }
  }

  async #closeLink(m: MeetingContent): Promise<void> {
    const link = m.link;
    if (!link) return;
    m.link = null;
    const control = this.#control(m);
    await link.close();
    await control?.layout(m.meetingId, this.deps.layoutOf(m.meetingId) ?? PROFILE_LAYOUT).catch((err: Error) => {
      this.deps.log.warn({ err: err.message, meetingId: m.meetingId }, 'main layout not restored');
    });
  }

  #control(m: MeetingContent): ConferenceControl | undefined {
    const serverId = this.deps.calls.mediaServerOf(m.meetingId) ?? m.legs.values().next().value?.serverId;
    return serverId ? this.deps.media.control(serverId) : undefined;
  }

  /** Runs FreeSWITCH changes of one meeting in order; a failing one is logged and the next runs. */
  #schedule(m: MeetingContent, work: () => Promise<void>): void {
    m.queue = m.queue.then(work).catch((err: Error) => this.deps.log.warn({ err: err.message, meetingId: m.meetingId }, 'content change failed'));
  }

  async #forget(m: MeetingContent, reason: ShareEndReason, legs: 'keep' | 'close' = 'keep'): Promise<void> {
    if (this.#meetings.get(m.meetingId) !== m) return;
    this.#meetings.delete(m.meetingId);
    m.stopFloor();
    const recorded = this.#stopped(m, reason);
    this.#schedule(m, () => this.#closeLink(m));
    if (legs === 'close') await Promise.all([...m.legs.values()].map((leg) => leg.close()));
    await Promise.all([m.queue, recorded]);
  }
}

function endReason(reason: FloorChange['reason']): ShareEndReason {
  return reason === 'granted' ? 'released' : reason;
}

function eventPresenter(p: Presenter): { participantId: string | null; name: string; siteId: string | null; protocol: string } {
  return { participantId: p.participantId, name: p.name, siteId: p.siteId, protocol: p.protocol };
}
