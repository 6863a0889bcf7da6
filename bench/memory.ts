import { cliActor } from '../src/audit/audit';
import { MeetingBook } from '../src/meetings/meeting-book';
import { waitFor } from '../test/support/stack';
import { APP_DOMAIN, startApp, type AppProcess } from './lib/app-process';
import { benchScenario, requireBinaries, runMain, sleep, startPostgres, Teardown } from './lib/harness';
import { printMachine } from './lib/machine';
import { CpuMeter, findPid, rssMiB } from './lib/proc';
import { createBenchSites, registerCsv } from './lib/sites';
import { runLoad, startLoad } from './lib/sipp-load';
import { fmt, table } from './lib/stats';

/**
 * Memory of the real `diemcau serve` process (VmRSS from /proc) as it takes on BENCH_SITES (1000)
 * registered sites, then BENCH_PARTICIPANTS (200) callers in one meeting, in batches of
 * BENCH_BATCH (50) sipp dial-ins held open; with drachtio-server's and FreeSWITCH's RSS and CPU
 * beside it. Each level is sampled after the calls settle. Where a level cannot be reached the
 * table says so and the per-participant cost is fitted from the levels that were.
 */

const hour = 3600_000;

interface Level {
  what: string;
  participants: number;
  app: number;
  heapUsed: number;
  drachtio: number;
  freeswitch: number;
  cpu: Record<string, number>;
}

/** Mean RSS over a few samples, and the CPU use in that window. */
async function sample(app: AppProcess, pids: Record<string, number>, what: string, participants: number): Promise<Level> {
  const meter = new CpuMeter(pids);
  meter.begin();
  const acc = { app: 0, drachtio: 0, freeswitch: 0 };
  const n = 6;
  for (let i = 0; i < n; i++) {
    acc.app += rssMiB(app.pid) / n;
    acc.drachtio += rssMiB(pids['drachtio']!) / n;
    acc.freeswitch += rssMiB(app.fs.pid) / n;
    await sleep(500);
  }
  return { what, participants, ...acc, heapUsed: await heapUsed(app), cpu: meter.end() };
}

/** nodejs_heap_size_used_bytes from /metrics, in MiB, when the app serves it. */
async function heapUsed(app: AppProcess): Promise<number> {
  try {
    const res = await fetch(`${app.base}/metrics`);
    if (res.status !== 200) return NaN;
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)/m.exec(await res.text());
    return m ? Number(m[1]) / 2 ** 20 : NaN;
  } catch {
    return NaN;
  }
}

async function main(): Promise<void> {
  requireBinaries('memory bench', { drachtio: true, freeswitch: true, sipp: true });
  const sites = Number(process.env['BENCH_SITES'] ?? 1000);
  const target = Number(process.env['BENCH_PARTICIPANTS'] ?? 200);
  const batch = Number(process.env['BENCH_BATCH'] ?? 50);
  printMachine('memory');
  const down = new Teardown();
  const levels: Level[] = [];
  let shortfall = '';
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const app = await startApp({ ROOM_CAPACITY: '1000' });
    down.add('app', () => app.stop());
    const pids = { app: app.pid, drachtio: findPid('drachtio', `--port ${app.drachtio.adminPort}`) ?? NaN, freeswitch: app.fs.pid };
    console.log(`app pid ${app.pid}, conference profile: the app's default (CONFERENCE_PROFILE unset)\n`);
    levels.push(await sample(app, pids, 'started, empty directory', 0));

    await createBenchSites(app.ds, APP_DOMAIN, sites);
    levels.push(await sample(app, pids, `${sites} sites in the directory`, 0));

    const reg = await runLoad({
      scenario: benchScenario('register'),
      target: app.sipTarget,
      rate: 200,
      calls: sites,
      csvRows: registerCsv(sites),
      keys: { domain: APP_DOMAIN, expires: '3600' },
      timeoutMs: 120_000,
    });
    const [b] = await app.ds.query(`SELECT count(DISTINCT site_id)::int AS n FROM registration WHERE expires_at > now()`);
    console.log(`REGISTER: ${reg.successful}/${sites} ok; ${b.n} sites registered`);
    levels.push(await sample(app, pids, `${b.n} sites registered`, 0));

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
    const openRows = async () =>
      (await app.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [meeting.id]))[0].n as number;
    for (let have = 0; have < target; ) {
      const n = Math.min(batch, target - have);
      const callers = await startLoad({
        scenario: benchScenario('uac-call'),
        target: app.sipTarget,
        service: '2001',
        rate: 10,
        calls: n,
        pauseMs: 900_000,
        timeoutMs: 1_200_000,
      });
      down.add('callers', () => callers.stop());
      const ok = await waitFor(`${have + n} participants`, async () => ((await openRows()) >= have + n ? true : undefined), 60_000, 500).then(
        () => true,
        () => false,
      );
      have = await openRows();
      await sleep(3000);
      levels.push(await sample(app, pids, `${have} participants (+ ${b.n} registered)`, have));
      console.log(`  ${have} participants: app ${fmt(levels.at(-1)!.app, 1)} MiB, FreeSWITCH CPU ${fmt(levels.at(-1)!.cpu['freeswitch'])}%`);
      if (!ok) {
        shortfall = `only ${have} of ${target} participants could be held (the batch of ${n} did not complete within 60 s)`;
        break;
      }
    }
  } finally {
    await down.run();
  }
  report(levels, shortfall, target);
}

function report(levels: Level[], shortfall: string, target: number): void {
  console.log('\n## Memory\n');
  console.log(
    table(
      ['state', 'app RSS MiB', 'app heap used MiB', 'drachtio RSS MiB', 'FreeSWITCH RSS MiB', 'CPU (% of a core)'],
      levels.map((l) => [
        l.what,
        fmt(l.app, 1),
        fmt(l.heapUsed, 1),
        fmt(l.drachtio, 1),
        fmt(l.freeswitch, 1),
        Object.entries(l.cpu)
          .map(([k, v]) => `${k} ${fmt(v)}%`)
          .join(', '),
      ]),
    ),
  );
  // least squares over the participant levels: MiB per participant
  const pts = levels.filter((l) => l.participants > 0 || l.what.includes('registered'));
  if (pts.length >= 2) {
    const mx = pts.reduce((a, l) => a + l.participants, 0) / pts.length;
    const my = pts.reduce((a, l) => a + l.app, 0) / pts.length;
    const slope = pts.reduce((a, l) => a + (l.participants - mx) * (l.app - my), 0) / pts.reduce((a, l) => a + (l.participants - mx) ** 2, 0);
    console.log(
      `\napp RSS per participant (least squares over ${pts.length} levels): ${fmt(slope * 1024, 0)} KiB; at ${target}: ${fmt(my + slope * (target - mx), 1)} MiB`,
    );
  }
  if (shortfall) console.log(`\nNOTE: ${shortfall}; the figure at ${target} above is extrapolated.`);
}

runMain(main);
