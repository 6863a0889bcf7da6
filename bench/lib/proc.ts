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

/** cutime + cstime: CPU seconds of the children a process has reaped. */
function reapedChildrenCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** CPU seconds of a process and all its descendants (Kamailio's workers, PostgreSQL's backends). */
export function treeCpuSeconds(root: number): number {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent)
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
  }
  // cutime/cstime too: a backend or worker that exits meanwhile moves its time into its parent's
  let sum = 0;
  for (const pid of tree) {
    const c = cpuSeconds(pid) + reapedChildrenCpu(pid);
    if (Number.isFinite(c)) sum += c;
  }
  return parent.has(root) ? sum : NaN;
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

/**
 * The first process whose command line has every one of `parts` as whole arguments, in order where
 * a part has several words (e.g. 'drachtio', '--port 9022'); the first argument matches by its end
 * (the binary's path).
 */
export function findPid(...parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const joined = ` ${args.join(' ')} `;
      const has = (p: string) => joined.includes(` ${p} `) || (args[0] ?? '').endsWith(`/${p}`) || args[0] === p;
      if (args.length > 1 && parts.every(has)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * CPU seconds of every process alive now, by pid. Summed over an interval this is the machine's busy
 * time, load from processes the bench did not start included; /proc/stat is not used because in
 * this VM it misses most of the ticks that the per-process counters see.
 */
export function allProcessCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const c = cpuSeconds(Number(entry));
    if (Number.isFinite(c)) out.set(Number(entry), c);
  }
  return out;
}

/**
 * Samples CPU use of named processes over an interval: percent of one core each, plus `machine`:
 * all processes together in percent of one core (200 = both cores of a 2-core box busy), which
 * shows load from processes the bench did not start (processes that came and went within the
 * interval are missed).
 */
export class CpuMeter {
  #start = new Map<string, number>();
  #t0 = 0;
  #machine0 = new Map<number, number>();
  constructor(private readonly pids: Record<string, number | 'self'>) {}

  begin(): void {
    this.#t0 = performance.now();
    this.#machine0 = allProcessCpu();
    for (const [name, pid] of Object.entries(this.pids)) this.#start.set(name, this.#read(pid));
  }

  /** name -> % of one core since begin() */
  end(): Record<string, number> {
    const wall = (performance.now() - this.#t0) / 1000;
    return {
      ...Object.fromEntries(Object.entries(this.pids).map(([name, pid]) => [name, ((this.#read(pid) - (this.#start.get(name) ?? NaN)) / wall) * 100])),
      machine: ([...allProcessCpu()].reduce((sum, [pid, c]) => sum + c - (this.#machine0.get(pid) ?? 0), 0) / wall) * 100,
    };
  }

  #read(pid: number | 'self'): number {
    if (pid === 'self') {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    }
    return treeCpuSeconds(pid);
  }
}
