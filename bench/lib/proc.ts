import { readdirSync, readFileSync } from 'node:fs';

/** CPU time and memory of processes, from /proc (Linux only, as the whole stack is). */

const TICKS_PER_S = 100; // USER_HZ on Linux

/** utime + stime of a process, seconds; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** Resident set size in MiB (VmRSS); NaN when the process is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The first process whose command line contains every one of `parts` (e.g. a binary and its port). */
export function findPid(...parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => cmd.includes(p))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Samples CPU use of named processes over an interval: percent of one core each. */
export class CpuMeter {
  #start = new Map<string, number>();
  #t0 = 0;
  constructor(private readonly pids: Record<string, number | 'self'>) {}

  begin(): void {
    this.#t0 = performance.now();
    for (const [name, pid] of Object.entries(this.pids)) this.#start.set(name, this.#read(pid));
  }

  /** name -> % of one core since begin() */
  end(): Record<string, number> {
    const wall = (performance.now() - this.#t0) / 1000;
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [name, ((this.#read(pid) - (this.#start.get(name) ?? NaN)) / wall) * 100]),
    );
  }

  #read(pid: number | 'self'): number {
    if (pid === 'self') {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    }
    return cpuSeconds(pid);
  }
}
