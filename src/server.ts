import type { Server } from 'node:http';
import { apiAuthLimiter, openContext, version } from './app-context';
import { ConfigError, type Config } from './config/env';
import { ActiveLock } from './db/active-lock';
import { createApp } from './api/app';
import { createHttpServer } from './api/http-server';
import { joinPinLimiter } from './api/join';
import type { DependencyState } from './observability/dependency-state';
import type { Logger } from './log';
import { startCalls } from './calls/start-calls';
import { collectPin } from './calls/steps/collect-pin';
import { MeetingDocuments } from './documents/documents';
import { openDocumentStore } from './documents/open-store';
import { MeetingEvents } from './meetings/meeting-events';
import { meetingOperations, noMediaLifecycle } from './meetings/operations';
import { Scheduler } from './meetings/scheduler';
import { WebhookSender } from './meetings/webhooks';
import { Metrics } from './observability/metrics';
import { RecordingStore } from './recordings/recording-store';

const SIP_DRAIN_MS = 1500;
const SESSION_SWEEP_MS = 10 * 60_000;
const RETENTION_SWEEP_MS = 60 * 60_000;
/** A file FreeSWITCH has not written for this long is no longer being recorded. */
const RECORDING_QUIET_MS = 60_000;

/**
 * `diemcau serve`: database first (migrated), then HTTP. Resolves once a termination signal has
 * drained everything.
 */
export async function serve(config: Config, log: Logger): Promise<void> {
  // A library promise nobody awaits (drachtio-fsmrf's endpoint timeout destroys its dialog without
  // catching the rejection) must not take every live meeting down with the process.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection (ignored)'));
  // With calls on a shared database, one process is active and the others wait (src/db/active-lock.ts).
  let lock: ActiveLock | null = null;
  if ('url' in config.database && config.sip.drachtio) {
    const standby = new AbortController();
    const giveUp = () => standby.abort();
    process.once('SIGTERM', giveUp).once('SIGINT', giveUp);
    lock = await ActiveLock.acquire(config.database.url, log, standby.signal);
    process.off('SIGTERM', giveUp).off('SIGINT', giveUp);
    if (!lock) {
      log.info('stopped (standby)');
      return;
    }
  }
  let requestStop: ((why: string) => void) | null = null;
  let lockLost = false;
  lock?.onLost((err) => {
    // Another process may take the calls over now: this one must stop carrying them at once.
    log.error({ err: err.message }, 'lost the active lock: stopping, calls left running for the process that takes over');
    lockLost = true;
    process.exitCode = 1;
    requestStop?.('active lock lost');
  });
  const ctx = await openContext(config, log, { migrate: true });
  const events = new MeetingEvents();
  const recordings = new RecordingStore(ctx.ds, config.recordings.dir);
  try {
    await recordings.prepare();
  } catch (err) {
    await ctx.close();
    throw new ConfigError([`RECORDINGS_DIR: ${config.recordings.dir} cannot be written (${(err as Error).message})`]);
  }
  const metrics = new Metrics(ctx.ds, events, recordings);
  const calls = config.sip.drachtio
    ? await startCalls(ctx.ds, config, config.sip.drachtio, events, log, {
        collectPin: (endpoint, meeting, signal) =>
          collectPin(endpoint, { soundsRoot: config.media.soundsDir, language: meeting.language, expected: meeting.pin ?? '', signal }),
        countSetup: (status) => metrics.callSetups.inc({ status: String(status) }),
        recordings,
        changes: ctx.changes,
      })
    : null;
  if (calls) metrics.observe(calls.engine);
  // Rows left open by a previous process: taken over while FreeSWITCH still writes their file (the
  // recorder, as each media server connects), completed from the disk once it stopped.
  const sweepRecordings = () =>
    recordings
      .finishDangling(RECORDING_QUIET_MS, calls?.recorder.owned())
      .then((done) => {
        if (done.length) log.warn({ recordings: done.map((r) => r.id) }, 'recordings left open by a previous process completed from what is on disk');
      })
      .catch((err: unknown) => log.warn({ err }, 'recording sweep failed'));
  await sweepRecordings();
  const recordingSweep = setInterval(() => void sweepRecordings(), RECORDING_QUIET_MS);
  recordingSweep.unref();
  const lifecycle = calls?.lifecycle ?? noMediaLifecycle;
  const scheduler = new Scheduler(
    ctx.ds,
    lifecycle,
    events,
    {
      ...config.schedule,
      tickMs: 5000,
      housekeeping: {
        everyMs: RETENTION_SWEEP_MS,
        run: async (now) => {
          const gone = await recordings.removeExpired(now, config.recordings.retentionDays);
          if (gone.length) log.info({ recordings: gone.map((r) => r.id), retentionDays: config.recordings.retentionDays }, 'expired recordings deleted');
        },
      },
    },
    log.child({ component: 'scheduler' }),
  );
  scheduler.start();
  const webhooks = config.webhook ? new WebhookSender(events, config.webhook, log.child({ component: 'webhooks' })) : null;
  let shuttingDown = false;
  const readiness = async (): Promise<Record<string, DependencyState>> => {
    if (shuttingDown) return { bridge: 'down' };
    let database: DependencyState = 'up';
    try {
      await ctx.ds.query('SELECT 1');
    } catch {
      database = 'down';
    }
    return { database, ...(calls ? calls.states() : { 'drachtio-server': 'not configured' }) };
  };
  const app = createApp(
    {
      ds: ctx.ds,
      sites: ctx.sites,
      meetings: ctx.meetings,
      keys: ctx.keys,
      authFailures: apiAuthLimiter(),
      accounts: ctx.accounts,
      trustProxy: config.http.trustProxy,
      sipDomain: config.sip.domain,
      timeZone: config.timeZone,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      h323Enabled: !!config.h323,
      log,
      readiness,
      join: {
        ds: ctx.ds,
        sipDomain: config.sip.domain,
        openBeforeMs: config.admission.openBeforeMs,
        ...(config.joinTokenSecret ? { tokenSecret: config.joinTokenSecret } : {}),
        wsServers: config.browserJoin.wsServers,
        iceServers: config.browserJoin.iceServers,
        pinFailures: joinPinLimiter(),
      },
      documents: { book: new MeetingDocuments(ctx.ds, openDocumentStore(config.documents.store), events), maxBytes: config.documents.maxBytes },
      events,
      metrics,
      live: calls ? { control: calls.engine.live, dialer: calls.dialer } : null,
      ...(calls && { content: calls.engine.content }),
      recordings: { store: recordings, recorder: calls?.recorder ?? null },
      ...meetingOperations(ctx.meetings, lifecycle, events, scheduler),
    },
    version,
  );
  // Ended sessions are deleted as their tokens are presented; this takes those never presented again.
  const sweep = setInterval(() => {
    ctx.accounts.sessions.sweep().catch((err: unknown) => log.warn({ err }, 'session sweep failed'));
  }, SESSION_SWEEP_MS);
  sweep.unref();
  const server = createHttpServer(app);
  await listen(server, config.http.host, config.http.port);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  log.info(
    { host: config.http.host, port, database: 'url' in config.database ? 'server' : 'embedded', version },
    `diemcau listening on http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (shuttingDown) return;
      log.info({ signal }, 'shutting down: no new calls; live meetings stay up in FreeSWITCH for the next start');
      process.off('SIGTERM', stop).off('SIGINT', stop);
      shuttingDown = true;
      calls?.stopAccepting();
      server.close(() => resolve());
      server.closeIdleConnections();
      // Event streams never end by themselves: give requests a moment to finish, then cut the rest.
      setTimeout(() => server.closeAllConnections(), 5000).unref();
    };
    process.on('SIGTERM', stop).on('SIGINT', stop);
    requestStop = stop;
    if (lockLost) stop('active lock lost');
  });
  // INVITEs already on their way still reach us and get their 503 before drachtio loses us.
  if (calls) await new Promise((r) => setTimeout(r, SIP_DRAIN_MS));
  clearInterval(sweep);
  clearInterval(recordingSweep);
  await scheduler.stop();
  webhooks?.close();
  await calls?.stop('leave-running');
  await lock?.release();
  await ctx.close();
  log.info('stopped');
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
