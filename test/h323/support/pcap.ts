/**
 * Minimal libpcap file reader/writer for the H.323 tests: Ethernet/IPv4 frames carrying UDP or
 * TCP. Enough to read nDPI's h323.pcap and to write captures for tshark to dissect.
 */
export interface Datagram {
  readonly frame: number;
  readonly proto: 'udp' | 'tcp';
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  /** TCP sequence number (0 for UDP). */
  readonly seq: number;
  readonly payload: Uint8Array;
}

export function readPcap(file: Uint8Array): Datagram[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && dv.getUint32(0, false) !== 0xa1b2c3d4 && dv.getUint32(0, false) !== 0xa1b23c4d) throw new Error('not a pcap file');
  const linktype = dv.getUint32(20, le);
  if (linktype !== 1) throw new Error(`unsupported link type ${linktype}`);
  const out: Datagram[] = [];
  let off = 24;
  let frame = 0;
  while (off + 16 <= file.length) {
    const incl = dv.getUint32(off + 8, le);
    const data = file.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    frame++;
    const d = parseEthernet(frame, data);
    if (d) out.push(d);
  }
  return out;
}

function parseEthernet(frame: number, b: Uint8Array): Datagram | undefined {
  let p = 12;
  let type = (b[p]! << 8) | b[p + 1]!;
  if (type === 0x8100) {
    p += 4;
    type = (b[p]! << 8) | b[p + 1]!;
  }
  if (type !== 0x0800) return undefined;
  const ip = b.subarray(p + 2);
  const ihl = (ip[0]! & 0x0f) * 4;
  const total = (ip[2]! << 8) | ip[3]!;
  const proto = ip[9];
  const src = [...ip.subarray(12, 16)].join('.');
  const dst = [...ip.subarray(16, 20)].join('.');
  const l4 = ip.subarray(ihl, Math.min(total, ip.length));
  const sport = (l4[0]! << 8) | l4[1]!;
  const dport = (l4[2]! << 8) | l4[3]!;
  if (proto === 17) return { frame, proto: 'udp', src, dst, sport, dport, seq: 0, payload: l4.slice(8) };
  if (proto === 6) {
    const seq = ((l4[4]! << 24) | (l4[5]! << 16) | (l4[6]! << 8) | l4[7]!) >>> 0;
    const doff = (l4[12]! >> 4) * 4;
    return { frame, proto: 'tcp', src, dst, sport, dport, seq, payload: l4.slice(doff) };
  }
  return undefined;
}

/** One direction of a TCP connection, reassembled by sequence order. */
export interface TcpStream {
  readonly key: string;
  readonly sport: number;
  readonly dport: number;
  readonly data: Uint8Array;
  /** For each stream offset where a segment starts, the frame it came in. */
  readonly frameAt: (offset: number) => number;
}

/**
 * Simple reassembly: segments sorted by sequence number, retransmitted or overlapping bytes
 * (e.g. keep-alives re-sending one old byte) dropped. Captures without the SYN still work:
 * the stream starts at the lowest sequence number seen.
 */
export function reassembleTcp(datagrams: readonly Datagram[]): TcpStream[] {
  const groups = new Map<string, Datagram[]>();
  for (const d of datagrams) {
    if (d.proto !== 'tcp' || d.payload.length === 0) continue;
    const key = `${d.src}:${d.sport}>${d.dst}:${d.dport}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const out: TcpStream[] = [];
  for (const [key, segs] of groups) {
    // Keep-alive probes re-send the byte before the window (seq = next - 1): ignore 1-byte
    // segments that are entirely below data we already hold.
    const sorted = [...segs].sort((a, b) => a.seq - b.seq || a.frame - b.frame);
    const base = sorted[0]!.seq;
    const parts: Uint8Array[] = [];
    const starts: { offset: number; frame: number }[] = [];
    let next = base;
    for (const s of sorted) {
      const end = s.seq + s.payload.length;
      if (end <= next) continue;
      const skip = Math.max(0, next - s.seq);
      starts.push({ offset: next - base, frame: s.frame });
      parts.push(s.payload.subarray(skip));
      next = end;
    }
    const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      data.set(p, o);
      o += p.length;
    }
    const frameAt = (offset: number): number => {
      let f = starts[0]!.frame;
      for (const s of starts) if (s.offset <= offset) f = s.frame;
      return f;
    };
    out.push({ key, sport: sorted[0]!.sport, dport: sorted[0]!.dport, data, frameAt });
  }
  return out;
}

/**
 * Writes an Ethernet/IPv4 pcap with the given UDP/TCP payloads (checksums left zero). Packets are one
 * second apart unless `atMs` (from the first) says when each was captured.
 */
export function writePcap(
  packets: readonly { proto: 'udp' | 'tcp'; sport: number; dport: number; payload: Uint8Array; seq?: number; atMs?: number }[],
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const gh = new DataView(new ArrayBuffer(24));
  gh.setUint32(0, 0xa1b2c3d4, true);
  gh.setUint16(4, 2, true);
  gh.setUint16(6, 4, true);
  gh.setUint32(16, 65535, true);
  gh.setUint32(20, 1, true);
  chunks.push(new Uint8Array(gh.buffer));
  const seqs = new Map<string, number>();
  packets.forEach((p, i) => {
    const l4len = p.proto === 'udp' ? 8 : 20;
    const ipLen = 20 + l4len + p.payload.length;
    const frame = new Uint8Array(14 + ipLen);
    const dv = new DataView(frame.buffer);
    frame.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00]);
    frame.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, i & 0xff, 0x40, 0, 64, p.proto === 'udp' ? 17 : 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2], 14);
    dv.setUint16(24, ipChecksum(frame.subarray(14, 34)));
    dv.setUint16(34, p.sport);
    dv.setUint16(36, p.dport);
    if (p.proto === 'udp') {
      dv.setUint16(38, 8 + p.payload.length);
    } else {
      const key = `${p.sport}>${p.dport}`;
      const seq = p.seq ?? seqs.get(key) ?? 1;
      seqs.set(key, seq + p.payload.length);
      dv.setUint32(38, seq);
      dv.setUint32(42, 1);
      frame[46] = 0x50;
      frame[47] = 0x18; // PSH, ACK
      dv.setUint16(48, 65535);
    }
    frame.set(p.payload, 14 + 20 + l4len);
    const rh = new DataView(new ArrayBuffer(16));
    const atUs = Math.round((p.atMs ?? i * 1000) * 1000);
    rh.setUint32(0, 1_700_000_000 + Math.floor(atUs / 1e6), true);
    rh.setUint32(4, atUs % 1e6, true);
    rh.setUint32(8, frame.length, true);
    rh.setUint32(12, frame.length, true);
    chunks.push(new Uint8Array(rh.buffer), frame);
  });
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function ipChecksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += (h[i]! << 8) | h[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

/** A pcap of one payload per record with the given link type (e.g. 147 = USER0 for h245dg). */
export function writeRawPcap(linktype: number, payloads: readonly Uint8Array[]): Uint8Array {
  const gh = new DataView(new ArrayBuffer(24));
  gh.setUint32(0, 0xa1b2c3d4, true);
  gh.setUint16(4, 2, true);
  gh.setUint16(6, 4, true);
  gh.setUint32(16, 65535, true);
  gh.setUint32(20, linktype, true);
  const chunks: Uint8Array[] = [new Uint8Array(gh.buffer)];
  payloads.forEach((p, i) => {
    const rh = new DataView(new ArrayBuffer(16));
    rh.setUint32(0, 1_700_000_000 + i, true);
    rh.setUint32(8, p.length, true);
    rh.setUint32(12, p.length, true);
    chunks.push(new Uint8Array(rh.buffer), p);
  });
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
