/**
 * Hands PDUs that our servers sent to Debian's tshark: written into a pcap as UDP 1719 (RAS) or
 * TCP 1720 (TPKT + Q.931, whose user-user IE tshark dissects as H.225 with any fastStart and
 * tunnelled H.245 inside) and dissected with -V. The octets are those read off our sockets.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipFor, skipSuite } from '../../support/skip';
import { hasCommand } from './env';
import { writePcap, writeRawPcap } from './pcap';

const TSHARK_MISSING = 'tshark (Debian tshark) not installed';

/** In a test: go on only where tshark runs (one skip line otherwise). */
export function requireTshark(ctx: Mocha.Context, what: string): void {
  if (!hasCommand('tshark', ['-v'])) skipFor(ctx, what, TSHARK_MISSING);
}

/** At load time: declare `title` as one skipped test where tshark does not run; true when it does. */
export function tsharkSuite(title: string): boolean {
  if (hasCommand('tshark', ['-v'])) return true;
  skipSuite(title, TSHARK_MISSING);
  return false;
}

export interface WirePacket {
  readonly proto: 'udp' | 'tcp';
  readonly sport: number;
  readonly dport: number;
  readonly payload: Uint8Array;
}

/** `tshark -V` of the packets, one text per frame. */
export function dissect(packets: readonly WirePacket[], extra: readonly string[] = []): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-h323-'));
  try {
    const file = join(dir, 'wire.pcap');
    writeFileSync(file, writePcap(packets));
    const r = spawnSync('tshark', ['-n', '-r', file, '-V', ...extra], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    return r.stdout.split(/^Frame \d+:/m).slice(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `tshark -T fields` of the packets: one row per frame, one array of values per field (`,`-separated occurrences split). */
export function dissectFields(packets: readonly WirePacket[], fields: readonly string[], extra: readonly string[] = []): string[][][] {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-fields-'));
  try {
    const file = join(dir, 'wire.pcap');
    writeFileSync(file, writePcap(packets));
    const args = [
      '-n',
      '-r',
      file,
      '-T',
      'fields',
      '-E',
      'separator=/t',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=,',
      ...fields.flatMap((f) => ['-e', f]),
      ...extra,
    ];
    const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    return r.stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split('\t').map((v) => (v === '' ? [] : v.split(','))));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** tshark's version as [major, minor], or undefined where it does not run. */
export function tsharkVersion(): [number, number] | undefined {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  const m = /TShark \(Wireshark\) (\d+)\.(\d+)/.exec(r.stdout ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** `tshark -V` of bare H.245 PDUs (as on a separate H.245 channel), through h245dg on a user DLT. */
export function dissectH245(pdus: readonly Uint8Array[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-h245-'));
  try {
    const file = join(dir, 'h245.pcap');
    writeFileSync(file, writeRawPcap(147, pdus));
    const r = spawnSync('tshark', ['-n', '-r', file, '-V', '-o', 'uat:user_dlts:"User 0 (DLT=147)","h245dg","0","","0",""'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`tshark failed: ${r.stderr}`);
    return r.stdout.split(/^Frame \d+:/m).slice(1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function assertClean(frame: string, name: string): void {
  assert.doesNotMatch(frame, /Malformed|UNKNOWN PER|something unknown here|Expert Info \(Error/i, `${name}: tshark reports an error:\n${frame}`);
}
