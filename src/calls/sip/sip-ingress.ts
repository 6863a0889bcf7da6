import { FailureLimiter } from '../../access/failure-limiter';
import type { Registrations } from '../../directory/registrations';
import type { InFlight } from '../in-flight';
import type { Logger } from '../../log';
import type { ReadinessResult } from '../../meetings/readiness-checks';
import type { DependencyState } from '../../observability/dependency-state';
import type { Placer } from '../dial-out/dial';
import type { CallEngine } from '../engine';
import { inviteHandler, type PinCollector } from './invite-handler';
import { pingSite } from './options-ping';
import { placeCall } from './outbound-call';
import { registerHandler } from './register-handler';
import type { Signalling } from './signalling';
import type { BfcpEndpoint } from './room-content';
import { SipAuthenticator } from './sip-authenticator';
import type { SiteCredentials } from '../../directory/site-credentials';

const SWEEP_MS = 60_000;
const PING_TIMEOUT_MS = 5000;

export interface SipIngressOptions {
  /** SIP_DOMAIN: the rooms' domain and the digest realm. */
  domain: string;
  ringTimeoutMs: number;
  /** HMAC secret of the join tokens browser guests present in X-Join-Token; null = no browser guests. */
  joinTokenSecret: string | null;
  collectPin: PinCollector;
  /** The BFCP floor control server room systems present through; null: BFCP lines are refused. */
  bfcp: BfcpEndpoint | null;
  /** Told the final status of every INVITE (metrics). */
  countSetup?: (status: number) => void;
  /** Where the sites' SIP credentials are read (kept in memory while the change feed is live). */
  credentials: SiteCredentials;
  /** Call set-ups in flight across the bridge (`DIAL_CONCURRENCY`), shared with the dialer. */
  setups: InFlight;
}

/**
 * SIP into and out of the call engine, over the drachtio-server connection: the registrar, the INVITE
 * path (room systems and browsers), OPTIONS, and the placer and pinger the dialer and the readiness
 * sweep use.
 */
export class SipIngress {
  readonly auth: SipAuthenticator;
  readonly place: Placer;
  #accepting = true;
  #sweep: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(
    private readonly signalling: Signalling,
    engine: CallEngine,
    private readonly registrations: Registrations,
    options: SipIngressOptions,
    private readonly log: Logger,
  ) {
    // Ten failures in ten minutes shut an address out for half an hour: room systems retry slowly.
    this.auth = new SipAuthenticator(options.credentials, options.domain, new FailureLimiter({ maxFailures: 10, windowMs: 10 * 60_000, blockMs: 30 * 60_000 }));
    const srf = signalling.srf;
    srf.register(registerHandler({ auth: this.auth, registrations, log }));
    srf.invite(
      inviteHandler({
        srf,
        lookups: engine.lookups,
        auth: this.auth,
        calls: engine.calls,
        placement: engine.placement,
        participations: engine.participations,
        policy: engine.policy,
        conferenceProfile: engine.conferenceProfile,
        collectPin: options.collectPin,
        log,
        accepting: () => this.#accepting,
        relays: engine.relays,
        joinTokenSecret: options.joinTokenSecret,
        content: { hub: engine.content, bfcp: options.bfcp },
        setups: options.setups,
        ...(options.countSetup && { countSetup: options.countSetup }),
      }),
    );
    srf.options((_req, res) => res.send(200, 'OK', { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER' } }));
    const outbound = {
      srf,
      placement: engine.placement,
      calls: engine.calls,
      participations: engine.participations,
      conferenceProfile: engine.conferenceProfile,
      sipDomain: options.domain,
      ringTimeoutMs: options.ringTimeoutMs,
      log,
      content: { hub: engine.content, bfcp: options.bfcp },
      setups: options.setups,
    };
    this.place = (target, room) => placeCall(outbound, target, room);
  }

  /** SIP OPTIONS to a room system (the readiness sweep). */
  ping(uri: string): Promise<ReadinessResult> {
    return pingSite(this.signalling.srf, uri, PING_TIMEOUT_MS);
  }

  get state(): DependencyState {
    return this.signalling.state;
  }

  /** Connects to drachtio-server (without waiting for it) and sweeps expired registrations. */
  start(): void {
    this.signalling.connect().catch((err: Error) => this.log.warn({ err: err.message }, 'drachtio-server not reachable yet; still trying'));
    this.#sweep = setInterval(() => {
      this.registrations.sweep().catch((err: Error) => this.log.warn({ err: err.message }, 'registration sweep failed'));
    }, SWEEP_MS);
    this.#sweep.unref();
  }

  /** New INVITEs get 503 with Retry-After from now on (the first step of a graceful stop). */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /** Stops taking calls and disconnects from drachtio-server; stopping twice is a no-op. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#accepting = false;
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = null;
    this.signalling.close();
  }
}
