import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { track } from './harness';

/**
 * SIP timings from a loopback packet capture (Debian's dumpcap, from tshark): kernel timestamps in
 * microseconds. sipp's own response times (-trace_rtt) come in steps of about 4 ms on this machine,
 * too coarse for setups of a few milliseconds.
 */

export interface SipPacket {
  /** seconds, microsecond resolution */
  t: number;
  srcPort: number;
  dstPort: number;
  startLine: string;
  callId: string;
  cseq: string;
}

export const DUMPCAP = ['/usr/bin/dumpcap', '/usr/sbin/dumpcap'].find((p) => existsSync(p));

export interface Capture {
  stop(): Promise<SipPacket[]>;
}

/** Captures UDP to or from `port` on lo until stop(). */
export async function startCapture(port: number): Promise<Capture> {
  if (!DUMPCAP) throw new Error('dumpcap not found (Debian: tshark or wireshark-common)');
  const dir = mkdtempSync(join(tmpdir(), 'diemcau-bench-pcap-'));
  const file = join(dir, 'sip.pcap');
  const child = track(
    spawn(DUMPCAP, ['-i', 'lo', '-f', `udp port ${port}`, '-s', '4096', '-P', '-w', file, '-B', '64'], { stdio: ['ignore', 'ignore', 'pipe'] }),
  );
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`dumpcap did not start: ${stderr}`)), 10_000);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (/Capturing on/.test(stderr)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(t);
      reject(new Error(`dumpcap exited: ${stderr}`));
    });
  });
  return {
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      const packets = existsSync(file) ? parsePcap(readFileSync(file)) : [];
      rmSync(dir, { recursive: true, force: true });
      return packets;
    },
  };
}

/** Classic pcap (little-endian, µs), link type Ethernet (lo on Linux) or raw/cooked: IPv4 UDP only. */
export function parsePcap(buf: Buffer): SipPacket[] {
  if (buf.length < 24 || buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian microsecond pcap file');
  const linkType = buf.readUInt32LE(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 101 ? 0 : -1;
  if (linkHeader < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  const out: SipPacket[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const t = buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) / 1e6;
    const caplen = buf.readUInt32LE(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    const ip = frame.subarray(linkHeader);
    if (ip.length < 28 || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const text = udp.subarray(8).toString('latin1');
    const startLine = text.slice(0, text.indexOf('\r\n'));
    out.push({
      t,
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      startLine,
      callId: /^(?:Call-ID|i)\s*:\s*(\S+)/im.exec(text)?.[1] ?? '',
      cseq: /^CSeq\s*:\s*(\d+\s+\w+)/im.exec(text)?.[1]?.replace(/\s+/, ' ') ?? '',
    });
  }
  return out;
}

/**
 * Per Call-ID: the time from the first request matching `from` (sent by `port`) to the first final
 * 2xx with CSeq `to` received on `port`, in ms. E.g. INVITE setup: from '1 INVITE', to '1 INVITE'.
 */
export function sipIntervals(packets: readonly SipPacket[], port: number, from: string, to: string): number[] {
  const sent = new Map<string, number>();
  const done = new Map<string, number>();
  for (const p of packets) {
    if (p.srcPort === port && p.cseq === from && !/^SIP\//.test(p.startLine) && !sent.has(p.callId)) sent.set(p.callId, p.t);
    if (p.dstPort === port && p.cseq === to && /^SIP\/2\.0 2\d\d/.test(p.startLine) && !done.has(p.callId)) done.set(p.callId, p.t);
  }
  const out: number[] = [];
  for (const [id, t0] of sent) {
    const t1 = done.get(id);
    if (t1 !== undefined) out.push((t1 - t0) * 1000);
  }
  return out;
}
