import type { DataSource } from 'typeorm';
import { FailureLimiter } from '../../access/failure-limiter';
import type { DependencyState } from '../../observability/dependency-state';
import type { Config } from '../../config/env';
import { Registrations } from '../../directory/registrations';
import type { Logger } from '../../log';
import { MediaServerPool } from '../../media/freeswitch/media-servers';
import { MeetingEvents } from '../../meetings/meeting-events';
import { HEARTBEAT_MS, Participations } from '../../meetings/participations';
import { CallRegistry } from '../call-registry';
import { Dialer } from '../dial-out/dialer';
import { defaultRetryPolicy, type RetryPolicy } from '../dial-out/retry-policy';
import { LiveControl } from '../live-control';
import { promptPath } from '../../media/prompts/catalog';
import type { MeetingLifecycle } from '../../meetings/scheduler';
import { RtpEnginePool } from '../../media/rtpengine';
import { checkAdopted, recoverServer } from '../recovery';
import { pingSite } from './options-ping';
import { placeCall } from './outbound-call';
import { inviteHandler, type PinCollector } from './invite-handler';
import { registerHandler } from './register-handler';
import { Signalling } from './signalling';
import { SipAuthenticator } from './sip-authenticator';

const SWEEP_MS = 60_000;
const ADOPTED_CHECK_MS = 5_000;

/**
 * Everything SIP: the drachtio-server connection, the media servers, the registrar and the INVITE
 * path, wired together. Built only when DRACHTIO_HOST is configured.
 */
export class SipService {
  readonly calls: CallRegistry;
  readonly registrations: Registrations;
  readonly participations: Participations;
  readonly signalling: Signalling;
  readonly media: MediaServerPool;
  readonly auth: SipAuthenticator;
  readonly relays: RtpEnginePool | null;
  readonly dialer: Dialer;
  readonly live: LiveControl;
  #accepting = true;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;

  constructor(
    private readonly ds: DataSource,
    private readonly config: Config,
    drachtio: NonNullable<Config['sip']['drachtio']>,
    private readonly log: Logger,
    collectPin: PinCollector,
    readonly events: MeetingEvents = new MeetingEvents(),
    options: { retryPolicy?: RetryPolicy; countSetup?: (status: number) => void } = {},
  ) {
    this.registrations = new Registrations(ds);
    this.participations = new Participations(ds);
    this.calls = new CallRegistry(this.participations, events);
    this.signalling = new Signalling(drachtio, log.child({ component: 'drachtio' }));
    this.media = new MediaServerPool(this.signalling.srf, config.freeswitch, {
      callbackAddress: config.media.callbackAddress,
      log: log.child({ component: 'freeswitch' }),
    });
    this.relays = config.rtpengine.length ? new RtpEnginePool(config.rtpengine, { log: log.child({ component: 'rtpengine' }) }) : null;
    // Ten failures in ten minutes shut an address out for half an hour: room systems retry slowly.
    this.auth = new SipAuthenticator(ds, config.sip.domain, new FailureLimiter({ maxFailures: 10, windowMs: 10 * 60_000, blockMs: 30 * 60_000 }));

    const srf = this.signalling.srf;
    srf.register(registerHandler({ auth: this.auth, registrations: this.registrations, log }));
    srf.invite(
      inviteHandler({
        srf,
        ds,
        auth: this.auth,
        calls: this.calls,
        media: this.media,
        participations: this.participations,
        policy: { ...config.admission, timeZone: config.timeZone },
        conferenceProfile: config.media.conferenceProfile,
        collectPin,
        log,
        accepting: () => this.#accepting,
        relays: this.relays,
        joinTokenSecret: config.joinTokenSecret ?? null,
        ...(options.countSetup && { countSetup: options.countSetup }),
      }),
    );
    srf.options((_req, res) => res.send(200, 'OK', { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER' } }));

    this.live = new LiveControl(this.calls, this.media);
    const outbound = {
      srf,
      media: this.media,
      calls: this.calls,
      participations: this.participations,
      conferenceProfile: config.media.conferenceProfile,
      sipDomain: config.sip.domain,
      ringTimeoutMs: config.dialOut.ringTimeoutMs,
      log,
    };
    this.dialer = new Dialer(
      { ds, calls: this.calls, registrations: this.registrations, events, place: (target, room) => placeCall(outbound, target, room), log },
      { policy: options.retryPolicy ?? defaultRetryPolicy, concurrency: config.dialOut.concurrency, redialDropped: config.dialOut.redialDropped },
    );
    events.subscribe('*', (e) => {
      if (e.type === 'participant.left') this.dialer.callEnded(e.meetingId, e.siteId, e.reason);
    });
  }

  /** What the scheduler asks of SIP at each point of a meeting's life. */
  readonly lifecycle: MeetingLifecycle = {
    live: async (meeting) => {
      if (meeting.dialOut) await this.dialer.start(meeting);
    },
    ending: async (meeting) => {
      const file = promptPath(this.config.media.soundsDir, meeting.language, 'meeting-ending');
      if (this.calls.inMeeting(meeting.id).length) await this.live.announce(meeting.id, file);
    },
    ended: async (meeting) => {
      this.dialer.stop(meeting.id);
      await this.live.endCalls(meeting.id);
      this.calls.setLocked(meeting.id, false);
    },
    readiness: async (meeting) => {
      const sites: { id: string; sip_uri: string | null }[] = await this.ds.query(
        `SELECT s.id, s.sip_uri FROM meeting_site ms JOIN site s ON s.id = ms.site_id WHERE ms.meeting_id = $1 AND s.enabled`,
        [meeting.id],
      );
      await Promise.all(
        sites.map(async (site) => {
          const [binding] = await this.registrations.current(site.id);
          const target = binding?.contact ?? site.sip_uri;
          const result = target
            ? await pingSite(this.signalling.srf, target, 5000)
            : { reachable: false, latencyMs: null, status: null, detail: 'no SIP address and not registered' };
          await this.ds.query(
            `INSERT INTO readiness_check (meeting_id, site_id, target, reachable, latency_ms, sip_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [meeting.id, site.id, target ?? '', result.reachable, result.latencyMs, result.status, result.detail],
          );
          this.events.publish(meeting.id, { type: 'readiness', siteId: site.id, reachable: result.reachable, latencyMs: result.latencyMs, sipStatus: result.status });
        }),
      );
    },
  };

  /** Closes what a previous process left open, then connects; does not wait for the servers to answer. */
  async start(): Promise<void> {
    const dangling = await this.participations.closeDangling(this.media.serverIds);
    if (dangling) this.log.warn({ participations: dangling }, 'closed participations left open by a previous run');
    // Calls a previous process left in a conference are taken over as each media server comes up.
    this.media.on('up', (serverId: string) => {
      recoverServer(serverId, { ds: this.ds, media: this.media, calls: this.calls, participations: this.participations, log: this.log })
        .then((r) => (r.adopted || r.closed) && this.log.info({ mediaServer: serverId, ...r }, 'calls from before the restart reconciled'))
        .catch((err: Error) => this.log.error({ err, mediaServer: serverId }, 'recovering calls failed'));
    });
    this.media.start();
    await this.relays?.start();
    this.signalling.connect().catch((err: Error) => this.log.warn({ err: err.message }, 'drachtio-server not reachable yet; still trying'));
    this.#timers.push(
      setInterval(() => {
        const ids = this.calls.all().flatMap((c) => (c.participationId ? [c.participationId] : []));
        this.participations.heartbeat(ids).catch((err: Error) => this.log.warn({ err: err.message }, 'participation heartbeat failed'));
      }, HEARTBEAT_MS),
      setInterval(() => {
        checkAdopted({ media: this.media, calls: this.calls }).catch((err: Error) => this.log.warn({ err: err.message }, 'checking taken-over calls failed'));
      }, ADOPTED_CHECK_MS),
      setInterval(() => {
        this.registrations.sweep().catch((err: Error) => this.log.warn({ err: err.message }, 'registration sweep failed'));
      }, SWEEP_MS),
    );
    for (const t of this.#timers) t.unref();
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
      'drachtio-server': this.signalling.state,
      ...(this.config.freeswitch.length ? this.media.states() : { freeswitch: 'not configured' }),
      ...(this.relays ? this.relays.states() : { rtpengine: 'not configured' }),
    };
  }

  /** New INVITEs get 503 with Retry-After from now on (the first step of a graceful stop). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /**
   * Stops taking calls and disconnects. `leave-running` (a restart) leaves every call in its
   * FreeSWITCH conference for the next process to take over; `hang-up` ends them. Stopping twice is
   * a no-op.
   */
  async stop(calls: 'leave-running' | 'hang-up' = 'hang-up'): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#accepting = false;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.dialer.close();
    if (calls === 'hang-up') await Promise.all(this.calls.all().map((c) => c.close('shutdown')));
    this.media.close();
    this.relays?.close();
    this.signalling.close();
  }
}
