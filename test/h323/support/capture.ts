/**
 * Pulls the H.323 PDUs out of a capture: RAS datagrams (UDP 1719), Q.931 messages from TPKT
 * on TCP 1720, and H.245 PDUs from TPKT on any other TCP stream (the separate H.245 channel).
 * Each PDU carries the frame number its last octet arrived in, as tshark reports it.
 */
import { TpktReader } from '../../../src/h323/q931/tpkt';
import { readPcap, reassembleTcp } from './pcap';

export interface CapturedPdu {
  readonly frame: number;
  readonly kind: 'ras' | 'q931' | 'h245';
  readonly bytes: Uint8Array;
}

export function capturedPdus(file: Uint8Array): CapturedPdu[] {
  const datagrams = readPcap(file);
  const out: CapturedPdu[] = [];
  for (const d of datagrams) {
    if (d.proto === 'udp' && (d.sport === 1719 || d.dport === 1719)) out.push({ frame: d.frame, kind: 'ras', bytes: d.payload });
  }
  for (const s of reassembleTcp(datagrams)) {
    const kind = s.sport === 1720 || s.dport === 1720 ? 'q931' : 'h245';
    const reader = new TpktReader();
    let offset = 0;
    // Feed the stream in one go but find each packet's end offset for its frame number.
    for (const payload of reader.push(s.data)) {
      offset += payload.length + 4;
      out.push({ frame: s.frameAt(offset - 1), kind, bytes: payload });
    }
  }
  return out.sort((a, b) => a.frame - b.frame);
}
