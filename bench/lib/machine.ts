import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { findBinary } from '../../test/support/stack';
import { findSipp } from '../../test/support/sipp';

/** What machine and which versions a bench ran on, printed at its top. */

function firstLine(cmd: string | undefined, args: string[], pick: RegExp = /\S.*/): string {
  if (!cmd) return 'not found';
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    return pick.exec(out)?.[0]?.trim() ?? out.trim().split('\n')[0] ?? '';
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    const out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    return pick.exec(out)?.[0]?.trim() ?? 'unknown';
  }
}

export function machineFacts(): Record<string, string> {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? '?';
  return {
    date: new Date().toISOString(),
    cpus: `${cpus().length} × ${cpuModel}`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    'drachtio-server': firstLine(findBinary('DRACHTIO_BIN', 'drachtio'), ['--version']),
    FreeSWITCH: firstLine(findBinary('FREESWITCH_BIN', 'freeswitch'), ['-version'], /FreeSWITCH version: .*/),
    sipp: firstLine(findSipp(), ['-v'], /SIPp v\S+/),
  };
}

export function printMachine(title: string, extra: Record<string, string> = {}): void {
  console.log(`# diemcau bench: ${title}\n`);
  for (const [k, v] of Object.entries({ ...machineFacts(), ...extra })) console.log(`- ${k}: ${v}`);
  console.log('');
}

/** Versions of the optional tools, for the benches that use them. */
export function toolVersion(tool: 'kamailio' | 'wrk' | 'rtpengine' | 'postgres'): string {
  switch (tool) {
    case 'kamailio':
      return firstLine('/usr/sbin/kamailio', ['-v'], /version: .*/);
    case 'wrk':
      return firstLine('wrk', ['-v'], /wrk \S+/);
    case 'rtpengine':
      return firstLine('rtpengine', ['--version'], /Version: .*|\S.*/);
    case 'postgres':
      return firstLine('psql', ['--version']);
  }
}
