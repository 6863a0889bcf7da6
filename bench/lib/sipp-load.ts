import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSipp, sippCsv, SIPP_DEFAULT_KEYS } from '../../test/support/sipp';
import { freePort } from '../../test/support/stack';
import { track } from './harness';
import { cpuSeconds } from './proc';

/**
 * sipp as a load generator: no message trace (it would cost more than the traffic), the final
 * statistics from -trace_stat, and every response-time measure (rtd) from -trace_rtt.
 */

export interface LoadOptions {
  scenario: string;
  /** host:port for UAC scenarios; none for a UAS */
  target?: string;
  /** calls per second (-r) */
  rate: number;
  /** total calls (-m) */
  calls: number;
  /** -l: most calls open at once */
  limit?: number;
  service?: string;
  csvRows?: readonly (readonly string[])[];
  keys?: Record<string, string>;
  /** -d */
  pauseMs?: number;
  /** how many rtd values sipp buffers before writing; 1 = exact, larger is cheaper (leftovers are lost) */
  rttFreq?: number;
  /** kill sipp after this long (the unfinished calls count as failed) */
  timeoutMs: number;
  localPort?: number;
  /** a call fails when an expected message does not come within this; null: wait for ever (default 10 s) */
  recvTimeoutMs?: number | null;
  extraArgs?: string[];
}

export interface LoadResult {
  created: number;
  successful: number;
  failed: number;
  /** sipp's wall time from start to exit, seconds */
  wallS: number;
  /** sipp's cumulative call rate (CallRate(C): calls started per second over its run, start-up excluded) */
  callRate: number;
  /** sipp's own CPU use over its run, % of one core (near 100: the load generator is the limit) */
  sippCpu: number;
  /** rtd number -> values in ms */
  rtd: Map<number, number[]>;
  exitCode: number | null;
  timedOut: boolean;
  /** the first lines of sipp's error log, when it has one */
  errors: string;
}

export interface LoadProcess {
  port: number;
  done: Promise<LoadResult>;
  stop(): void;
}

function parseStats(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  if (lines.length < 2) return {};
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}

function parseRtt(dir: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n').slice(1)) {
      const [, ms, no] = line.split(';');
      if (ms === undefined || no === undefined) continue;
      const list = out.get(Number(no)) ?? [];
      list.push(Number(ms));
      out.set(Number(no), list);
    }
  }
  return out;
}

/** Starts sipp; `done` resolves when it exits (by itself, on stop(), or at timeoutMs). */
export async function startLoad(opts: LoadOptions): Promise<LoadProcess> {
  const bin = findSipp();
  if (!bin) throw new Error('sipp not found');
  const port = opts.localPort ?? (await freePort({ udp: true }));
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-bench-sipp-'));
  const args = [
    '-sf',
    opts.scenario,
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-m',
    String(opts.calls),
    '-r',
    String(opts.rate),
    '-nostdin',
    '-trace_stat',
    '-stf',
    join(dir, 'stat.csv'),
    '-fd',
    '1',
    '-trace_rtt',
    '-rtt_freq',
    String(opts.rttFreq ?? 1),
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
    '-aa',
    // each sipp its own media port ([media_port] in the SDP): several may run at once
    '-mp',
    String(await freePort({ udp: true })),
  ];
  if (opts.recvTimeoutMs !== null) args.push('-recv_timeout', String(opts.recvTimeoutMs ?? 10_000));
  if (opts.limit) args.push('-l', String(opts.limit));
  if (opts.service) args.push('-s', opts.service);
  if (opts.pauseMs !== undefined) args.push('-d', String(opts.pauseMs));
  if (opts.csvRows) {
    writeFileSync(join(dir, 'fields.csv'), sippCsv(opts.csvRows));
    args.push('-inf', join(dir, 'fields.csv'));
  }
  for (const [k, v] of Object.entries({ ...SIPP_DEFAULT_KEYS, ...opts.keys })) args.push('-key', k, v);
  args.push(...(opts.extraArgs ?? []));
  if (opts.target) args.push(opts.target);

  const t0 = performance.now();
  const child = track(spawn(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }));
  let sippCpu = 0;
  const cpuPoll = setInterval(() => {
    const c = cpuSeconds(child.pid ?? -1);
    if (Number.isFinite(c)) sippCpu = c;
  }, 200);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  let timedOut = false;
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, opts.timeoutMs);
  const done = new Promise<LoadResult>((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      clearInterval(cpuPoll);
      const s = parseStats(join(dir, 'stat.csv'));
      const errFile = join(dir, 'errors.log');
      const errors = (existsSync(errFile) ? readFileSync(errFile, 'utf8') : stderr).split('\n').slice(0, 12).join('\n');
      const created = Number(s['OutgoingCall(C)'] ?? 0) + Number(s['IncomingCall(C)'] ?? 0);
      const successful = Number(s['SuccessfulCall(C)'] ?? 0);
      const result: LoadResult = {
        created,
        successful,
        // killed calls never reach FailedCall: whatever did not succeed failed
        failed: Math.max(Number(s['FailedCall(C)'] ?? 0), timedOut ? opts.calls - successful : 0),
        wallS: (performance.now() - t0) / 1000,
        sippCpu: (sippCpu / ((performance.now() - t0) / 1000)) * 100,
        callRate: Number(s['CallRate(C)'] ?? NaN),
        rtd: parseRtt(dir),
        exitCode: code,
        timedOut,
        errors,
      };
      rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
  return { port, done, stop };
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return (await startLoad(opts)).done;
}

/**
 * The same load split over `procs` sipp processes (one sipp tops out at a few thousand
 * transactions per second on this machine), each with its share of the rate and calls; the result
 * is their sum (rtd values merged, wall time the longest, sipp CPU added up).
 */
export async function runLoadSplit(opts: LoadOptions, procs: number): Promise<LoadResult> {
  if (procs <= 1) return runLoad(opts);
  const share = (n: number, i: number) => Math.floor(n / procs) + (i < n % procs ? 1 : 0);
  const parts = await Promise.all(
    Array.from({ length: procs }, (_, i) => runLoad({ ...opts, localPort: undefined, rate: opts.rate / procs, calls: share(opts.calls, i) })),
  );
  const rtd = new Map<number, number[]>();
  for (const p of parts) for (const [k, v] of p.rtd) rtd.set(k, [...(rtd.get(k) ?? []), ...v]);
  return {
    created: parts.reduce((a, p) => a + p.created, 0),
    successful: parts.reduce((a, p) => a + p.successful, 0),
    failed: parts.reduce((a, p) => a + p.failed, 0),
    wallS: Math.max(...parts.map((p) => p.wallS)),
    sippCpu: parts.reduce((a, p) => a + p.sippCpu, 0),
    callRate: parts.reduce((a, p) => a + p.callRate, 0),
    rtd,
    exitCode: Math.max(...parts.map((p) => p.exitCode ?? 0)),
    timedOut: parts.some((p) => p.timedOut),
    errors: parts
      .map((p) => p.errors)
      .filter(Boolean)
      .join('\n'),
  };
}

/** A UAS sipp listening on its port (visible in /proc/net/udp) before this resolves. */
export async function startUas(opts: Omit<LoadOptions, 'rate' | 'target'>): Promise<LoadProcess> {
  const p = await startLoad({ recvTimeoutMs: null, ...opts, rate: 1 });
  const hexPort = p.port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const bound = readFileSync('/proc/net/udp', 'utf8')
      .split('\n')
      .some((l) => l.trim().split(/\s+/)[1] === `0100007F:${hexPort}`);
    if (bound) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  p.stop();
  throw new Error(`sipp UAS did not bind 127.0.0.1:${p.port}: ${(await p.done).errors}`);
}
