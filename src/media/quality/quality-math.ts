/**
 * The arithmetic of media quality, kept pure so it can be tested without a call: what the media
 * servers count (cumulative since the stream began) becomes, between two readings, loss, bitrate and
 * an estimated MOS.
 */

/** What a media server has counted for one call's audio since it began. */
export interface MediaCounters {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Packets the caller sent that never arrived (gaps in the RTP sequence numbers); 0 until known. */
  lostIn: number;
  /**
   * The highest (extended) sequence number received from the caller; with lostIn, loss over an
   * interval is Δlost / Δexpected. Null when unknown: packetsIn stands in.
   */
  highestSeqIn: number | null;
  /** The loss the latest report gives for its own period (RTCP "fraction lost"), %; null without one. */
  recentLossIn: number | null;
  /** Packets we sent that the caller reports lost in its RTCP receiver reports; null without them. */
  lostOut: number | null;
  /** The highest sequence number the caller reports receiving from us; null without reports. */
  highestSeqOut: number | null;
  /** Inter-arrival jitter of what we receive, in ms; null when the source does not say. */
  jitterMs: number | null;
  /** Round-trip time from RTCP, in ms; null when the source does not say. */
  rttMs: number | null;
}

/** Quality over one interval between two readings. */
export interface QualitySample {
  intervalMs: number;
  packetsIn: number;
  packetsOut: number;
  lossInPercent: number;
  lossOutPercent: number | null;
  jitterMs: number | null;
  rttMs: number | null;
  bitrateInKbps: number;
  bitrateOutKbps: number;
  mos: number;
}

/** What rtpengine learns from RTCP for a browser call. */
export interface RelayRtcp {
  jitterMs: number | null;
  rttMs: number | null;
  /** Packet loss the far ends report, in percent. */
  lossPercent: number | null;
}

export const ZERO_COUNTERS: MediaCounters = {
  packetsIn: 0,
  packetsOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  lostIn: 0,
  highestSeqIn: null,
  recentLossIn: null,
  lostOut: null,
  highestSeqOut: null,
  jitterMs: null,
  rttMs: null,
};

/** Lost over lost + received, in percent; 0 when nothing was expected. */
export function lossPercent(lost: number, received: number): number {
  const expected = lost + received;
  return expected > 0 ? round((100 * Math.max(0, lost)) / expected, 2) : 0;
}

/**
 * Loss over an interval: from the sequence numbers when both readings have them (Δlost of Δexpected).
 * When only the later one has them (the first report came in this interval), the loss that report
 * gives for its own period (`recent`): its cumulative count would be set against packets counted
 * later, and understate. Without sequence numbers, lost against the packets that came.
 */
export function intervalLoss(
  lost: { from: number; to: number },
  seq: { from: number | null; to: number | null },
  packets: number,
  recent: number | null = null,
): number {
  if (seq.to !== null && seq.from === null) return round(recent ?? 0, 2);
  const dLost = counterDelta(lost.from, lost.to);
  if (seq.from !== null && seq.to !== null && seq.to > seq.from) return Math.min(100, lossPercent(dLost, seq.to - seq.from - dLost));
  return lossPercent(dLost, packets);
}

/** Bytes over a period as kbit/s. */
export function bitrateKbps(bytes: number, ms: number): number {
  return ms > 0 ? round((bytes * 8) / ms, 1) : 0;
}

/** The growth of a counter; a counter that went backwards (the stream restarted) counts from zero. */
export function counterDelta(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

/**
 * A MOS estimate from the ITU-T G.107 E-model in its common simplified form (G.711 assumed, no
 * codec impairment): effective latency = RTT/2 + 2 × jitter + 10 ms, R = 93.2 − latency penalty −
 * 2.5 × loss %, MOS = 1 + 0.035 R + 7·10⁻⁶ R (R − 60)(100 − R), between 1 and 4.5.
 */
export function estimateMos(q: { lossPercent: number; jitterMs: number | null; rttMs: number | null }): number {
  const latency = (q.rttMs ?? 0) / 2 + 2 * (q.jitterMs ?? 0) + 10;
  const latencyPenalty = latency < 160 ? latency / 40 : (latency - 120) / 10;
  const r = Math.min(100, Math.max(0, 93.2 - latencyPenalty - 2.5 * q.lossPercent));
  const mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  return round(Math.min(4.5, Math.max(1, mos)), 2);
}

/** The quality between two readings of the counters `ms` apart. */
export function sampleBetween(previous: MediaCounters, current: MediaCounters, ms: number): QualitySample {
  const packetsIn = counterDelta(previous.packetsIn, current.packetsIn);
  const packetsOut = counterDelta(previous.packetsOut, current.packetsOut);
  const lossInPercent = intervalLoss(
    { from: previous.lostIn, to: current.lostIn },
    { from: previous.highestSeqIn, to: current.highestSeqIn },
    packetsIn,
    current.recentLossIn,
  );
  const lossOutPercent =
    current.lostOut === null
      ? null
      : intervalLoss({ from: previous.lostOut ?? 0, to: current.lostOut }, { from: previous.highestSeqOut, to: current.highestSeqOut }, packetsOut);
  return {
    intervalMs: ms,
    packetsIn,
    packetsOut,
    lossInPercent,
    lossOutPercent,
    jitterMs: current.jitterMs === null ? null : round(current.jitterMs, 1),
    rttMs: current.rttMs === null ? null : round(current.rttMs, 1),
    bitrateInKbps: bitrateKbps(counterDelta(previous.bytesIn, current.bytesIn), ms),
    bitrateOutKbps: bitrateKbps(counterDelta(previous.bytesOut, current.bytesOut), ms),
    // The worse direction decides what the site hears or is heard with.
    mos: estimateMos({ lossPercent: Math.max(lossInPercent, lossOutPercent ?? 0), jitterMs: current.jitterMs, rttMs: current.rttMs }),
  };
}

/**
 * A browser call's sample completed with what rtpengine knows from RTCP (FreeSWITCH, behind
 * rtpengine, sees no RTCP from the browser): it fills jitter, RTT and loss out, and the MOS follows.
 */
export function withRelayRtcp(sample: QualitySample, rtcp: RelayRtcp): QualitySample {
  const jitterMs = rtcp.jitterMs ?? sample.jitterMs;
  const rttMs = rtcp.rttMs ?? sample.rttMs;
  const lossOutPercent = rtcp.lossPercent ?? sample.lossOutPercent;
  return {
    ...sample,
    jitterMs,
    rttMs,
    lossOutPercent,
    mos: estimateMos({ lossPercent: Math.max(sample.lossInPercent, lossOutPercent ?? 0), jitterMs, rttMs }),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
