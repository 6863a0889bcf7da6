import { ApiKeys } from '../src/access/api-keys';
import { cliActor } from '../src/audit/audit';
import { MeetingBook } from '../src/meetings/meeting-book';
import { waitFor } from '../test/support/stack';
import { APP_DOMAIN, startApp } from './lib/app-process';
import { benchScenario, requireBinaries, runMain, sleep, startPostgres, Teardown } from './lib/harness';
import { printMachine, toolVersion } from './lib/machine';
import { CpuMeter, findPid } from './lib/proc';
import { createBenchSites } from './lib/sites';
import { startLoad } from './lib/sipp-load';
import { fmt, table } from './lib/stats';
import { runWrk, WRK, type WrkResult } from './lib/wrk';

/**
 * The REST API under load: the real `diemcau serve` process with BENCH_SITES sites (1000) in its
 * directory and a live meeting with BENCH_PARTICIPANTS callers (50, sipp dial-ins), hit by wrk with a
 * viewer key: as fast as it answers, and the default page of sites also paced at about 1,000 req/s.
 * Env: BENCH_WRK_SECONDS (10), BENCH_WRK_CONNECTIONS (32), BENCH_WRK_THREADS (2),
 * BENCH_APP_LOG_LEVEL (info, as deployed), BENCH_ENDPOINTS (comma-separated parts of the rows' names: run
 * only those), BENCH_APP_NODE_ARGS (node's flags for the app, e.g. to profile it).
 */

const hour = 3600_000;

async function main(): Promise<void> {
  requireBinaries('API load bench', { drachtio: true, freeswitch: true, sipp: true });
  if (!WRK) {
    console.log('skip: API load bench: wrk not found (apt-get install wrk)');
    process.exit(2);
  }
  const sites = Number(process.env['BENCH_SITES'] ?? 1000);
  const participants = Number(process.env['BENCH_PARTICIPANTS'] ?? 50);
  const wrk = {
    seconds: Number(process.env['BENCH_WRK_SECONDS'] ?? 10),
    connections: Number(process.env['BENCH_WRK_CONNECTIONS'] ?? 32),
    threads: Number(process.env['BENCH_WRK_THREADS'] ?? 2),
  };
  printMachine('API load', { wrk: toolVersion('wrk'), PostgreSQL: toolVersion('postgres') });
  const down = new Teardown();
  const rows: { name: string; r: WrkResult; cpu: Record<string, number> }[] = [];
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const app = await startApp({ ROOM_CAPACITY: '1000', LOG_LEVEL: process.env['BENCH_APP_LOG_LEVEL'] ?? 'info' });
    down.add('app', () => app.stop());
    await createBenchSites(app.ds, APP_DOMAIN, sites);
    const token = (await new ApiKeys(app.ds).issue('bench', 'viewer', cliActor)).token;
    const start = new Date(Date.now() - hour);
    const { meeting } = await new MeetingBook(app.ds, { min: 2000, max: 2999 }).create(
      {
        title: 'Bench',
        roomNumber: 2001,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 4 * hour).toISOString(),
        invitedSites: [],
        dialOut: false,
        allowGuests: true,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    const callers = await startLoad({
      scenario: benchScenario('uac-call'),
      target: app.sipTarget,
      service: '2001',
      rate: 20,
      calls: participants,
      pauseMs: 600_000,
      timeoutMs: 900_000,
    });
    down.add('callers', () => callers.stop());
    const participantsUrl = `${app.base}/api/v1/meetings/${meeting.id}/participants`;
    const roster = async () =>
      ((await (await fetch(participantsUrl, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: unknown[] }).items.length;
    await waitFor(`${participants} participants in the roster`, async () => ((await roster()) >= participants ? true : undefined), 60_000, 500);
    console.log(
      `${sites} sites, ${await roster()} participants in room 2001; wrk ${wrk.threads} threads, ${wrk.connections} connections, ${wrk.seconds} s per endpoint\n`,
    );

    const pgPort = new URL(pg.adminUrl).port;
    const pids = { app: app.pid, postgres: findPid('postgres', `-p ${pgPort}`) ?? NaN };
    const endpoints: [string, string, number?][] = [
      ['GET /sites (default page, 50)', `${app.base}/api/v1/sites`],
      ['GET /sites (default page, 50) at ≈ 1,000 req/s', `${app.base}/api/v1/sites`, 1000],
      ['GET /sites?limit=500', `${app.base}/api/v1/sites?limit=500`],
      ['GET /sites?q=xa thu 12 (search)', `${app.base}/api/v1/sites?q=xa%20thu%2012`],
      [`GET /meetings/{id}/participants (${participants})`, participantsUrl],
      ['GET /healthz (no auth, no DB)', `${app.base}/healthz`],
    ];
    const only = process.env['BENCH_ENDPOINTS'];
    for (const [name, url, rate] of endpoints.filter(([name]) => !only || only.split(',').some((part) => name.includes(part)))) {
      await runWrk(url, { token, seconds: 2, connections: wrk.connections, threads: wrk.threads }); // warm-up
      const meter = new CpuMeter(pids);
      meter.begin();
      const r = await runWrk(url, { token, ...wrk, ...(rate && { rate }) });
      const cpu = meter.end();
      rows.push({ name, r, cpu });
      console.log(`  ${name}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ${r.errors} errors`);
      await sleep(1000);
    }
  } finally {
    await down.run();
  }
  console.log('\n## API under load\n');
  console.log(
    table(
      ['endpoint', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'CPU (% of a core)'],
      rows.map(({ name, r, cpu }) => [
        name,
        fmt(r.rps),
        fmt(r.p50, 2),
        fmt(r.p90, 2),
        fmt(r.p99, 2),
        fmt(r.errors),
        Object.entries(cpu)
          .map(([k, v]) => `${k} ${fmt(v)}%`)
          .join(', '),
      ]),
    ),
  );
}

runMain(main);
