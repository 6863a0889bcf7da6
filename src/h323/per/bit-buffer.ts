/**
 * Bit-level writer and reader for PER. Bits are written most significant first; `align()`
 * pads with zero bits to the next octet boundary (X.691 "octet-aligned" fields).
 * The reader checks every read against the input length and throws PerDecodeError, so a
 * truncated PDU can never surface as a RangeError or an undefined byte.
 */
import { PerDecodeError } from './errors';

export class BitWriter {
  private buf = new Uint8Array(64);
  private bitLen = 0;

  get length(): number {
    return this.bitLen;
  }

  private ensure(extraBits: number): void {
    const needBytes = Math.ceil((this.bitLen + extraBits) / 8);
    if (needBytes <= this.buf.length) return;
    let n = this.buf.length * 2;
    while (n < needBytes) n *= 2;
    const next = new Uint8Array(n);
    next.set(this.buf);
    this.buf = next;
  }

  /** Writes the `n` low bits of `value` (0 ≤ n ≤ 53; value a non-negative safe integer). */
  writeBits(value: number, n: number): void {
    if (n === 0) return;
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) {
      const bit = Math.floor(value / 2 ** i) % 2;
      if (bit) this.buf[this.bitLen >> 3]! |= 0x80 >> (this.bitLen & 7);
      this.bitLen++;
    }
  }

  writeBit(b: boolean | 0 | 1): void {
    this.writeBits(b ? 1 : 0, 1);
  }

  align(): void {
    const pad = (8 - (this.bitLen & 7)) & 7;
    this.ensure(pad);
    this.bitLen += pad;
  }

  /** Writes whole octets at the current position (aligned or not). */
  writeBytes(bytes: Uint8Array): void {
    if ((this.bitLen & 7) === 0) {
      this.ensure(bytes.length * 8);
      this.buf.set(bytes, this.bitLen >> 3);
      this.bitLen += bytes.length * 8;
    } else {
      for (const b of bytes) this.writeBits(b, 8);
    }
  }

  /** Appends the first `nBits` bits of `data` (for BIT STRING contents). */
  writeBitsFrom(data: Uint8Array, nBits: number): void {
    const whole = nBits >> 3;
    this.writeBytes(data.subarray(0, whole));
    const rest = nBits & 7;
    if (rest) this.writeBits((data[whole] ?? 0) >> (8 - rest), rest);
  }

  /** The encoding so far, padded to whole octets. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, Math.ceil(this.bitLen / 8));
  }
}

export class BitReader {
  private pos: number;
  private readonly end: number;

  constructor(
    private readonly buf: Uint8Array,
    startBit = 0,
  ) {
    this.pos = startBit;
    this.end = buf.length * 8;
  }

  get position(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) throw new PerDecodeError(`truncated input reading ${what}: need ${n} bits, ${this.end - this.pos} left`, this.pos);
  }

  readBits(n: number, what = 'bits'): number {
    if (n === 0) return 0;
    if (n > 53) throw new PerDecodeError(`field of ${n} bits is too wide`, this.pos);
    this.need(n, what);
    let v = 0;
    for (let i = 0; i < n; i++) {
      const bit = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
      v = v * 2 + bit;
      this.pos++;
    }
    return v;
  }

  readBit(what = 'bit'): boolean {
    return this.readBits(1, what) === 1;
  }

  align(): void {
    this.pos = Math.min(this.end, (this.pos + 7) & ~7);
  }

  readBytes(n: number, what = 'octets'): Uint8Array {
    this.need(n * 8, what);
    if ((this.pos & 7) === 0) {
      const start = this.pos >> 3;
      this.pos += n * 8;
      return this.buf.slice(start, start + n);
    }
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.readBits(8, what);
    return out;
  }

  /** Reads `nBits` bits into a fresh byte array (BIT STRING contents, MSB first). */
  readBitsTo(nBits: number, what = 'bit string'): Uint8Array {
    this.need(nBits, what);
    const out = this.readBytes(nBits >> 3, what);
    const rest = nBits & 7;
    if (!rest) return out;
    const full = new Uint8Array(out.length + 1);
    full.set(out);
    full[out.length] = this.readBits(rest, what) << (8 - rest);
    return full;
  }
}
