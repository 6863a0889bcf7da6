import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mochaHooks, testPostgres } from '../../test/support/hooks';
import { findFfmpeg } from '../../test/support/h264-peer';
import { findBinary, startFreeswitch, type DrachtioOptions, type FreeswitchServer } from '../../test/support/stack';
import { findSipp } from '../../test/support/sipp';

/**
 * What every bench script shares: the private PostgreSQL of the test harness, a registry of the
 * processes a bench started (killed on any exit), and the checks for the binaries it needs.
 */

/**
 * drachtio-server's log level for both sides of a comparison (BENCH_DRACHTIO_LOGLEVEL, default
 * notice): at info, as sip/drachtio.conf.xml deploys it, drachtio writes every message to its log, and
 * a bench that gave the bare app notice and diemcau info measured the logging, not the apps.
 */
export const benchDrachtioLoglevel = (process.env['BENCH_DRACHTIO_LOGLEVEL'] ?? 'notice') as DrachtioOptions['loglevel'];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const started = new Set<ChildProcess>();

/** A child the bench spawned itself: killed when the bench exits, however it exits. */
export function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

function killTracked(): void {
  for (const c of started) c.kill('SIGKILL');
}
process.once('exit', killTracked);
// On Ctrl-C, exit (not die of the signal) so that every 'exit' hook runs: the test harness stops
// its PostgreSQL cluster and FreeSWITCH there.
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
for (const sig of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.once(sig, () => process.exit(128 + SIGNALS[sig]));

/** The repository root, from dist/bench/lib or bench/lib. */
export function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'bench', 'scenarios')) && existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`cannot find the repository root (bench/scenarios) above ${__dirname}`);
}

export const benchScenario = (name: string) => join(repoRoot(), 'bench', 'scenarios', `${name}.xml`);

/** The test harness's throw-away PostgreSQL (or TEST_DATABASE_URL), for the length of a bench. */
export async function startPostgres(): Promise<{ adminUrl: string; stop(): Promise<void> }> {
  return { adminUrl: (await testPostgres()).adminUrl, stop: () => mochaHooks.afterAll() };
}

/** drachtio-server, FreeSWITCH and sipp, or a line saying which is missing and exit status 2. */
export function requireBinaries(what: string, needs: { drachtio?: boolean; freeswitch?: boolean; sipp?: boolean }): void {
  const missing: string[] = [];
  if (needs.drachtio && !findBinary('DRACHTIO_BIN', 'drachtio')) missing.push('drachtio-server (DRACHTIO_BIN)');
  if (needs.freeswitch && !findBinary('FREESWITCH_BIN', 'freeswitch')) missing.push('FreeSWITCH (FREESWITCH_BIN)');
  if (needs.sipp && !findSipp()) missing.push('sipp (apt-get install sip-tester)');
  if (missing.length) {
    console.log(`skip: ${what}: not found: ${missing.join(', ')}`);
    process.exit(2);
  }
}

/** ffmpeg's path, or a line saying it is missing and exit status 2. */
export function requireFfmpeg(what: string): string {
  const ffmpeg = findFfmpeg();
  if (ffmpeg) return ffmpeg;
  console.log(`skip: ${what}: not found: ffmpeg (apt-get install ffmpeg, or set FFMPEG_BIN)`);
  process.exit(2);
}

/** `count` FreeSWITCH processes, stopped by `down`; throws unless all started. */
export async function startNodes(count: number, down: Teardown): Promise<FreeswitchServer[]> {
  const nodes: FreeswitchServer[] = [];
  for (const s of await Promise.allSettled(Array.from({ length: count }, () => startFreeswitch()))) if (s.status === 'fulfilled') nodes.push(s.value);
  down.add('FreeSWITCH nodes', () => Promise.allSettled(nodes.map((f) => f.stop())));
  if (nodes.length < count) throw new Error('a FreeSWITCH node did not start');
  return nodes;
}

/**
 * Unhandled promise rejections, counted instead of ending the bench. Node's default would end the
 * process, and `diemcau serve` (which hosts the same code and installs no handler) would die of
 * each one: a bench that sees any reports them as a crash of the app.
 */
const unhandled = new Map<string, number>();
function countUnhandled(reason: unknown): void {
  const text =
    reason instanceof Error ? `${reason.message}${(reason as { code?: string }).code ? ` (${(reason as { code?: string }).code})` : ''}` : String(reason);
  if (!unhandled.has(text)) console.log(`UNHANDLED REJECTION (would end diemcau serve): ${reason instanceof Error ? (reason.stack ?? text) : text}`);
  unhandled.set(text, (unhandled.get(text) ?? 0) + 1);
}

/** Runs a bench's main, prints any error, and makes sure the process ends (no stray handles keep it). */
export function runMain(main: () => Promise<void>): void {
  const t0 = Date.now();
  process.on('unhandledRejection', countUnhandled);
  main().then(
    () => {
      for (const [text, n] of unhandled) console.log(`\nUNHANDLED REJECTIONS: ${n} × ${text} — each would have ended the \`diemcau serve\` process`);
      console.log(`\n(done in ${Math.round((Date.now() - t0) / 1000)} s)`);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}

/**
 * Targets' steps side by side: at each rate every target still going runs its step, the one to go
 * first alternating from rate to rate. This machine's speed drifts by tens of percent within minutes:
 * steps taken side by side compare the targets, not the minutes. A target stops after the first step
 * `stops` says so; each target's steps are appended to `results` under its name.
 */
export async function sideBySide<S>(
  targets: readonly { name: string; step(rate: number): Promise<S> }[],
  rates: readonly number[],
  stops: (step: S) => boolean,
  results: Map<string, S[]>,
): Promise<void> {
  const going = new Set(targets.map((t) => t.name));
  for (const [i, rate] of rates.entries()) {
    for (const t of i % 2 ? [...targets].reverse() : targets) {
      if (!going.has(t.name)) continue;
      const step = await t.step(rate);
      results.set(t.name, [...(results.get(t.name) ?? []), step]);
      if (stops(step)) going.delete(t.name);
    }
    if (!going.size) break;
  }
}

/** Tears down in reverse order, each step on its own (one failing does not skip the rest). */
export class Teardown {
  readonly #steps: { what: string; fn: () => Promise<unknown> | unknown }[] = [];
  add(what: string, fn: () => Promise<unknown> | unknown): void {
    this.#steps.push({ what, fn });
  }
  async run(): Promise<void> {
    for (const { what, fn } of this.#steps.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`teardown ${what}: ${(err as Error).message}`);
      }
    }
  }
}
