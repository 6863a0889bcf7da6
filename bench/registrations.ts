import { BRIDGE_DOMAIN, startBridge } from '../test/support/bridge';
import { startDrachtio } from '../test/support/stack';
import { loadDigestAuth, startBareRegistrar } from './bare-registrar-app';
import { benchDrachtioLoglevel, requireBinaries, runMain, sideBySide, sleep, startPostgres, Teardown } from './lib/harness';
import { KAMAILIO, startKamailio } from './lib/kamailio';
import { printMachine, toolVersion } from './lib/machine';
import { findPid } from './lib/proc';
import { bestRegisterStep, notCarried, rampRegisters, startRamp, T1_MS, type RegisterStep, type RegisterTarget } from './lib/register-ramp';
import { benchPassword, benchUser, createBenchSites, registerCsv } from './lib/sites';
import { fmt, ratio, table } from './lib/stats';

/**
 * REGISTER with digest authentication at rising rates, sipp cycling through BENCH_USERS users
 * (default 1000), against: Kamailio (bench/kamailio.cfg), the bare drachtio-srf registrar
 * (bare-registrar-app.ts, stock drachtio-mw-digest-auth), and diemcau's registrar (bindings in
 * PostgreSQL). Every user registers once before the ramp (BENCH_REG_WARMUP=0: not), so the ramp
 * times refreshes. Kamailio runs alone first; the bare registrar and diemcau then run side by side,
 * their steps alternating at each rate. Env: BENCH_REG_RATES, BENCH_STEP_SECONDS (5), BENCH_USERS, BENCH_TARGETS
 * (kamailio,bare,diemcau).
 */

async function main(): Promise<void> {
  requireBinaries('registration bench', { drachtio: true, freeswitch: true, sipp: true });
  const rates = (process.env['BENCH_REG_RATES'] ?? '250,500,750,1000,2000,4000,8000,16000,24000,32000').split(',').map(Number);
  const stepSeconds = Number(process.env['BENCH_STEP_SECONDS'] ?? 5);
  const users = Number(process.env['BENCH_USERS'] ?? 1000);
  const only = (process.env['BENCH_TARGETS'] ?? 'kamailio,bare,diemcau').split(',');
  printMachine('registrations', { kamailio: toolVersion('kamailio') });
  console.log(`${users} users, rates ${rates.join(', ')} REGISTER/s (each: REGISTER, 401, REGISTER with credentials, 200), ${stepSeconds} s each\n`);

  const csvRows = registerCsv(users);
  const opts = { rates, stepSeconds, warmUp: process.env['BENCH_REG_WARMUP'] !== '0' };
  const log = (s: string) => console.log(s);
  const results = new Map<string, RegisterStep[]>();
  const skipped: string[] = [];
  const down = new Teardown();
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());

    if (only.includes('kamailio')) {
      if (!KAMAILIO) skipped.push('kamailio: not installed (apt-get install kamailio)');
      else {
        const kam = await startKamailio(users);
        const t: RegisterTarget = { name: 'kamailio', target: `127.0.0.1:${kam.port}`, domain: BRIDGE_DOMAIN, csvRows, pids: { kamailio: kam.pid } };
        results.set(t.name, await rampRegisters(t, opts, log));
        await kam.stop();
      }
    }

    // bare and diemcau both up, their steps alternating at each rate (sideBySide).
    const ramps: { name: string; step: (rate: number) => Promise<RegisterStep> }[] = [];
    const after: (() => Promise<void>)[] = [];
    if (only.includes('bare')) {
      if (!loadDigestAuth()) skipped.push('bare: drachtio-mw-digest-auth not installed (npm install --no-save drachtio-mw-digest-auth@0.3.3)');
      else {
        const drachtio = await startDrachtio({ loglevel: benchDrachtioLoglevel });
        down.add('bare drachtio', () => drachtio.stop());
        const passwords = new Map(Array.from({ length: users }, (_, i) => [benchUser(i + 1), benchPassword(i + 1)]));
        const app = await startBareRegistrar(drachtio, BRIDGE_DOMAIN, passwords);
        down.add('bare app', async () => app.stop());
        const pids = { node: 'self' as const, drachtio: findPid('drachtio', `--port ${drachtio.adminPort}`) ?? NaN };
        const t = { name: 'bare', target: `127.0.0.1:${drachtio.sipPort}`, domain: BRIDGE_DOMAIN, csvRows, pids };
        ramps.push({ name: 'bare', step: pausedAfter(await startRamp(t, opts, log)) });
        after.push(async () => log(`  bare: ${app.bindings()} bindings`));
      }
    }

    if (only.includes('diemcau')) {
      const bridge = await startBridge({ drachtioLoglevel: benchDrachtioLoglevel });
      down.add('bridge', () => bridge.stop());
      const t0 = Date.now();
      await createBenchSites(bridge.ds, BRIDGE_DOMAIN, users);
      log(`  diemcau: ${users} sites created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const pgPort = new URL(pg.adminUrl).port;
      const pids = {
        node: 'self' as const,
        drachtio: findPid('drachtio', `--port ${bridge.drachtio.adminPort}`) ?? NaN,
        postgres: findPid('postgres', `-p ${pgPort}`) ?? NaN,
      };
      const t = { name: 'diemcau', target: bridge.target, domain: BRIDGE_DOMAIN, csvRows, pids };
      ramps.push({ name: 'diemcau', step: pausedAfter(await startRamp(t, opts, log)) });
      after.push(async () => {
        const [row] = await bridge.ds.query(`SELECT count(*)::int AS n, count(DISTINCT site_id)::int AS sites FROM registration`);
        log(
          `  diemcau: ${row.n} bindings for ${row.sites} sites; 127.0.0.1 ${bridge.calls.sip.auth.blocked('127.0.0.1') ? 'IS BLOCKED by the failure limiter' : 'not blocked'}`,
        );
      });
    }

    await sideBySide(ramps, rates, (step) => notCarried(step) !== undefined, results);
    for (const a of after) await a();
  } finally {
    await down.run();
  }
  report(results, skipped);
}

function report(results: Map<string, RegisterStep[]>, skipped: string[]): void {
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
        fmt(s.achieved),
        fmt(s.p50, 1),
        fmt(s.p99, 1),
        fmt(s.authP99, 1),
        s.source,
        `${s.sipps} × ${fmt(s.sippCpu)}%`,
        cpu,
      ]);
    }
  }
  console.log(
    table(['registrar', 'offered/s', 'ok', 'achieved/s', 'p50 ms', 'p99 ms', 'p99 auth leg ms', 'timing', 'sipp procs × CPU', 'CPU (% of a core)'], rows),
  );
  console.log('\n## Summary\n');
  const best = new Map([...results].map(([n, s]) => [n, bestRegisterStep(s)]));
  console.log(`carried = no failure, ≥ 95% of the offered rate done, p99 ≤ T1 (${T1_MS} ms)\n`);
  console.log(
    table(
      ['registrar', 'REGISTER/s carried', 'p50 / p99 there', 'first rate not carried'],
      [...results].map(([n, steps]) => {
        const b = best.get(n);
        const bad = steps.find((s) => notCarried(s));
        return [
          n,
          b ? fmt(b.rate) : 'none',
          b ? `${fmt(b.p50, 1)} / ${fmt(b.p99, 1)} ms` : '–',
          bad ? `${fmt(bad.rate)}: ${notCarried(bad)}` : 'none up to the top rate',
        ];
      }),
    ),
  );
  const d = best.get('diemcau');
  if (d) {
    console.log('');
    console.log(
      table(
        ['ratio', 'sustained rate'],
        ['bare', 'kamailio'].filter((o) => best.get(o)).map((o) => [`diemcau / ${o}`, ratio(d.rate, best.get(o)!.rate, 3)]),
      ),
    );
  }
  for (const s of skipped) console.log(`skipped ${s}`);
}

runMain(main);

/** A step, then a second's rest before the next one (either registrar's). */
function pausedAfter(step: (rate: number) => Promise<RegisterStep>): (rate: number) => Promise<RegisterStep> {
  return async (rate) => {
    const s = await step(rate);
    await sleep(1000);
    return s;
  };
}
