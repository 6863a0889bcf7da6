import type { MediaCounters, RelayRtcp } from './quality-math';

/**
 * Reading the counters out of what FreeSWITCH and rtpengine answer. Both parsers take the decoded
 * reply as `unknown` and keep only numbers, so a changed or partial reply gives nulls, never NaN.
 */

type Dict = Record<string, unknown>;
const dict = (v: unknown): Dict | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Dict) : undefined);
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() && Number.isFinite(Number(v)) ? Number(v) : undefined;

/** One RTCP report block as FreeSWITCH's SEND_/RECV_RTCP_MESSAGE events give it. */
export interface RtcpReport {
  /** Cumulative packets lost (RFC 3550 §6.4.1). */
  lost: number;
  /** Extended highest sequence number received. */
  highestSeq: number;
  /** Fraction lost since the previous report, in 1/256. */
  fraction: number;
  /** Middle 32 bits of the NTP time of the last SR the reporter got from us, and its delay since, 1/65536 s. */
  lsr: number;
  dlsr: number;
  /** When FreeSWITCH sent or received the report, µs since 1970. */
  captureUs: number;
}

/** The report block of an RTCP event (`Source-Lost`, `Source-Highest-Sequence-Number-Received`…); undefined without one. */
export function rtcpReportFromEvent(header: (name: string) => string | undefined): RtcpReport | undefined {
  const lost = num(header('Source-Lost'));
  const highestSeq = num(header('Source-Highest-Sequence-Number-Received'));
  if (lost === undefined || highestSeq === undefined) return undefined;
  return {
    lost,
    highestSeq,
    fraction: num(header('Source-Fraction')) ?? 0,
    lsr: num(header('Source-LSR')) ?? 0,
    dlsr: num(header('Source-DLSR')) ?? 0,
    captureUs: num(header('Capture-Time')) ?? 0,
  };
}

/** Seconds from 1900 (NTP) to 1970 (Unix). */
const NTP_UNIX_OFFSET = 2_208_988_800;

/**
 * Round-trip time from a receiver report the far end sent us (RFC 3550 §6.4.1): arrival − LSR − DLSR,
 * all in the middle 32 bits of NTP time. Null when the far end has had no SR from us yet (LSR 0), or
 * the result is not plausible.
 */
export function rttFromReport(r: Pick<RtcpReport, 'lsr' | 'dlsr' | 'captureUs'>): number | null {
  if (!r.lsr || !r.captureUs) return null;
  const seconds = Math.floor(r.captureUs / 1e6) + NTP_UNIX_OFFSET;
  const fraction = Math.floor(((r.captureUs % 1e6) / 1e6) * 65536);
  const arrival = (((seconds & 0xffff) << 16) | fraction) >>> 0;
  const rtt = (arrival - r.lsr - r.dlsr + 2 ** 32) % 2 ** 32;
  const ms = (rtt / 65536) * 1000;
  return ms < 60_000 ? ms : null;
}

/**
 * The channel's counters completed with its RTCP: the reports FreeSWITCH sends (what it receives: loss
 * from sequence numbers) and those it receives (what the far end receives from us, and the RTT).
 */
export function withFreeswitchRtcp(c: MediaCounters, sent: RtcpReport | undefined, received: RtcpReport | undefined): MediaCounters {
  return {
    ...c,
    ...(sent && { lostIn: sent.lost, highestSeqIn: sent.highestSeq, recentLossIn: (100 * sent.fraction) / 256 }),
    ...(received && { lostOut: received.lost, highestSeqOut: received.highestSeq, rttMs: rttFromReport(received) }),
  };
}

/**
 * FreeSWITCH 1.10+ `json {"command":"mediaStats","data":{"uuid":…}}` (mod_commands): the live
 * switch_rtp counters of the channel's audio. Loss is not taken from it: its `in_skip_packet_count`
 * counts 20 ms read ticks that found no packet, which a late (bursty) sender and the wait for the
 * first packet inflate as much as real loss. Loss comes from the channel's RTCP reports, from
 * sequence numbers (withFreeswitchRtcp); until the first one it is 0. `in_jitter_max_variance` is FreeSWITCH's inter-arrival variance in ms²,
 * reported as its square root. Undefined when the reply is not a success (the channel is gone).
 */
export function countersFromFreeswitch(reply: unknown): MediaCounters | undefined {
  const root = dict(reply);
  if (root?.['status'] !== 'success') return undefined;
  const audio = dict(dict(root['response'])?.['audio']);
  if (!audio) return undefined;
  const variance = num(audio['in_jitter_max_variance']);
  return {
    packetsIn: num(audio['in_media_packet_count']) ?? num(audio['in_packet_count']) ?? 0,
    packetsOut: num(audio['out_media_packet_count']) ?? num(audio['out_packet_count']) ?? 0,
    bytesIn: num(audio['in_media_bytes']) ?? num(audio['in_raw_bytes']) ?? 0,
    bytesOut: num(audio['out_media_bytes']) ?? num(audio['out_raw_bytes']) ?? 0,
    lostIn: 0,
    highestSeqIn: null,
    recentLossIn: null,
    lostOut: null,
    highestSeqOut: null,
    jitterMs: variance === undefined ? null : Math.sqrt(Math.max(0, variance)),
    rttMs: null,
  };
}

/**
 * rtpengine's `query` reply: per SSRC, the `average MOS` block it builds from RTCP (`round-trip time`
 * in µs, `jitter` in ms, `packet loss` in percent). The worst SSRC is taken.
 */
export function rtcpFromRtpengine(reply: unknown): RelayRtcp {
  const ssrcs = dict(dict(reply)?.['SSRC']) ?? {};
  let jitterMs: number | null = null;
  let rttMs: number | null = null;
  let lossPercent: number | null = null;
  const worst = (a: number | null, b: number | undefined) => (b === undefined ? a : Math.max(a ?? b, b));
  for (const s of Object.values(ssrcs)) {
    const avg = dict(dict(s)?.['average MOS']);
    if (!avg) continue;
    const rtt = num(avg['round-trip time']);
    jitterMs = worst(jitterMs, num(avg['jitter']));
    rttMs = worst(rttMs, rtt === undefined || rtt === 0 ? undefined : rtt / 1000);
    lossPercent = worst(lossPercent, num(avg['packet loss']));
  }
  return { jitterMs, rttMs, lossPercent };
}
