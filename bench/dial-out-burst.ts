import { cliActor } from '../src/audit/audit';
import { MeetingBook } from '../src/meetings/meeting-book';
import { conferenceName } from '../src/media/freeswitch/conference';
import { BRIDGE_DOMAIN, startBridge, type TestBridge } from '../test/support/bridge';
import { waitFor } from '../test/support/stack';
import { benchScenario, requireBinaries, runMain, sleep, startPostgres, Teardown } from './lib/harness';
import { printMachine } from './lib/machine';
import { CpuMeter, findPid } from './lib/proc';
import { createBenchSites } from './lib/sites';
import { startUas, type LoadProcess } from './lib/sipp-load';
import { fmt, table } from './lib/stats';

/**
 * Dial-out burst: a meeting with N invited sites goes live (the call lifecycle's live step, as the
 * scheduler calls it); the bridge dials every site, each a sipp UAS that answers at once. Measures
 * the time from "live" until all N are in the FreeSWITCH conference (joined and recorded).
 * Env: BENCH_SITES (50,150,300), BENCH_DIAL_CONCURRENCY (10,50: DIAL_CONCURRENCY, default 10),
 * BENCH_UAS (4 sipp answering), BENCH_CONFERENCE_PROFILE (the bridge's default, diemcau-video),
 * BENCH_STEADY_SECONDS (10: FreeSWITCH's CPU measured that long with everyone in, before the meeting ends).
 */

const hour = 3600_000;
const steadySeconds = Number(process.env['BENCH_STEADY_SECONDS'] ?? 10);

interface Round {
  n: number;
  concurrency: number;
  joined: number;
  first: number;
  half: number;
  all: number | undefined;
  fsMembers: number;
  outcomes: string;
  cpu: Record<string, number>;
  /** FreeSWITCH's CPU with everyone in and nothing happening (sipp sends no media): what the members cost. */
  steadyCpu: number;
}

async function burst(bridge: TestBridge, book: MeetingBook, n: number, concurrency: number, k: number, pids: Record<string, number | 'self'>): Promise<Round> {
  const start = new Date(Date.now() - hour + k * 3 * hour); // each round its own window: sites are invited once at a time
  const { meeting } = await book.create(
    {
      title: `Burst ${n}`,
      roomNumber: 2100 + k,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 2 * hour).toISOString(),
      invitedSites: Array.from({ length: n }, (_, i) => `bench-${i + 1}`),
      dialOut: true,
      allowGuests: false,
      mode: 'discussion',
      language: 'vi',
      record: false,
    },
    cliActor,
  );
  const joinedNow = () => bridge.calls.engine.calls.inMeeting(meeting.id).filter((c) => c.participationId).length;
  const meter = new CpuMeter(pids);
  meter.begin();
  const t0 = performance.now();
  await bridge.calls.lifecycle.live(meeting);
  let first = NaN;
  let half = NaN;
  let all: number | undefined;
  const deadline = t0 + Number(process.env['BENCH_BURST_TIMEOUT_S'] ?? 120) * 1000;
  while (performance.now() < deadline) {
    const j = joinedNow();
    const at = performance.now() - t0;
    if (j >= 1 && Number.isNaN(first)) first = at;
    if (j >= n / 2 && Number.isNaN(half)) half = at;
    if (j >= n) {
      all = at;
      break;
    }
    await sleep(20);
  }
  const cpu = meter.end();
  const steady = new CpuMeter({ freeswitch: pids['freeswitch']! });
  steady.begin();
  await sleep(steadySeconds * 1000);
  const steadyCpu = steady.end()['freeswitch'] ?? NaN;
  const joined = joinedNow();
  const list = await bridge.fs.fsCli(`conference ${conferenceName(meeting.id)} list count`).catch(() => '');
  const rows: { outcome: string | null; n: number }[] = await bridge.ds.query(
    `SELECT outcome, count(*)::int AS n FROM dial_attempt WHERE meeting_id = $1 GROUP BY outcome ORDER BY outcome`,
    [meeting.id],
  );
  const outcomes = rows.map((r) => `${r.outcome ?? 'in progress'} ${r.n}`).join(', ');
  // Why attempts failed, the commonest first: a burst that does not get everyone in says where.
  const why: { outcome: string; detail: string; n: number }[] = await bridge.ds.query(
    `SELECT outcome, coalesce(detail, '') AS detail, count(*)::int AS n FROM dial_attempt
      WHERE meeting_id = $1 AND outcome IS DISTINCT FROM 'answered' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3`,
    [meeting.id],
  );
  for (const w of why) console.log(`    ${w.n} × ${w.outcome}: ${w.detail}`);
  await bridge.calls.lifecycle.ended(meeting);
  await waitFor('every channel hung up', async () => ((await bridge.channels()) === 0 ? true : undefined), 60_000, 250).catch((e: Error) =>
    console.log(`  ${e.message}`),
  );
  return { n, concurrency, joined, first, half, all, fsMembers: Number(/\d+/.exec(list)?.[0] ?? NaN), outcomes, cpu, steadyCpu };
}

async function main(): Promise<void> {
  requireBinaries('dial-out burst bench', { drachtio: true, freeswitch: true, sipp: true });
  const sizes = (process.env['BENCH_SITES'] ?? '50,150,300').split(',').map(Number);
  const concurrencies = (process.env['BENCH_DIAL_CONCURRENCY'] ?? '10,50').split(',').map(Number);
  const uasCount = Number(process.env['BENCH_UAS'] ?? 4);
  printMachine('dial-out burst');
  const down = new Teardown();
  const rounds: Round[] = [];
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const uas: LoadProcess[] = [];
    for (let i = 0; i < uasCount; i++) uas.push(await startUas({ scenario: benchScenario('uas-answer'), calls: 1_000_000, timeoutMs: 20 * 60_000 }));
    down.add('sipp UAS', () => {
      for (const u of uas) u.stop();
    });
    const max = Math.max(...sizes);
    let k = 0;
    for (const concurrency of concurrencies) {
      const profile = process.env['BENCH_CONFERENCE_PROFILE'];
      const bridge = await startBridge({
        env: { DIAL_CONCURRENCY: String(concurrency), RING_TIMEOUT_SECONDS: '30', REDIAL_DROPPED: 'false', ...(profile && { CONFERENCE_PROFILE: profile }) },
      });
      console.log(`DIAL_CONCURRENCY ${concurrency}, conference profile ${bridge.config.media.conferenceProfile}, ${uasCount} sipp UAS answering`);
      await createBenchSites(bridge.ds, BRIDGE_DOMAIN, max, (n) => ({ sipUri: `sip:bench-${n}@127.0.0.1:${uas[n % uasCount]!.port}` }));
      const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
      const pids = { node: 'self' as const, drachtio: findPid('drachtio', `--port ${bridge.drachtio.adminPort}`) ?? NaN, freeswitch: bridge.fs.pid };
      for (const n of sizes) {
        const r = await burst(bridge, book, n, concurrency, k++, pids);
        rounds.push(r);
        console.log(
          `  N=${n}: ${r.joined}/${n} joined, all in ${r.all === undefined ? 'NOT ALL' : `${fmt(r.all)} ms`} (first ${fmt(r.first)} ms, half ${fmt(r.half)} ms); FreeSWITCH members ${r.fsMembers}; attempts: ${r.outcomes}`,
        );
        await sleep(2000);
      }
      await bridge.stop();
    }
  } finally {
    await down.run();
  }
  console.log('\n## Dial-out burst\n');
  console.log(
    table(
      [
        'N sites',
        'DIAL_CONCURRENCY',
        'joined',
        'all in (s)',
        'first (ms)',
        'half (s)',
        'sites/s',
        'FS members',
        'attempt outcomes',
        'CPU (% of a core)',
        'FS CPU, all in (%)',
      ],
      rounds.map((r) => [
        fmt(r.n),
        fmt(r.concurrency),
        `${r.joined}/${r.n}`,
        r.all === undefined ? 'not all' : fmt(r.all / 1000, 2),
        fmt(r.first),
        fmt(r.half / 1000, 2),
        r.all === undefined ? '–' : fmt(r.n / (r.all / 1000), 1),
        fmt(r.fsMembers),
        r.outcomes,
        Object.entries(r.cpu)
          .map(([k, v]) => `${k} ${fmt(v)}%`)
          .join(', '),
        fmt(r.steadyCpu),
      ]),
    ),
  );
}

runMain(main);
