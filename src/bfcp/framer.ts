import { ErrorCode, HEADER_BYTES } from './constants';
import { BfcpDecodeError } from './errors';

/**
 * Cuts a TCP byte stream into whole BFCP messages by the header's payload length. It holds at most
 * one message's worth: a header announcing more than `maxMessageBytes` is refused at once, so a
 * hostile length cannot make it buffer without bound. After a throw the stream is unusable
 * (framing is lost); the connection should be closed.
 */
export class BfcpStreamFramer {
  private buf = new Uint8Array(0);
  constructor(private readonly maxMessageBytes = 16 * 1024) {}

  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    const out: Uint8Array[] = [];
    let p = 0;
    while (joined.length - p >= 4) {
      const total = HEADER_BYTES + ((joined[p + 2]! << 8) | joined[p + 3]!) * 4;
      if (total > this.maxMessageBytes) {
        this.buf = new Uint8Array(0);
        throw new BfcpDecodeError(`message of ${total} octets exceeds ${this.maxMessageBytes}`, ErrorCode.IncorrectMessageLength);
      }
      if (joined.length - p < total) break;
      out.push(joined.slice(p, p + total));
      p += total;
    }
    this.buf = joined.slice(p);
    return out;
  }

  /** Octets held for an incomplete message. */
  get pending(): number {
    return this.buf.length;
  }
}
