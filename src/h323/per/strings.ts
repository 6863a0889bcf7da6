/**
 * Character-string and OBJECT IDENTIFIER helpers (X.691 clause 30 and X.690 8.19).
 *
 * Known-multiplier strings use `b` bits per character: from the size of the effective
 * (permitted) alphabet, rounded up to a power of two in the ALIGNED variant. A character is sent
 * as its code when every code of the alphabet fits in `b` bits, else as its index in the sorted
 * alphabet: so NumericString and H.225's IA5String FROM("0123456789#*,") take 4 bits per digit.
 */
import type { CharStringType } from '../asn1/types';
import { bitsForRange } from './numbers';

export interface CharCoding {
  /** Bits per character (aligned variant). */
  readonly bits: number;
  /** Sorted code points of the alphabet when characters are sent as indices. */
  readonly indexed?: readonly number[];
  /** Set of permitted code points (undefined: any code below 2^bits). */
  readonly permitted?: ReadonlySet<number>;
}

const PRINTABLE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?";

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

function defaultAlphabet(t: CharStringType): number[] | undefined {
  switch (t.stringType) {
    case 'IA5String':
      return range(0, 127);
    case 'NumericString':
      return [...' 0123456789'].map((c) => c.charCodeAt(0));
    case 'PrintableString':
      return [...PRINTABLE].map((c) => c.charCodeAt(0)).sort((a, b) => a - b);
    case 'VisibleString':
      return range(32, 126);
    case 'BMPString':
      return undefined; // 0..65535: 16 bits, codes
    case 'GeneralString':
      return undefined;
  }
}

const cache = new WeakMap<CharStringType, CharCoding>();

export function charCoding(t: CharStringType): CharCoding {
  const hit = cache.get(t);
  if (hit) return hit;
  let coding: CharCoding;
  const base = t.alphabet !== undefined ? [...new Set([...t.alphabet].map((c) => c.charCodeAt(0)))].sort((a, b) => a - b) : defaultAlphabet(t);
  if (!base) coding = { bits: 16 };
  else {
    const raw = bitsForRange(base.length);
    let bits = 1;
    while (bits < raw) bits *= 2;
    const permitted = new Set(base);
    coding = base[base.length - 1]! <= 2 ** bits - 1 ? { bits, permitted } : { bits, indexed: base, permitted };
  }
  cache.set(t, coding);
  return coding;
}

/** BER contents octets of an OBJECT IDENTIFIER given as "0.0.8.2250.0.7". */
export function oidToBytes(oid: string): Uint8Array | undefined {
  const arcs = oid.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) return undefined;
  const [a0, a1] = arcs as [number, number];
  if (a0 > 2 || (a0 < 2 && a1 > 39)) return undefined;
  const subids = [a0 * 40 + a1, ...arcs.slice(2)];
  const out: number[] = [];
  for (const s of subids) {
    const chunk: number[] = [];
    let v = s;
    do {
      chunk.unshift(v % 128);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return Uint8Array.from(out);
}

export function bytesToOid(b: Uint8Array): string | undefined {
  const subids: number[] = [];
  let v = 0;
  let open = false;
  for (const x of b) {
    if (!open && x === 0x80) return undefined; // non-minimal sub-identifier
    v = v * 128 + (x & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER) return undefined;
    open = (x & 0x80) !== 0;
    if (!open) {
      subids.push(v);
      v = 0;
    }
  }
  if (open || subids.length === 0) return undefined;
  const first = subids[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...subids.slice(1)].join('.');
}
