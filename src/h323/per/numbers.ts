/**
 * X.691 building blocks shared by the encoder and decoder: whole numbers, length
 * determinants and "normally small" numbers, all in the ALIGNED variant.
 *
 * Length determinants for unbounded counts use fragmentation (X.691 11.9.3.8) only when the
 * count reaches 16K; the callers pass an `items` callback so each fragment's items are written
 * right after that fragment's header. H.225/H.245 PDUs never get near 16K in practice, but the
 * decoder accepts fragmented input so that a peer that does fragment is not rejected.
 */
import type { BitReader, BitWriter } from './bit-buffer';
import { PerDecodeError, PerEncodeError } from './errors';

export const K16 = 16384;
export const K64 = 65536;

/** Bits needed for a constrained whole number of the given range (ub - lb + 1). */
export function bitsForRange(range: number): number {
  let bits = 0;
  while (2 ** bits < range) bits++;
  return bits;
}

/** Octets needed to hold a non-negative value (at least one). */
export function octetsFor(v: number): number {
  let n = 1;
  while (v >= 2 ** (8 * n)) n++;
  return n;
}

function uintBytes(v: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}

function bytesToUint(b: Uint8Array, r: BitReader): number {
  if (b.length > 6 && b.slice(0, b.length - 6).some((x) => x !== 0)) throw new PerDecodeError('integer too large for this implementation', r.position);
  let v = 0;
  for (const x of b) v = v * 256 + x;
  return v;
}

/** X.691 11.5.7: constrained whole number, aligned variant. */
export function writeConstrained(w: BitWriter, v: number, lb: number, ub: number): void {
  if (!Number.isSafeInteger(v) || v < lb || v > ub) throw new PerEncodeError(`value ${v} outside ${lb}..${ub}`);
  const range = ub - lb + 1;
  const off = v - lb;
  if (range === 1) return;
  if (range <= 255) {
    w.writeBits(off, bitsForRange(range));
    return;
  }
  if (range === 256) {
    w.align();
    w.writeBits(off, 8);
    return;
  }
  if (range <= K64) {
    w.align();
    w.writeBits(off, 16);
    return;
  }
  // Range over 64K: the octet count is itself a constrained number (1..max octets).
  const n = octetsFor(off);
  writeConstrained(w, n, 1, octetsFor(range - 1));
  w.align();
  w.writeBytes(uintBytes(off, n));
}

export function readConstrained(r: BitReader, lb: number, ub: number, what: string): number {
  const range = ub - lb + 1;
  if (range === 1) return lb;
  let off: number;
  if (range <= 255) off = r.readBits(bitsForRange(range), what);
  else if (range === 256) {
    r.align();
    off = r.readBits(8, what);
  } else if (range <= K64) {
    r.align();
    off = r.readBits(16, what);
  } else {
    const n = readConstrained(r, 1, octetsFor(range - 1), `${what} length`);
    r.align();
    off = bytesToUint(r.readBytes(n, what), r);
  }
  if (off > ub - lb) throw new PerDecodeError(`${what}: value ${lb + off} above upper bound ${ub}`, r.position);
  return lb + off;
}

/** Unconstrained length determinant (X.691 11.9.3.5-7) for n < 16K. */
function writeShortLength(w: BitWriter, n: number): void {
  w.align();
  if (n < 128) w.writeBits(n, 8);
  else w.writeBits(0x8000 | n, 16);
}

/**
 * Writes a count `n` with a length determinant and the items it counts.
 * `ub` is the effective upper bound of a constrained length (undefined: unbounded);
 * `items(from, count)` writes that many items.
 */
export function writeLengthAndItems(w: BitWriter, n: number, lb: number, ub: number | undefined, items: (from: number, count: number) => void): void {
  if (ub !== undefined && ub < K64) {
    writeConstrained(w, n, lb, ub);
    items(0, n);
    return;
  }
  let done = 0;
  for (;;) {
    const left = n - done;
    if (left < K16) {
      writeShortLength(w, left);
      items(done, left);
      return;
    }
    const m = Math.min(4, Math.floor(left / K16));
    w.align();
    w.writeBits(0xc0 | m, 8);
    items(done, m * K16);
    done += m * K16;
  }
}

/** Reads a length determinant and the items, calling `items(count)` per fragment. */
export function readLengthAndItems(r: BitReader, lb: number, ub: number | undefined, what: string, items: (count: number) => void): number {
  if (ub !== undefined && ub < K64) {
    const n = readConstrained(r, lb, ub, `${what} length`);
    items(n);
    return n;
  }
  let total = 0;
  for (;;) {
    r.align();
    const first = r.readBits(8, `${what} length`);
    if ((first & 0x80) === 0) {
      items(first);
      return total + first;
    }
    if ((first & 0x40) === 0) {
      const n = ((first & 0x3f) << 8) | r.readBits(8, `${what} length`);
      items(n);
      return total + n;
    }
    const m = first & 0x3f;
    if (m < 1 || m > 4) throw new PerDecodeError(`${what}: bad fragment multiplier ${m}`, r.position);
    items(m * K16);
    total += m * K16;
  }
}

/** Normally small non-negative whole number (X.691 11.6): choice/enum extension indices. */
export function writeNormallySmall(w: BitWriter, n: number): void {
  if (n < 64) {
    w.writeBits(n, 7);
    return;
  }
  w.writeBit(1);
  writeSemiConstrained(w, n, 0);
}

export function readNormallySmall(r: BitReader, what: string): number {
  if (!r.readBit(what)) return r.readBits(6, what);
  return readSemiConstrained(r, 0, what);
}

/** Normally small length (X.691 11.9.3.4): the extension-addition bitmap length. */
export function writeNormallySmallLength(w: BitWriter, n: number): void {
  if (n <= 64) {
    w.writeBits(n - 1, 7);
    return;
  }
  w.writeBit(1);
  writeShortLength(w, n);
}

export function readNormallySmallLength(r: BitReader, what: string): number {
  if (!r.readBit(what)) return r.readBits(6, what) + 1;
  let n = 0;
  readLengthAndItems(r, 0, undefined, what, (c) => {
    n += c;
  });
  return n;
}

/** Semi-constrained whole number (X.691 11.7): length + minimal octets of v - lb. */
export function writeSemiConstrained(w: BitWriter, v: number, lb: number): void {
  if (!Number.isSafeInteger(v) || v < lb) throw new PerEncodeError(`value ${v} below ${lb}`);
  const off = v - lb;
  const n = octetsFor(off);
  writeShortLength(w, n);
  w.writeBytes(uintBytes(off, n));
}

export function readSemiConstrained(r: BitReader, lb: number, what: string): number {
  const bytes = readOctetsWithLength(r, what);
  if (bytes.length === 0) throw new PerDecodeError(`${what}: empty integer`, r.position);
  return lb + bytesToUint(bytes, r);
}

/** Unconstrained whole number (X.691 11.8): length + minimal two's complement octets. */
export function writeUnconstrained(w: BitWriter, v: number): void {
  if (!Number.isSafeInteger(v)) throw new PerEncodeError(`integer ${v} is not a safe integer`);
  let n = 1;
  while (v < -(2 ** (8 * n - 1)) || v >= 2 ** (8 * n - 1)) n++;
  const u = v < 0 ? 2 ** (8 * n) + v : v;
  writeShortLength(w, n);
  w.writeBytes(uintBytes(u, n));
}

export function readUnconstrained(r: BitReader, what: string): number {
  const bytes = readOctetsWithLength(r, what);
  if (bytes.length === 0) throw new PerDecodeError(`${what}: empty integer`, r.position);
  if (bytes.length > 6) throw new PerDecodeError(`${what}: integer of ${bytes.length} octets is too large for this implementation`, r.position);
  let v = 0;
  for (const x of bytes) v = v * 256 + x;
  return bytes[0]! & 0x80 ? v - 2 ** (8 * bytes.length) : v;
}

/** Octets preceded by an unconstrained length (open types, OIDs, integers). */
export function writeOctetsWithLength(w: BitWriter, bytes: Uint8Array): void {
  writeLengthAndItems(w, bytes.length, 0, undefined, (from, count) => w.writeBytes(bytes.subarray(from, from + count)));
}

export function readOctetsWithLength(r: BitReader, what: string): Uint8Array {
  const parts: Uint8Array[] = [];
  readLengthAndItems(r, 0, undefined, what, (count) => {
    parts.push(r.readBytes(count, what));
  });
  return concat(parts);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
