import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './harness';

/** Debian's wrk as the HTTP load generator: requests per second and the latency percentiles. */

export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));

export interface WrkResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  /** non-2xx/3xx answers plus socket errors */
  errors: number;
  raw: string;
}

function ms(value: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value ?? '');
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/**
 * `rate`: about this many requests per second in all (each connection waits connections/rate
 * seconds before each request, through wrk's Lua `delay`), instead of as many as the server answers.
 * wrk 4 has no fixed-rate mode: the rate achieved is a little lower, by the latency.
 */
export async function runWrk(url: string, opts: { token: string; seconds: number; connections: number; threads: number; rate?: number }): Promise<WrkResult> {
  if (!opts.rate) return wrk(url, opts, []);
  const dir = await mkdtemp(join(tmpdir(), 'diemcau-wrk-'));
  try {
    const script = join(dir, 'pace.lua');
    await writeFile(script, `function delay() return ${Math.round((opts.connections * 1000) / opts.rate)} end\n`);
    return await wrk(url, opts, ['-s', script]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function wrk(url: string, opts: { token: string; seconds: number; connections: number; threads: number }, extra: string[]): Promise<WrkResult> {
  if (!WRK) return Promise.reject(new Error('wrk not found (apt-get install wrk)'));
  const args = [
    ...extra,
    '-t',
    String(opts.threads),
    '-c',
    String(opts.connections),
    '-d',
    `${opts.seconds}s`,
    '--latency',
    '-H',
    `Authorization: Bearer ${opts.token}`,
    url,
  ];
  return new Promise((resolve, reject) => {
    const child = track(spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    const t = setTimeout(() => child.kill('SIGKILL'), (opts.seconds + 30) * 1000);
    child.once('close', () => {
      clearTimeout(t);
      const pct = (p: string) => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1]);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
      if (!Number.isFinite(rps)) return reject(new Error(`wrk failed:\n${out}`));
      resolve({ rps, p50: pct('50'), p90: pct('90'), p99: pct('99'), requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN), errors, raw: out });
    });
  });
}
