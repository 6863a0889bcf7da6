import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { MeetingEventBody } from '../src/meetings/meeting-events';
import { buildConsole } from '../src/web-build/build';
import { CHROMIUM } from '../test/web/chromium';
import { repoRoot, runMain, sleep, track } from './lib/harness';
import type { Memory, ServerReady, ServerRequest } from './lib/live-server';
import { printMachine } from './lib/machine';
import { fmt, percentile, ratio, table } from './lib/stats';

/**
 * The console's live page receiving a big meeting's events: the real API (bench/lib/live-server.ts,
 * its own process) with a live meeting of BENCH_SITES (300) invited sites, the built console open on
 * its live page in headless Chromium, and events published through the server's MeetingEvents as the
 * call side would: every site joining, then BENCH_TALKING (2,000) talking changes, BENCH_BATCH (10)
 * events every BENCH_EVERY_MS (10) ms.
 *
 * In the page, per event: from the EventSource listener being called to the end of the microtask
 * Preact renders in (the DOM is updated; style, layout and paint are not in it), and to the next
 * animation frame (what a person can see; events that arrive together share a frame). Long tasks
 * (> 50 ms) are counted. In the server: heap after a full GC and RSS, with the page's stream alone
 * and with BENCH_STREAMS (20) streams, and whether they grow over a burst.
 *
 * BENCH_BEFORE=<commit> also builds that commit's console and runs the same events through it
 * first, for a before/after ratio in one run.
 */

const SITES = Number(process.env['BENCH_SITES'] ?? 300);
const TALKING = Number(process.env['BENCH_TALKING'] ?? 2000);
const STREAMS = Number(process.env['BENCH_STREAMS'] ?? 20);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 10);
const EVERY_MS = Number(process.env['BENCH_EVERY_MS'] ?? 10);

/** Installed before the console's script: times every stream event the page handles. */
const INSTRUMENT = `(() => {
  const marks = { commit: [], frame: [], longTasks: 0, longTaskMs: 0 };
  window.__live = marks;
  new PerformanceObserver((l) => { for (const e of l.getEntries()) { marks.longTasks++; marks.longTaskMs += e.duration; } }).observe({ type: 'longtask' });
  const add = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (type, listener, options) {
    if (type === 'hello' || typeof listener !== 'function') return add.call(this, type, listener, options);
    return add.call(this, type, function (e) {
      const t0 = performance.now();
      listener.call(this, e);
      // Preact renders in a microtask queued by the listener: this one runs after it.
      queueMicrotask(() => marks.commit.push(performance.now() - t0));
      requestAnimationFrame(() => marks.frame.push(performance.now() - t0));
    }, options);
  };
})();`;

interface PageMarks {
  commit: number[];
  frame: number[];
  longTasks: number;
  longTaskMs: number;
}

interface Server {
  ready: ServerReady;
  ask<T>(req: ServerRequest, answer: string): Promise<T>;
  child: ChildProcess;
}

async function startServer(consoleDir: string): Promise<Server> {
  const child = track(
    fork(join(__dirname, 'lib', 'live-server.js'), [], { env: { ...process.env, CONSOLE_DIR: consoleDir, SITES: String(SITES) }, execArgv: ['--expose-gc'] }),
  );
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ServerReady));
    child.once('exit', (code) => reject(new Error(`the bench server exited (${code})`)));
  });
  const ask = <T>(req: ServerRequest, answer: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { kind: string }) => {
        if (m.kind !== answer) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      child.send(req);
    });
  return { ready, ask, child };
}

const joins = (r: ServerReady): MeetingEventBody[] =>
  r.siteIds.map((siteId, i) => ({
    type: 'participant.joined',
    participant: { id: `p-${i + 1}`, name: `Xã ${i + 1}`, siteId, protocol: 'sip', direction: 'out', moderator: i === 0 },
  }));

/** Talking changes as a meeting has them: a few people at a time start and stop. */
const talking = (count: number): MeetingEventBody[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'participant.talking', participantId: `p-${((i * 7919) % SITES) + 1}`, talking: i % 2 === 0 }));

async function openLivePage(browser: Browser, s: Server): Promise<Page> {
  // The console's CSP forbids eval, which the bench's waits and reads use.
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, bypassCSP: true });
  const signIn = await context.request.post(`${s.ready.base}/api/v1/session`, { data: s.ready.operator });
  if (signIn.status() !== 201) throw new Error(await signIn.text());
  const page = await context.newPage();
  await page.addInitScript(INSTRUMENT);
  await page.goto(`${s.ready.base}/console#meetings/${s.ready.meetingId}/live`);
  await page.waitForFunction(`document.querySelectorAll('.tiles > li').length === ${SITES}`, undefined, { timeout: 60_000 });
  await sleep(500);
  return page;
}

/** Publishes the events and waits until the page has handled each; the page's marks for them. */
async function burst(s: Server, page: Page, events: MeetingEventBody[]): Promise<{ marks: PageMarks; peak: Memory; seconds: number }> {
  await page.evaluate('window.__live.commit = []; window.__live.frame = []; window.__live.longTasks = 0; window.__live.longTaskMs = 0');
  const t0 = Date.now();
  const { peak } = await s.ask<{ peak: Memory }>({ kind: 'publish', events, batch: BATCH, everyMs: EVERY_MS }, 'published');
  await page.waitForFunction(`window.__live.frame.length >= ${events.length}`, undefined, { timeout: 120_000 });
  const seconds = (Date.now() - t0) / 1000;
  return { marks: await page.evaluate<PageMarks>('window.__live'), peak, seconds };
}

/** Streams opened by a script with a viewer key, read and thrown away. */
function extraStreams(s: Server, n: number): AbortController {
  const stop = new AbortController();
  for (let i = 0; i < n; i++) {
    void fetch(`${s.ready.base}/api/v1/meetings/${s.ready.meetingId}/events`, {
      headers: { authorization: `Bearer ${s.ready.viewerKey}` },
      signal: stop.signal,
    })
      .then(async (res) => {
        for await (const _ of res.body!) {
          // read and forget, as a client keeping up does
        }
      })
      .catch(() => undefined);
  }
  return stop;
}

const MiB = (bytes: number) => bytes / 2 ** 20;

interface Run {
  name: string;
  joins: { marks: PageMarks; seconds: number };
  talking: { marks: PageMarks; seconds: number };
  memory?: { one: Memory; many: Memory; manyAfter: Memory; peak: Memory };
}

async function runConsole(browser: Browser, name: string, consoleDir: string, measureMemory: boolean): Promise<Run> {
  const s = await startServer(consoleDir);
  try {
    const page = await openLivePage(browser, s);
    const j = await burst(s, page, joins(s.ready));
    const t = await burst(s, page, talking(TALKING));
    const run: Run = { name, joins: j, talking: t };
    if (measureMemory) {
      const one = (await s.ask<{ memory: Memory }>({ kind: 'memory', gc: true }, 'memory')).memory;
      const stop = extraStreams(s, STREAMS - 1);
      await sleep(1000);
      const many = (await s.ask<{ memory: Memory }>({ kind: 'memory', gc: true }, 'memory')).memory;
      const again = await burst(s, page, talking(TALKING));
      const manyAfter = (await s.ask<{ memory: Memory }>({ kind: 'memory', gc: true }, 'memory')).memory;
      stop.abort();
      run.memory = { one, many, manyAfter, peak: again.peak };
    }
    await page.context().close();
    return run;
  } finally {
    s.child.send({ kind: 'stop' } satisfies ServerRequest);
    await new Promise((r) => s.child.once('exit', r));
  }
}

const row = (name: string, what: string, b: { marks: PageMarks; seconds: number }) => [
  name,
  what,
  fmt(b.marks.commit.length),
  fmt(percentile(b.marks.commit, 50), 2),
  fmt(percentile(b.marks.commit, 95), 2),
  fmt(Math.max(...b.marks.commit), 1),
  fmt(percentile(b.marks.frame, 50), 1),
  fmt(percentile(b.marks.frame, 95), 1),
  fmt(Math.max(...b.marks.frame), 1),
  `${b.marks.longTasks} / ${fmt(b.marks.longTaskMs)} ms`,
  fmt(b.seconds, 1),
];

async function main(): Promise<void> {
  const before = process.env['BENCH_BEFORE'];
  printMachine('console live page', { Chromium: execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim() });
  console.log(`${SITES} invited sites; ${SITES} joins, then ${TALKING} talking changes; ${BATCH} events every ${EVERY_MS} ms\n`);
  const dirs: string[] = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
  const runs: Run[] = [];
  try {
    if (before) {
      // That commit's console sources, built beside this one (its imports resolve in this node_modules).
      const src = await mkdtemp(join(repoRoot(), 'dist', 'bench-before-'));
      dirs.push(src);
      execFileSync('sh', ['-c', `git archive ${before} src/console | tar -x -C ${src}`], { cwd: repoRoot() });
      const built = await buildConsole({ sourceDir: join(src, 'src', 'console'), outDir: join(src, 'out') });
      runs.push(await runConsole(browser, `before (${before.slice(0, 7)})`, built.outDir, false));
    }
    const out = await mkdtemp(join(tmpdir(), 'diemcau-console-'));
    dirs.push(out);
    const built = await buildConsole({ outDir: out });
    runs.push(await runConsole(browser, 'this build', built.outDir, true));
  } finally {
    await browser.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }

  console.log('## Time per update in the page (ms)\n');
  console.log(
    table(
      ['console', 'events', 'n', 'DOM p50', 'DOM p95', 'DOM max', 'frame p50', 'frame p95', 'frame max', 'long tasks', 'burst s'],
      runs.flatMap((r) => [row(r.name, 'joins', r.joins), row(r.name, 'talking', r.talking)]),
    ),
  );
  if (runs.length === 2) {
    const [b, a] = runs as [Run, Run];
    console.log(
      `\nbefore / after, DOM p50: joins ${ratio(percentile(b.joins.marks.commit, 50), percentile(a.joins.marks.commit, 50))}, talking ${ratio(percentile(b.talking.marks.commit, 50), percentile(a.talking.marks.commit, 50))}; p95: joins ${ratio(percentile(b.joins.marks.commit, 95), percentile(a.joins.marks.commit, 95))}, talking ${ratio(percentile(b.talking.marks.commit, 95), percentile(a.talking.marks.commit, 95))}`,
    );
  }
  const m = runs.at(-1)!.memory!;
  console.log('\n## Memory of the server (MiB; heap after a full GC)\n');
  console.log(
    table(
      ['streams', 'heap used', 'RSS'],
      [
        ['1 (the page)', fmt(MiB(m.one.heapUsed), 1), fmt(MiB(m.one.rss), 1)],
        [`${STREAMS}`, fmt(MiB(m.many.heapUsed), 1), fmt(MiB(m.many.rss), 1)],
        [`${STREAMS}, after ${TALKING} more events`, fmt(MiB(m.manyAfter.heapUsed), 1), fmt(MiB(m.manyAfter.rss), 1)],
        [`${STREAMS}, peak during those events (no GC)`, fmt(MiB(m.peak.heapUsed), 1), fmt(MiB(m.peak.rss), 1)],
      ],
    ),
  );
  console.log(
    `\nper stream: heap ${fmt((m.many.heapUsed - m.one.heapUsed) / (STREAMS - 1) / 1024, 1)} KiB, RSS ${fmt((m.many.rss - m.one.rss) / (STREAMS - 1) / 1024, 0)} KiB; over the burst: heap ${fmt(MiB(m.manyAfter.heapUsed - m.many.heapUsed), 2)} MiB`,
  );
}

runMain(main);
