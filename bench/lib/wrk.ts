import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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

export function runWrk(url: string, opts: { token: string; seconds: number; connections: number; threads: number }): Promise<WrkResult> {
  if (!WRK) return Promise.reject(new Error('wrk not found (apt-get install wrk)'));
  const args = [
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
