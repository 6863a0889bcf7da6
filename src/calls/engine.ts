import type { DataSource } from 'typeorm';
import type { ChangeFeed } from '../db/change-feed';
import { SiteAddresses } from '../directory/site-addresses';
import type { Logger } from '../log';
import type { MediaServerPool } from '../media/freeswitch/media-servers';
import type { RtpEnginePool } from '../media/rtpengine';
import { ContentShares } from '../meetings/content-shares';
import type { MeetingEvents } from '../meetings/meeting-events';
import { MediaQuality } from '../meetings/media-quality';
import { HEARTBEAT_MS, Participations } from '../meetings/participations';
import type { DependencyState } from '../observability/dependency-state';
import type { MeetingQuality } from '../observability/metrics';
import type { AdmissionPolicy } from './admission';
import { CallRegistry } from './call-registry';
import type { AdoptedDialog, Call } from './call';
import { LiveControl } from './live-control';
import { QualitySampler } from './quality-sampler';
import { callLookups, type CallLookups } from './lookups';
import { checkAdopted, checkAdoptedCallers, recoverServer } from './recovery';
import { ContentHub } from './content/content-hub';
import { Cascade, type CallPlacement } from './cascade/cascade';
import { CascadeLinkRecords, type LinkRecord } from './cascade/link-records';
import { SingleNode } from './cascade/single-node';

const ADOPTED_CHECK_MS = 5_000;
/** How often a call taken over asks its caller (in-dialog OPTIONS) whether it is still there. */
const ADOPTED_CALLER_CHECK_MS = 15_000;
/** How long dial-outs wait for the calls a previous process left to be taken over; a server that is down is not waited for longer. */
const RECONCILE_WAIT_MS = 10_000;
/** The audio-only conference profile (conference.conf.xml): it has no canvas to show content in. */
const AUDIO_PROFILE = 'diemcau-audio';

export interface CallEngineDeps {
  ds: DataSource;
  events: MeetingEvents;
  media: MediaServerPool;
  /** rtpengine, for browser calls; null when none is configured. */
  relays: RtpEnginePool | null;
  policy: AdmissionPolicy;
  /** The FreeSWITCH conference profile every meeting mixes in. */
  conferenceProfile: string;
  /** The profile of a cascaded meeting's conferences on secondary nodes; the meeting's own by default. */
  secondaryProfile?: string;
  /** A caller's SIP dialog by drachtio-server's id: how calls taken over after a restart are ended. */
  sipDialog?: (id: string) => AdoptedDialog;
  /** How often each call's media quality is sampled. */
  qualityIntervalMs: number;
  /** Sites one FreeSWITCH carries (FREESWITCH_MAX_MEMBERS); 0: every meeting on one server, no limit. */
  maxMembersPerServer?: number;
  /** Each server's region by id (FREESWITCH_REGIONS): the cascade places a site on a node of its own. */
  regions?: ReadonlyMap<string, string>;
  /** Tells the directory held in memory when a site changes; null: every look-up reads the database. */
  changes?: ChangeFeed | null;
  log: Logger;
}

/**
 * What every call shares, whichever protocol brought it: the calls this process carries, their
 * participation rows, the media servers and relays, live control of the conferences. Built once by
 * the composition root and handed to each ingress (SIP, H.323) and to the API. It takes over calls a
 * previous process left running, keeps their rows alive, and hangs them up or leaves them on stop.
 */
export class CallEngine {
  readonly calls: CallRegistry;
  readonly participations: Participations;
  /** The directory and the bookings, as the ingresses read them. */
  readonly lookups: CallLookups;
  readonly live: LiveControl;
  readonly events: MeetingEvents;
  readonly media: MediaServerPool;
  readonly relays: RtpEnginePool | null;
  readonly policy: AdmissionPolicy;
  readonly conferenceProfile: string;
  readonly ds: DataSource;
  readonly log: Logger;
  readonly quality: MediaQuality;
  /** Content sharing: content legs, the floor, presentations (docs/content-sharing.md). */
  readonly content: ContentHub;
  /** Which FreeSWITCH each new call goes to: the cascade with a member limit, else the meeting's server. */
  readonly placement: CallPlacement;
  /** Meetings spread over several FreeSWITCH nodes (docs/scale.md); null without a member limit. */
  readonly cascade: Cascade | null;
  readonly #shares: ContentShares;
  readonly #links: CascadeLinkRecords;
  readonly #addresses: SiteAddresses;
  readonly #unsubscribe: () => void;
  readonly #sipDialog: ((id: string) => AdoptedDialog) | null;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;
  /** Servers whose calls from before the start are reconciled (adopted or closed). */
  readonly #reconciled = new Set<string>();
  /** Resolves once every configured server is in `#reconciled`. */
  readonly #allReconciled: Promise<void>;
  #allDone: () => void = () => undefined;

  constructor(deps: CallEngineDeps) {
    this.#allReconciled = new Promise((resolve) => {
      this.#allDone = resolve;
    });
    this.ds = deps.ds;
    this.#sipDialog = deps.sipDialog ?? null;
    this.events = deps.events;
    this.media = deps.media;
    this.relays = deps.relays;
    this.policy = deps.policy;
    this.conferenceProfile = deps.conferenceProfile;
    this.log = deps.log;
    this.participations = new Participations(deps.ds);
    this.#addresses = new SiteAddresses(deps.ds, deps.changes ?? null);
    this.lookups = callLookups(deps.ds, this.#addresses);
    this.quality = new MediaQuality(deps.ds);
    this.calls = new CallRegistry(this.participations, deps.events, (call) => this.#sampleMedia(call, deps.qualityIntervalMs));
    this.live = new LiveControl(this.calls, deps.media, {
      linkMemberOf: (meetingId, node) => this.cascade?.linkMemberOf(meetingId, node) ?? null,
      showsContent: (meetingId) => this.content.showsContent(meetingId),
    });
    // The operator's layout follows the meeting's conference to the server its calls moved to.
    this.#unsubscribe = deps.events.subscribe('*', (e) => {
      if (e.type !== 'participant.joined') return;
      this.live
        .followPrimary(e.meetingId)
        .catch((err: Error) => deps.log.warn({ err: err.message, meetingId: e.meetingId }, 'layout not set on the new primary'));
    });
    this.#links = new CascadeLinkRecords(deps.ds);
    const maxMembers = deps.maxMembersPerServer ?? 0;
    this.cascade =
      maxMembers > 0
        ? new Cascade({
            media: deps.media,
            calls: this.calls,
            records: this.#links,
            maxMembers,
            ...(deps.regions && { regions: deps.regions }),
            profile: deps.conferenceProfile,
            secondaryProfile: deps.secondaryProfile ?? deps.conferenceProfile,
            log: deps.log.child({ component: 'cascade' }),
          })
        : null;
    this.placement = this.cascade ?? new SingleNode(deps.media, this.calls);
    this.#shares = new ContentShares(deps.ds);
    this.content = new ContentHub({
      media: deps.media,
      calls: this.calls,
      events: deps.events,
      records: this.#shares,
      mainProfile: deps.conferenceProfile,
      mixesVideo: deps.conferenceProfile !== AUDIO_PROFILE,
      layoutOf: (meetingId) => this.live.currentLayout(meetingId),
      log: deps.log.child({ component: 'content' }),
    });
  }

  /** Closes what a previous process left open, then connects to the media servers; does not wait for them. */
  async start(): Promise<void> {
    const dangling = await this.participations.closeDangling(this.media.serverIds);
    // A restart hangs up every content leg (they are not taken over): nobody presents after it.
    const presentations = await this.#shares.closeDangling(new Date());
    if (presentations) this.log.warn({ presentations }, 'closed presentations left open by a previous run');
    if (dangling) this.log.warn({ participations: dangling }, 'closed participations left open by a previous run');
    // Links between cascaded nodes a previous process left are taken over with the calls, or killed
    // when nothing here would link nodes (no member limit any more).
    const links = await this.#links.all();
    if (this.cascade) this.cascade.restore(links);
    // Calls a previous process left in a conference are taken over as each media server comes up.
    this.media.on('up', (serverId: string) => {
      if (!this.cascade) void this.#dropLinks(serverId, links);
      recoverServer(serverId, {
        media: this.media,
        placement: this.placement,
        calls: this.calls,
        participations: this.participations,
        ...(this.#sipDialog && { sipDialog: this.#sipDialog }),
        log: this.log,
      })
        .then((r) => (r.adopted || r.closed) && this.log.info({ mediaServer: serverId, ...r }, 'calls from before the restart reconciled'))
        .catch((err: Error) => this.log.error({ err, mediaServer: serverId }, 'recovering calls failed'))
        .finally(() => {
          this.cascade?.recovered(serverId);
          this.#reconciled.add(serverId);
          if (this.media.serverIds.every((id) => this.#reconciled.has(id))) this.#allDone();
        });
    });
    this.media.on('down', (serverId: string) => this.#failover(serverId));
    this.media.start();
    await this.relays?.start();
    this.#timers.push(
      setInterval(() => {
        const ids = this.calls.all().flatMap((c) => (c.participationId ? [c.participationId] : []));
        this.participations.heartbeat(ids).catch((err: Error) => this.log.warn({ err: err.message }, 'participation heartbeat failed'));
      }, HEARTBEAT_MS),
      setInterval(() => {
        checkAdopted({ media: this.media, calls: this.calls }).catch((err: Error) => this.log.warn({ err: err.message }, 'checking taken-over calls failed'));
        void this.cascade?.checkAdopted();
      }, ADOPTED_CHECK_MS),
      setInterval(() => {
        checkAdoptedCallers(this.calls).catch((err: Error) => this.log.warn({ err: err.message }, 'asking the callers of taken-over calls failed'));
      }, ADOPTED_CALLER_CHECK_MS),
    );
    for (const t of this.#timers) t.unref();
    void this.reconciled().then(() => this.cascade?.settle());
  }

  /** The links a previous process left on `serverId`, with no cascade here to take them over: killed. */
  async #dropLinks(serverId: string, links: readonly LinkRecord[]): Promise<void> {
    const control = this.media.control(serverId);
    for (const link of links) {
      const mine = [link.secondary, link.primary].indexOf(serverId);
      if (mine < 0) continue;
      await control?.killChannel(link.channels[mine]!).catch(() => undefined);
      await this.#links
        .closed(link.meetingId, link.secondary, link.channels[0])
        .catch((err: Error) => this.log.warn({ err: err.message }, 'link record not removed'));
      this.log.warn({ meetingId: link.meetingId, mediaServer: serverId }, 'link from before the restart hung up: no member limit now');
    }
  }

  /**
   * A media server went down (its event socket closed): the bridge no longer controls its calls, so
   * each moves to a server that is left (a SIP call keeps its dialog) or ends
   * (`media-server-lost`) and the dialer calls its site back; placement moves the meetings first, so
   * that the calls land together on the servers left (docs/scale.md, "Failover").
   * Calls with an endpoint usually end by themselves a moment before (their channel's socket closes
   * too); the ones taken over after a restart have only this.
   */
  #failover(serverId: string): void {
    if (this.#stopped) return;
    const lost = this.calls.all().filter((c) => c.mediaServer === serverId);
    this.log.warn({ mediaServer: serverId, calls: lost.length }, 'media server lost: its meetings move to the servers left');
    this.placement.nodeDown(serverId);
    for (const call of lost) void call.mediaLost(serverId);
  }

  /**
   * Resolves once every media server has come up and its calls from before this process started are
   * taken over, or after 10 s (a server that is down has none to give).
   */
  async reconciled(): Promise<void> {
    if (this.media.serverIds.every((id) => this.#reconciled.has(id))) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, RECONCILE_WAIT_MS);
      timer.unref();
    });
    try {
      await Promise.race([this.#allReconciled, waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A sampler per joined call with a FreeSWITCH endpoint (a call taken over after a restart has none:
   * its quality is not sampled), reading rtpengine too for a browser. The call owns it from here on
   * and takes its last sample as it closes.
   */
  #sampleMedia(call: Call, intervalMs: number): void {
    const endpoint = call.endpoint;
    const participationId = call.participationId;
    if (!endpoint || !participationId) return;
    const relay = call.relay;
    const sampler = new QualitySampler(
      { counters: () => endpoint.mediaStats(), rtcp: relay ? () => relay.rtcp() : null },
      (sample, final) => this.quality.record(participationId, sample, final),
      intervalMs,
      call.log,
    );
    call.attachSampler(sampler);
  }

  /** Each live meeting's quality from its calls' latest samples; meetings with no sample yet are left out. */
  qualityByMeeting(): Map<string, MeetingQuality> {
    const out = new Map<string, MeetingQuality>();
    for (const c of this.calls.all()) {
      const q = c.quality;
      if (!q) continue;
      const m = out.get(c.info.meetingId);
      out.set(
        c.info.meetingId,
        m
          ? {
              calls: m.calls + 1,
              maxLossInPercent: Math.max(m.maxLossInPercent, q.lossInPercent),
              maxJitterMs: q.jitterMs === null ? m.maxJitterMs : Math.max(m.maxJitterMs ?? 0, q.jitterMs),
              minMos: Math.min(m.minMos, q.mos),
            }
          : { calls: 1, maxLossInPercent: q.lossInPercent, maxJitterMs: q.jitterMs, minMos: q.mos },
      );
    }
    return out;
  }

  participantsByProtocol(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.calls.all()) if (c.participationId) counts[c.info.protocol] = (counts[c.info.protocol] ?? 0) + 1;
    return counts;
  }

  mediaServers(): Record<string, DependencyState> {
    return this.media.states();
  }

  states(): Record<string, DependencyState> {
    return {
      ...(this.media.serverIds.length ? this.media.states() : { freeswitch: 'not configured' }),
      ...(this.relays ? this.relays.states() : { rtpengine: 'not configured' }),
    };
  }

  /**
   * `leave-running` (a restart) leaves every call in its FreeSWITCH conference for the next process
   * to take over; `hang-up` ends them. Stopping twice is a no-op.
   */
  async stop(calls: 'leave-running' | 'hang-up'): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#unsubscribe();
    await this.content.close();
    if (calls === 'hang-up') await Promise.all(this.calls.all().map((c) => c.close('shutdown')));
    // The next process takes them over: what this one still hears about them must not end them.
    else for (const c of this.calls.all()) c.detach();
    await this.cascade?.close(calls);
    this.media.close();
    this.relays?.close();
    this.#addresses.close();
  }
}
