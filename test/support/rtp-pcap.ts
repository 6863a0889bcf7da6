import { writePcap } from '../h323/support/pcap';
import { ulawEncode } from './rtp-peer';

/**
 * A pcap of one PCMU stream (20 ms packets, a 440 Hz tone) for sipp's play_pcap_audio: `seconds` long,
 * with every `dropEvery`-th packet left out (sequence numbers and timestamps keep counting, so the
 * receiver sees the gaps as loss). sipp rewrites the addresses and ports as it plays.
 */
export function pcmuStreamPcap(opts: { seconds: number; dropEvery?: number }): Uint8Array {
  const packets = Math.round(opts.seconds * 50);
  const ssrc = 0x5151_d1e0;
  const out: Parameters<typeof writePcap>[0][number][] = [];
  for (let n = 0; n < packets; n++) {
    if (opts.dropEvery && (n + 1) % opts.dropEvery === 0) continue;
    const rtp = new Uint8Array(12 + 160);
    const dv = new DataView(rtp.buffer);
    rtp[0] = 0x80;
    rtp[1] = n === 0 ? 0x80 : 0; // PCMU, marker on the first
    dv.setUint16(2, n & 0xffff);
    dv.setUint32(4, n * 160);
    dv.setUint32(8, ssrc);
    for (let i = 0; i < 160; i++) rtp[12 + i] = ulawEncode(Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000)));
    out.push({ proto: 'udp', sport: 6000, dport: 6000, payload: rtp, atMs: n * 20 });
  }
  return writePcap(out);
}
