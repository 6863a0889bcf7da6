import { BfcpServer } from '../bfcp/server';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/env';
import type { ChangeFeed } from '../db/change-feed';
import { Registrations } from '../directory/registrations';
import { SiteCredentials } from '../directory/site-credentials';
import type { Logger } from '../log';
import { MediaServerPool } from '../media/freeswitch/media-servers';
import { RtpEnginePool } from '../media/rtpengine';
import { DialAttempts } from '../meetings/dial-attempts';
import { Invitations } from '../meetings/invitations';
import type { MeetingEvents } from '../meetings/meeting-events';
import { ReadinessChecks } from '../meetings/readiness-checks';
import type { MeetingLifecycle } from '../meetings/scheduler';
import type { DependencyState } from '../observability/dependency-state';
import { Dialer } from './dial-out/dialer';
import { defaultRetryPolicy, type RetryPolicy } from './dial-out/retry-policy';
import { CallEngine } from './engine';
import { startH323Gateway, type H323Gateway } from './h323/gateway';
import { callLifecycle } from './meeting-lifecycle';
import { Recorder } from './recorder';
import type { RecordingStore } from '../recordings/recording-store';
import type { PinCollector } from './sip/invite-handler';
import { SipIngress } from './sip/sip-ingress';
import { InFlight } from './in-flight';
import { dialogById } from './sip/dialog-by-id';
import { Signalling } from './sip/signalling';

/** The call side of the bridge, as the composition root wires it. */
export interface CallStack {
  engine: CallEngine;
  sip: SipIngress;
  /** Null when H323_HOST is not set. */
  h323: H323Gateway | null;
  dialer: Dialer;
  /** Records meetings into RECORDINGS_DIR. */
  recorder: Recorder;
  lifecycle: MeetingLifecycle;
  /** drachtio-server, each FreeSWITCH and each rtpengine, for /readyz. */
  states(): Record<string, DependencyState>;
  /** New INVITEs get 503 from now on (the first step of a graceful stop). */
  stopAccepting(): void;
  /**
   * Stops dialling and taking calls, then disconnects. `leave-running` (a restart) leaves every call in
   * its FreeSWITCH conference for the next process to take over; `hang-up` ends them. Twice is a no-op.
   */
  stop(calls: 'leave-running' | 'hang-up'): Promise<void>;
}

export interface StartCallsOptions {
  collectPin: PinCollector;
  /** Where recordings are registered (RECORDINGS_DIR). */
  recordings: RecordingStore;
  retryPolicy?: RetryPolicy;
  countSetup?: (status: number) => void;
  /** Tells the SIP credentials held in memory when a site changes; absent: every REGISTER reads the directory. */
  changes?: ChangeFeed;
}

/**
 * Builds the call side once, in dependency order: drachtio-server's connection (FreeSWITCH's
 * drachtio-fsmrf legs run over it), the media servers and relays, the call engine, the SIP and H.323
 * ingresses over it, and the dialer with both placers. Returns once the engine has reconciled what a
 * previous process left and every listener is up; drachtio-server and FreeSWITCH connect in the
 * background (reconnecting with backoff).
 */
export async function startCalls(
  ds: DataSource,
  config: Config,
  drachtio: NonNullable<Config['sip']['drachtio']>,
  events: MeetingEvents,
  log: Logger,
  options: StartCallsOptions,
): Promise<CallStack> {
  const signalling = new Signalling(drachtio, log.child({ component: 'drachtio' }));
  const media = new MediaServerPool(signalling.srf, config.freeswitch, {
    callbackAddress: config.media.callbackAddress,
    healthIntervalMs: config.media.healthIntervalMs,
    log: log.child({ component: 'freeswitch' }),
  });
  const relays = config.rtpengine.length ? new RtpEnginePool(config.rtpengine, { log: log.child({ component: 'rtpengine' }) }) : null;
  const engine = new CallEngine({
    ds,
    events,
    media,
    relays,
    policy: { ...config.admission, timeZone: config.timeZone },
    conferenceProfile: config.media.conferenceProfile,
    secondaryProfile: config.media.secondaryProfile,
    sipDialog: (id) => dialogById(signalling.srf, id),
    qualityIntervalMs: config.media.qualityIntervalMs,
    maxMembersPerServer: config.media.maxMembersPerServer,
    regions: config.media.regions,
    changes: options.changes ?? null,
    log,
  });
  const recorder = new Recorder(
    engine.calls,
    media,
    options.recordings,
    events,
    { soundsDir: config.media.soundsDir, minFreeBytes: config.recordings.minFreeBytes },
    log.child({ component: 'recorder' }),
  );
  // Before the engine starts: a media server may come up (and its recordings be taken over) at once.
  media.on('up', (serverId: string) => {
    recorder.adopt(serverId).catch((err: unknown) => log.error({ err, serverId }, 'recordings not taken over'));
  });
  const registrations = new Registrations(ds);
  const credentials = new SiteCredentials(ds, options.changes ?? null);
  const bfcp = config.bfcp
    ? await BfcpServer.start({ host: config.bfcp.host, udpPort: config.bfcp.port, tcpPort: config.bfcp.port, log: log.child({ component: 'bfcp' }) })
    : null;
  // Dial-out attempts, calls back and calls moving off a lost node share one limit.
  const setups = new InFlight(config.dialOut.concurrency);
  const sip = new SipIngress(
    signalling,
    engine,
    registrations,
    {
      domain: config.sip.domain,
      ringTimeoutMs: config.dialOut.ringTimeoutMs,
      joinTokenSecret: config.joinTokenSecret ?? null,
      collectPin: options.collectPin,
      bfcp: bfcp && config.bfcp ? { server: bfcp, address: config.bfcp.advertised } : null,
      ...(options.countSetup && { countSetup: options.countSetup }),
      credentials,
      setups,
    },
    log,
  );
  await engine.start();
  // After the engine's own handler: placement has moved the meetings when the recorder looks.
  media.on('down', (serverId: string) => {
    recorder.serverLost(serverId).catch((err: unknown) => log.error({ err, serverId }, 'recordings not moved'));
  });
  sip.start();
  const h323 = config.h323 ? await startH323Gateway(ds, config.h323, engine, { ringTimeoutMs: config.dialOut.ringTimeoutMs }, log) : null;
  const invitations = new Invitations(ds);
  const dialer = new Dialer(
    { calls: engine.calls, registrations, sites: engine.lookups, meetings: engine.lookups, invitations, attempts: new DialAttempts(ds), events, log },
    { sip: sip.place, ...(h323 && { h323: h323.place }) },
    { policy: options.retryPolicy ?? defaultRetryPolicy, setups, redialDropped: config.dialOut.redialDropped },
  );
  const unsubscribe = events.subscribe('*', (e) => {
    if (e.type === 'participant.left') dialer.callEnded(e.meetingId, e.siteId, e.reason);
  });
  const lifecycle = callLifecycle({
    engine,
    dialer,
    recorder,
    registrations,
    invitations,
    readiness: new ReadinessChecks(ds),
    ping: (uri) => sip.ping(uri),
    soundsDir: config.media.soundsDir,
  });
  let stopping: Promise<void> | null = null;
  return {
    engine,
    sip,
    h323,
    dialer,
    recorder,
    lifecycle,
    states: () => ({ 'drachtio-server': sip.state, ...engine.states() }),
    stopAccepting: () => sip.stopAccepting(),
    stop(calls) {
      stopping ??= (async () => {
        sip.stopAccepting();
        unsubscribe();
        recorder.close();
        dialer.close();
        await h323?.close();
        // Hanging up needs drachtio-server still connected (BYEs): the engine goes first.
        await engine.stop(calls);
        await bfcp?.close();
        sip.stop();
        credentials.close();
      })();
      return stopping;
    },
  };
}
