import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Srf from 'drachtio-srf';
import type { DataSource } from 'typeorm';
import type { RetryPolicy } from '../../src/calls/dial-out/retry-policy';
import { startCalls, type CallStack } from '../../src/calls/start-calls';
import { ChangeFeed } from '../../src/db/change-feed';
import { createDataSource } from '../../src/db/data-source';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { MeetingEvents } from '../../src/meetings/meeting-events';
import type { Meeting } from '../../src/meetings/meeting.entity';
import type { MeetingCreate } from '../../src/meetings/meeting.schema';
import type { PinCollector } from '../../src/calls/sip/invite-handler';
import { loadConfig, type Config } from '../../src/config/env';
import { createLogger, silentLogger, type Logger } from '../../src/log';
import { RecordingStore } from '../../src/recordings/recording-store';
import { migratedDataSource } from './db';
import { connectSrf, freePort, startDrachtio, startFreeswitch, waitFor, type DrachtioOptions, type DrachtioServer, type FreeswitchServer } from './stack';

export const BRIDGE_DOMAIN = 'bridge.test';
const HOUR_MS = 3_600_000;

/**
 * The real bridge for SIP tests: drachtio-server and FreeSWITCH started with the project's config,
 * a migrated PostgreSQL database, and the call side of src/ (startCalls, as `diemcau serve` wires it)
 * connected to both.
 */
export interface TestBridge {
  ds: DataSource;
  config: Config;
  calls: CallStack;
  /** RECORDINGS_DIR (a new temporary directory unless the env names one): FreeSWITCH and the bridge share this host. */
  recordings: RecordingStore;
  log: Logger;
  /** The bridge's cache notifications, as `diemcau serve` has them: a SiteDirectory given it drops the HA1 cache at once. */
  changes: ChangeFeed;
  drachtio: DrachtioServer;
  fs: FreeswitchServer;
  /** DATABASE_URL: a second bridge may be started on it. */
  databaseUrl: string;
  /** `127.0.0.1:<port>` of the bridge's SIP listener. */
  target: string;
  /**
   * Stops the call side leaving its calls in FreeSWITCH, as `diemcau serve` does on SIGTERM, and
   * starts a new one on the same servers and database, as the next start would.
   */
  restart(): Promise<void>;
  /** Open FreeSWITCH channels (drachtio-fsmrf's own control legs included). */
  channels(): Promise<number>;
  /** The meeting events the call side published (every meeting's, through restarts). */
  events: MeetingEvents;
  stop(): Promise<void>;
}

async function openDataSource(url: string): Promise<{ ds: DataSource; url: string }> {
  const { ds } = createDataSource({ url });
  await ds.initialize();
  return { ds, url };
}

export async function startBridge(
  opts: {
    collectPin?: PinCollector;
    env?: Record<string, string>;
    freeswitch?: FreeswitchServer;
    /** More FreeSWITCH nodes after the first (the test's own: it stops them). */
    moreFreeswitches?: FreeswitchServer[];
    retryPolicy?: RetryPolicy;
    /** A migrated database another bridge serves: a second diemcau process on the same PostgreSQL. */
    databaseUrl?: string;
    /** drachtio-server's --loglevel (info, as sip/drachtio.conf.xml has it); the benches set both sides alike. */
    drachtioLoglevel?: DrachtioOptions['loglevel'];
  } = {},
): Promise<TestBridge> {
  const { ds, url } = opts.databaseUrl ? await openDataSource(opts.databaseUrl) : await migratedDataSource();
  const drachtio = await startDrachtio(opts.drachtioLoglevel ? { loglevel: opts.drachtioLoglevel } : {});
  const fs = opts.freeswitch ?? (await startFreeswitch());
  const ownRecordings = await mkdtemp(join(tmpdir(), 'diemcau-recordings-'));
  const config = loadConfig({
    DATABASE_URL: url,
    SIP_DOMAIN: BRIDGE_DOMAIN,
    DRACHTIO_HOST: drachtio.host,
    DRACHTIO_PORT: String(drachtio.adminPort),
    DRACHTIO_SECRET: drachtio.secret,
    FREESWITCH_SERVERS: [fs, ...(opts.moreFreeswitches ?? [])].map((f) => `${f.host}:${f.eslPort}:${f.eslPassword}`).join(','),
    FREESWITCH_CALLBACK_ADDRESS: '127.0.0.1',
    RECORDINGS_DIR: ownRecordings,
    ...opts.env,
  });
  const recordings = new RecordingStore(ds, config.recordings.dir);
  await recordings.prepare();
  const log = process.env['TEST_LOG_LEVEL'] ? createLogger({ level: process.env['TEST_LOG_LEVEL'] as 'info', format: 'json' }) : silentLogger;
  const changes = new ChangeFeed(ds, log);
  await changes.start();
  const events = new MeetingEvents();
  const newService = async () => {
    const service = await startCalls(ds, config, config.sip.drachtio!, events, log, {
      collectPin: opts.collectPin ?? (async () => 'failed'),
      recordings,
      changes,
      ...(opts.retryPolicy && { retryPolicy: opts.retryPolicy }),
    });
    await waitFor(
      'the bridge to connect to drachtio-server and FreeSWITCH',
      async () => {
        const s = service.states();
        return Object.values(s).every((v) => v === 'up' || v === 'not configured') ? true : undefined;
      },
      20_000,
    );
    return service;
  };
  let calls = await newService();
  const channels = async () => Number((await fs.fsCli('show channels count')).match(/(\d+) total/)?.[1] ?? NaN);
  return {
    ds,
    config,
    get calls() {
      return calls;
    },
    recordings,
    log,
    changes,
    drachtio,
    fs,
    databaseUrl: url,
    target: `127.0.0.1:${drachtio.sipPort}`,
    channels,
    events,
    async restart() {
      await calls.stop('leave-running');
      calls = await newService();
    },
    async stop() {
      await calls.stop('hang-up');
      await changes.close();
      await ds.destroy();
      await drachtio.stop();
      if (!opts.freeswitch) await fs.stop();
      await rm(ownRecordings, { recursive: true, force: true });
    },
  };
}

/** Bridge settings for an H.323 gateway on free loopback ports (call signalling and RAS). */
export async function h323Env(): Promise<Record<string, string>> {
  return { H323_HOST: '127.0.0.1', H323_PORT: String(await freePort()), RAS_PORT: String(await freePort({ udp: true })) };
}

/**
 * A second drachtio-server with an app on it, acting as callers (a UAC of our own, with real SIP)
 * or as room systems the bridge calls (`srf.invite` handlers, reached at `target`).
 */
export async function startCaller(): Promise<{ srf: Srf; target: string; stop(): Promise<void> }> {
  const drachtio = await startDrachtio();
  const srf = new Srf();
  await connectSrf(srf, drachtio);
  return {
    srf,
    target: `127.0.0.1:${drachtio.sipPort}`,
    async stop() {
      srf.disconnect();
      await drachtio.stop();
    },
  };
}

/** A booking of `roomNumber` that is live now (started an hour ago, three hours long), made as the CLI would. */
export async function bookLiveMeeting(
  bridge: Pick<TestBridge, 'ds' | 'config'>,
  o: { title: string; roomNumber: number; sites: string[]; dialOut?: boolean } & Partial<Pick<MeetingCreate, 'contentPolicy' | 'allowGuests' | 'record'>>,
): Promise<Meeting> {
  const start = new Date(Date.now() - HOUR_MS);
  const { meeting } = await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
    {
      title: o.title,
      roomNumber: o.roomNumber,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3 * HOUR_MS).toISOString(),
      invitedSites: o.sites,
      dialOut: o.dialOut ?? false,
      allowGuests: o.allowGuests ?? false,
      mode: 'discussion',
      language: 'vi',
      record: o.record ?? false,
      ...(o.contentPolicy && { contentPolicy: o.contentPolicy }),
    },
    cliActor,
  );
  return meeting;
}

/** A SIP directory site that dials in with digest credentials (`code` / `mat-khau-<code>`). */
export async function addDialInSite(bridge: Pick<TestBridge, 'ds'>, code: string): Promise<void> {
  await new SiteDirectory(bridge.ds, BRIDGE_DOMAIN).create(
    { code, name: code, protocol: 'sip', sipUsername: code, sipPassword: `mat-khau-${code}`, allowedNetworks: [], enabled: true },
    cliActor,
  );
}
