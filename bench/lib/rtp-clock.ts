import { createHash } from 'node:crypto';

/**
 * What the content bench's sender and receivers (separate processes) agree on: a clock and a
 * packet's identity. FreeSWITCH rewrites SSRC, sequence numbers and timestamps of what it forwards,
 * so a packet is known by its RTP payload alone.
 */

/** CLOCK_MONOTONIC in ms (µs resolution): the same clock in every process of the box. */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1000n) / 1000;

/** The RTP header's length (CSRCs and a header extension included); NaN when it is not RTP. */
export function rtpHeaderLength(packet: Uint8Array): number {
  if (packet.length < 12 || packet[0]! >> 6 !== 2) return NaN;
  let offset = 12 + 4 * (packet[0]! & 0x0f);
  if (packet[0]! & 0x10) {
    if (offset + 4 > packet.length) return NaN;
    offset += 4 + 4 * ((packet[offset + 2]! << 8) | packet[offset + 3]!);
  }
  return offset < packet.length ? offset : NaN;
}

/** A packet's identity: a hash of its RTP payload (null for RTCP and anything not RTP). */
export function payloadKey(packet: Uint8Array): string | null {
  const pt = packet[1]! & 0x7f;
  if (pt >= 72 && pt <= 76) return null;
  const offset = rtpHeaderLength(packet);
  if (!Number.isFinite(offset)) return null;
  return createHash('md5').update(packet.subarray(offset)).digest('base64').slice(0, 16);
}
