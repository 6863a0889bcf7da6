import { cliActor } from '../src/audit/audit';
import { MeetingBook } from '../src/meetings/meeting-book';
import { startBridge } from '../test/support/bridge';
import { startDrachtio, startFreeswitch, waitFor } from '../test/support/stack';
import { startBareConferenceApp } from './bare-conference-app';
import { callStep, rampCalls, sustained, T1_MS, type RampTarget, type StepResult } from './lib/call-ramp';
import { BENCH_EXTENSION, benchFreeswitchConfig, freeswitchLimits } from './lib/freeswitch-config';
import { benchDrachtioLoglevel, requireBinaries, runMain, sideBySide, startPostgres, Teardown } from './lib/harness';
import { printMachine } from './lib/machine';
import { findPid } from './lib/proc';
import { fmt, ratio, table } from './lib/stats';

/**
 * Call setup at a rising call rate, the same sipp UAC against three targets on one FreeSWITCH:
 *   freeswitch — sipp straight to a conference extension (no app at all),
 *   bare       — drachtio-server + the few-line drachtio-fsmrf app of bare-conference-app.ts,
 *   diemcau    — drachtio-server + diemcau's call side as `serve` wires it (startCalls: routing, admission, DB rows per call).
 * Env: BENCH_RATES (default 1,10,25,50,75,100,125,150), BENCH_STEP_SECONDS (8), BENCH_HOLD_MS (1000),
 * BENCH_CONFERENCE_PROFILE (diemcau-audio), BENCH_TARGETS (freeswitch,bare,diemcau). FreeSWITCH alone
 * runs first; bare and diemcau then run side by side, their steps alternating at each rate.
 */

const hour = 3600_000;

async function main(): Promise<void> {
  requireBinaries('call-setup bench', { drachtio: true, freeswitch: true, sipp: true });
  const rates = (process.env['BENCH_RATES'] ?? '1,10,25,50,75,100,125,150').split(',').map(Number);
  const stepSeconds = Number(process.env['BENCH_STEP_SECONDS'] ?? 8);
  const holdMs = Number(process.env['BENCH_HOLD_MS'] ?? 1000);
  const profile = process.env['BENCH_CONFERENCE_PROFILE'] ?? 'diemcau-audio';
  const only = (process.env['BENCH_TARGETS'] ?? 'freeswitch,bare,diemcau').split(',');
  printMachine('call setup');
  const limits = freeswitchLimits();
  console.log(`FreeSWITCH sessions-per-second ${limits.sps}, max-sessions ${limits.maxSessions} (dialplans/freeswitch/autoload_configs/switch.conf.xml)`);
  console.log(`rates ${rates.join(', ')} calls/s, ${stepSeconds} s each, calls held ${holdMs} ms; conference profile ${profile}\n`);

  const down = new Teardown();
  const results = new Map<string, StepResult[]>();
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const conf = benchFreeswitchConfig(profile);
    down.add('fs config', () => conf.remove());
    const fs = await startFreeswitch({ configDir: conf.dir });
    down.add('freeswitch', () => fs.stop());
    const channels = async () => Number((await fs.fsCli('show channels count')).match(/(\d+) total/)?.[1] ?? NaN);
    const opts = { rates, stepSeconds, holdMs };
    const log = (s: string) => console.log(s);

    if (only.includes('freeswitch')) {
      const t: RampTarget = { name: 'freeswitch', target: `127.0.0.1:${fs.sipPort}`, service: BENCH_EXTENSION, pids: { freeswitch: fs.pid }, channels };
      results.set(t.name, await rampCalls(t, opts, log));
    }

    // bare and diemcau both up on the one FreeSWITCH, their steps alternating at each rate (sideBySide).
    const targets: RampTarget[] = [];
    const after: (() => Promise<void>)[] = [];
    if (only.includes('bare')) {
      const drachtio = await startDrachtio({ loglevel: benchDrachtioLoglevel });
      down.add('bare drachtio', () => drachtio.stop());
      const app = await startBareConferenceApp(drachtio, fs, profile);
      down.add('bare app', () => app.stop());
      const pids = { node: 'self' as const, drachtio: findPid('drachtio', `--port ${drachtio.adminPort}`) ?? NaN, freeswitch: fs.pid };
      targets.push({ name: 'bare', target: `127.0.0.1:${drachtio.sipPort}`, service: BENCH_EXTENSION, pids, channels });
      after.push(async () => log(`  bare app: ${app.counts().joined} joined, ${app.counts().failed} failed`));
    }

    if (only.includes('diemcau')) {
      // A room far larger than any step holds: the bench measures setup, not the capacity rule.
      const bridge = await startBridge({
        freeswitch: fs,
        drachtioLoglevel: benchDrachtioLoglevel,
        env: { CONFERENCE_PROFILE: profile, ROOM_CAPACITY: '1000' },
      });
      down.add('bridge', () => bridge.stop());
      const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
      const start = new Date(Date.now() - hour);
      await book.create(
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
      const pids = { node: 'self' as const, drachtio: findPid('drachtio', `--port ${bridge.drachtio.adminPort}`) ?? NaN, freeswitch: fs.pid };
      targets.push({ name: 'diemcau', target: bridge.target, service: '2001', pids, channels });
      after.push(async () => {
        // After an overload some calls were never ACKed by sipp: give the bridge time to notice (ACK timeout).
        const open = async () => (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE left_at IS NULL`))[0].n as number;
        const settled = await waitFor(
          'open participations to close',
          async () => ((await open()) === 0 && bridge.calls.engine.calls.all().length === 0 ? true : undefined),
          60_000,
          500,
        ).then(
          () => true,
          () => false,
        );
        const [row] = await bridge.ds.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE left_at IS NULL)::int AS open FROM participation`);
        log(
          `  diemcau: ${row.n} participations recorded; ${settled ? 'all closed' : `${row.open} STILL OPEN after 60 s, ${bridge.calls.engine.calls.all().length} calls in the registry, ${await channels()} FreeSWITCH channels`}`,
        );
      });
    }

    const steps = targets.map((t) => ({ name: t.name, step: (rate: number) => callStep(t, opts, rate, log) }));
    await sideBySide(steps, rates, (step) => step.failed > 0, results);
    for (const a of after) await a();
  } finally {
    await down.run();
  }
  report(results);
}

function report(results: Map<string, StepResult[]>): void {
  console.log('\n## Every step\n');
  const rows: string[][] = [];
  for (const [name, steps] of results) {
    for (const s of steps) {
      const cpu = Object.entries(s.cpu)
        .map(([k, v]) => `${k} ${fmt(v)}%`)
        .join(', ');
      rows.push([
        name,
        fmt(s.rate),
        `${s.ok}/${s.calls}`,
        fmt(s.achieved, 1),
        fmt(s.p50, 1),
        fmt(s.p90, 1),
        fmt(s.p99, 1),
        fmt(s.max, 1),
        `${fmt(s.channels.mean, 1)} / ${s.channels.max}`,
        cpu,
      ]);
    }
  }
  console.log(table(['target', 'calls/s', 'ok', 'achieved/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'FS channels mean / max', 'CPU (% of a core)'], rows));

  console.log('\n## Summary\n');
  const best = new Map([...results].map(([n, steps]) => [n, sustained(steps)]));
  const first = new Map([...results].map(([n, steps]) => [n, steps[0]]));
  console.log(
    table(
      [
        'target',
        `sustained calls/s (0 failed, p99 ≤ ${T1_MS} ms)`,
        'first failing rate',
        `p50 / p99 at ${results.values().next().value?.[0]?.rate ?? '?'}/s`,
        'p50 / p99 at sustained',
      ],
      [...results].map(([n, steps]) => {
        const b = best.get(n);
        const f = first.get(n);
        const failing = steps.find((s) => s.failed > 0);
        return [
          n,
          b ? fmt(b.rate) : 'none',
          failing ? `${fmt(failing.rate)} (${failing.failed} failed)` : 'none up to the top rate',
          f ? `${fmt(f.p50, 1)} / ${fmt(f.p99, 1)} ms` : '–',
          b ? `${fmt(b.p50, 1)} / ${fmt(b.p99, 1)} ms` : '–',
        ];
      }),
    ),
  );
  const d = best.get('diemcau');
  const lines: string[][] = [];
  for (const other of ['bare', 'freeswitch']) {
    const o = best.get(other);
    const df = first.get('diemcau');
    const of = first.get(other);
    if (!d || !o) continue;
    lines.push([`diemcau / ${other}`, ratio(d.rate, o.rate), ratio(df?.p50, of?.p50), ratio(df?.p99, of?.p99)]);
  }
  if (lines.length) {
    console.log('');
    console.log(table(['ratio', 'sustained rate', 'p50 at the first rate', 'p99 at the first rate'], lines));
  }
}

runMain(main);
