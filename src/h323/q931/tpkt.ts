/**
 * TPKT framing (RFC 1006 §6) used by H.225.0 call signalling and H.245 over TCP:
 * version 3, a reserved octet, then the packet length (header included) in two octets.
 */
import { Q931DecodeError } from './errors';

export const TPKT_HEADER = 4;

export function tpktFrame(payload: Uint8Array): Uint8Array {
  const len = payload.length + TPKT_HEADER;
  if (len > 0xffff) throw new RangeError(`TPKT payload of ${payload.length} octets is too long`);
  const out = new Uint8Array(len);
  out.set([3, 0, len >> 8, len & 0xff]);
  out.set(payload, TPKT_HEADER);
  return out;
}

/**
 * Incremental de-framer for a TCP byte stream: push() chunks as they arrive, get back every
 * complete payload. A bad header throws Q931DecodeError; the caller should then close the
 * connection, since TCP framing cannot be recovered.
 */
export class TpktReader {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending);
    buf.set(chunk, this.pending.length);
    const out: Uint8Array[] = [];
    let off = 0;
    while (buf.length - off >= TPKT_HEADER) {
      if (buf[off] !== 3) throw new Q931DecodeError(`TPKT version ${buf[off]} (expected 3)`);
      const len = (buf[off + 2]! << 8) | buf[off + 3]!;
      if (len < TPKT_HEADER) throw new Q931DecodeError(`TPKT length ${len} shorter than its header`);
      if (buf.length - off < len) break;
      out.push(buf.slice(off + TPKT_HEADER, off + len));
      off += len;
    }
    this.pending = buf.slice(off);
    return out;
  }

  /** Octets of an incomplete packet still waiting for more data. */
  get buffered(): number {
    return this.pending.length;
  }
}
