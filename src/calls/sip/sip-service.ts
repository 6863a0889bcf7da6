import type { DataSource } from 'typeorm';
import { FailureLimiter } from '../../access/failure-limiter';
import type { DependencyState } from '../../api/deps';
import type { Config } from '../../config/env';
import { Registrations } from '../../directory/registrations';
import type { Logger } from '../../log';
import { MediaServerPool } from '../../media/freeswitch/media-servers';
import { MeetingEvents } from '../../meetings/meeting-events';
import { HEARTBEAT_MS, Participations } from '../../meetings/participations';
import { CallRegistry } from '../call-registry';
import { inviteHandler, type PinCollector } from './invite-handler';
import { registerHandler } from './register-handler';
import { Signalling } from './signalling';
import { SipAuthenticator } from './sip-authenticator';

const SWEEP_MS = 60_000;

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
  #accepting = true;
  #timers: NodeJS.Timeout[] = [];
  #stopped = false;

  constructor(
    ds: DataSource,
    private readonly config: Config,
    drachtio: NonNullable<Config['sip']['drachtio']>,
    private readonly log: Logger,
    collectPin: PinCollector,
    readonly events: MeetingEvents = new MeetingEvents(),
  ) {
    this.registrations = new Registrations(ds);
    this.participations = new Participations(ds);
    this.calls = new CallRegistry(this.participations, events);
    this.signalling = new Signalling(drachtio, log.child({ component: 'drachtio' }));
    this.media = new MediaServerPool(this.signalling.srf, config.freeswitch, {
      callbackAddress: config.media.callbackAddress,
      log: log.child({ component: 'freeswitch' }),
    });
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
      }),
    );
    srf.options((_req, res) => res.send(200, 'OK', { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER' } }));
  }

  /** Closes what a previous process left open, then connects; does not wait for the servers to answer. */
  async start(): Promise<void> {
    const dangling = await this.participations.closeDangling();
    if (dangling) this.log.warn({ participations: dangling }, 'closed participations left open by a previous run');
    this.media.start();
    this.signalling.connect().catch((err: Error) => this.log.warn({ err: err.message }, 'drachtio-server not reachable yet; still trying'));
    this.#timers.push(
      setInterval(() => {
        const ids = this.calls.all().flatMap((c) => (c.participationId ? [c.participationId] : []));
        this.participations.heartbeat(ids).catch((err: Error) => this.log.warn({ err: err.message }, 'participation heartbeat failed'));
      }, HEARTBEAT_MS),
      setInterval(() => {
        this.registrations.sweep().catch((err: Error) => this.log.warn({ err: err.message }, 'registration sweep failed'));
      }, SWEEP_MS),
    );
    for (const t of this.#timers) t.unref();
  }

  states(): Record<string, DependencyState> {
    return {
      'drachtio-server': this.signalling.state,
      ...(this.config.freeswitch.length ? this.media.states() : { freeswitch: 'not configured' }),
    };
  }

  /** Stops taking calls, hangs up the ones in progress, and disconnects. Stopping twice is a no-op. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#accepting = false;
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await Promise.all(this.calls.all().map((c) => c.close('shutdown')));
    this.media.close();
    this.signalling.close();
  }
}
