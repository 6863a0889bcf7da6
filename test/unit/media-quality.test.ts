import assert from 'node:assert/strict';
import { QualitySampler } from '../../src/calls/quality-sampler';
import { silentLogger } from '../../src/log';
import { countersFromFreeswitch, rtcpFromRtpengine, rtcpReportFromEvent, rttFromReport, withFreeswitchRtcp } from '../../src/media/quality/media-stats';
import {
  bitrateKbps,
  counterDelta,
  estimateMos,
  intervalLoss,
  lossPercent,
  sampleBetween,
  withRelayRtcp,
  ZERO_COUNTERS,
  type MediaCounters,
  type QualitySample,
} from '../../src/media/quality/quality-math';

const counters = (over: Partial<MediaCounters>): MediaCounters => ({ ...ZERO_COUNTERS, ...over });

describe('media quality arithmetic', () => {
  it('loss is lost over expected, in percent', () => {
    assert.equal(lossPercent(0, 500), 0);
    assert.equal(lossPercent(50, 450), 10);
    assert.equal(lossPercent(1, 2), 33.33);
    assert.equal(lossPercent(0, 0), 0, 'nothing expected: no loss');
    assert.equal(lossPercent(-3, 10), 0, 'a negative count is no loss');
  });

  it('loss over an interval from sequence numbers when both readings have them', () => {
    assert.equal(intervalLoss({ from: 19, to: 39 }, { from: 196, to: 396 }, 150), 10, 'Δlost 20 of Δexpected 200');
    assert.equal(intervalLoss({ from: 0, to: 20 }, { from: null, to: 396 }, 180, 9.375), 9.38, 'the first report: the loss it gives for its own period');
    assert.equal(intervalLoss({ from: 4, to: 9 }, { from: null, to: null }, 45), 10, 'no reports: against the packets that came');
    assert.equal(intervalLoss({ from: 5, to: 5 }, { from: 100, to: 100 }, 0), 0, 'nothing new');
  });

  it('bitrate from bytes and milliseconds', () => {
    assert.equal(bitrateKbps(10_000, 1000), 80);
    assert.equal(bitrateKbps(480_000, 60_000), 64);
    assert.equal(bitrateKbps(1000, 0), 0);
  });

  it('a counter that went backwards counts from zero', () => {
    assert.equal(counterDelta(100, 250), 150);
    assert.equal(counterDelta(900, 40), 40);
  });

  it('estimates MOS with the simplified E-model', () => {
    assert.equal(estimateMos({ lossPercent: 0, jitterMs: null, rttMs: null }), 4.4, 'a clean G.711 call');
    const tenPercent = estimateMos({ lossPercent: 10, jitterMs: null, rttMs: null });
    assert.ok(tenPercent > 3 && tenPercent < 3.7, `10 % loss: ${tenPercent}`);
    assert.ok(estimateMos({ lossPercent: 0, jitterMs: 40, rttMs: 300 }) < estimateMos({ lossPercent: 0, jitterMs: 0, rttMs: 20 }), 'delay costs');
    assert.equal(estimateMos({ lossPercent: 60, jitterMs: null, rttMs: null }), 1, 'floored at 1');
    for (let loss = 0; loss <= 100; loss += 5) {
      const mos = estimateMos({ lossPercent: loss, jitterMs: 20, rttMs: 100 });
      assert.ok(mos >= 1 && mos <= 4.5);
    }
  });

  it('samples the interval between two readings', () => {
    const s = sampleBetween(
      counters({ packetsIn: 1000, packetsOut: 1000, bytesIn: 172_000, bytesOut: 172_000, lostIn: 10 }),
      counters({ packetsIn: 3700, packetsOut: 4000, bytesIn: 688_000, bytesOut: 688_000, lostIn: 310, jitterMs: 3.456 }),
      60_000,
    );
    assert.deepEqual(s, {
      intervalMs: 60_000,
      packetsIn: 2700,
      packetsOut: 3000,
      lossInPercent: 10,
      lossOutPercent: null,
      jitterMs: 3.5,
      rttMs: null,
      bitrateInKbps: 68.8,
      bitrateOutKbps: 68.8,
      mos: estimateMos({ lossPercent: 10, jitterMs: 3.456, rttMs: null }),
    });
  });

  it('completes a browser sample with what rtpengine learnt from RTCP', () => {
    const base = sampleBetween(ZERO_COUNTERS, counters({ packetsIn: 100, packetsOut: 100 }), 2000);
    const s = withRelayRtcp(base, { jitterMs: 12, rttMs: 80, lossPercent: 5 });
    assert.equal(s.jitterMs, 12);
    assert.equal(s.rttMs, 80);
    assert.equal(s.lossOutPercent, 5);
    assert.equal(s.mos, estimateMos({ lossPercent: 5, jitterMs: 12, rttMs: 80 }));
    assert.deepEqual(withRelayRtcp(base, { jitterMs: null, rttMs: null, lossPercent: null }), base);
  });
});

describe('reading the media servers', () => {
  it('reads FreeSWITCH mediaStats (as FreeSWITCH 1.11 answered it)', () => {
    const reply = {
      command: 'mediaStats',
      status: 'success',
      response: {
        audio: {
          in_raw_bytes: 94256,
          in_media_bytes: 94256,
          in_packet_count: 548,
          in_media_packet_count: 548,
          in_skip_packet_count: 69,
          in_jitter_max_variance: 188.45833333333334,
          out_raw_bytes: 104576,
          out_media_bytes: 104576,
          out_packet_count: 608,
          out_media_packet_count: 608,
          rtcp_packet_count: 0,
        },
      },
    };
    const c = countersFromFreeswitch(reply)!;
    assert.equal(c.packetsIn, 548);
    assert.equal(c.packetsOut, 608);
    assert.equal(c.bytesIn, 94256);
    assert.equal(c.bytesOut, 104576);
    assert.equal(c.lostIn, 0, 'in_skip_packet_count is timing, not loss');
    assert.equal(c.lostOut, null);
    assert.equal(c.rttMs, null);
    assert.ok(Math.abs(c.jitterMs! - Math.sqrt(188.458)) < 0.01);
    assert.equal(countersFromFreeswitch({ command: 'mediaStats', status: 'error', message: 'no such uuid' }), undefined);
    assert.equal(countersFromFreeswitch(null), undefined);
    assert.equal(countersFromFreeswitch({ status: 'success', response: { audio: { in_packet_count: 'x' } } })!.packetsIn, 0, 'garbage is no number');
  });

  it('reads the report block of FreeSWITCH’s RTCP events, and the RTT from LSR and DLSR', () => {
    const headers: Record<string, string> = {
      'Event-Name': 'SEND_RTCP_MESSAGE',
      'Source-Lost': '19',
      'Source-Fraction': '24',
      'Source-Highest-Sequence-Number-Received': '196',
      'Source-LSR': '0',
      'Source-DLSR': '0',
      'Capture-Time': '1796612912919686',
    };
    const sent = rtcpReportFromEvent((h) => headers[h])!;
    assert.deepEqual(sent, { lost: 19, highestSeq: 196, fraction: 24, lsr: 0, dlsr: 0, captureUs: 1796612912919686 });
    assert.equal(
      rtcpReportFromEvent(() => undefined),
      undefined,
    );
    assert.equal(rttFromReport(sent), null, 'no SR from us yet');
    // An SR sent at t, its report back at t + 130 ms after a 30 ms hold: RTT 100 ms.
    const t = 1796612912_000_000;
    const ntp32 = (us: number) => ((((Math.floor(us / 1e6) + 2_208_988_800) & 0xffff) << 16) | Math.floor(((us % 1e6) / 1e6) * 65536)) >>> 0;
    const rtt = rttFromReport({ lsr: ntp32(t), dlsr: Math.round(0.03 * 65536), captureUs: t + 130_000 })!;
    assert.ok(Math.abs(rtt - 100) < 0.1, `${rtt}`);
    const c = withFreeswitchRtcp(counters({ packetsIn: 180, lostIn: 30 }), sent, {
      ...sent,
      lost: 3,
      highestSeq: 200,
      lsr: ntp32(t),
      dlsr: 0,
      captureUs: t + 50_000,
    });
    assert.deepEqual([c.lostIn, c.highestSeqIn, c.recentLossIn, c.lostOut, c.highestSeqOut, Math.round(c.rttMs!)], [19, 196, 9.375, 3, 200, 50]);
    assert.deepEqual(withFreeswitchRtcp(c, undefined, undefined), c, 'no report: counters as they were');
  });

  it('reads rtpengine query: the worst SSRC', () => {
    const reply = {
      result: 'ok',
      SSRC: {
        '1234': { 'average MOS': { MOS: 43, 'round-trip time': 40_000, jitter: 3, 'packet loss': 0 } },
        '5678': { 'average MOS': { MOS: 30, 'round-trip time': 120_000, jitter: 25, 'packet loss': 7 } },
        '9': { bytes: 10 },
      },
    };
    assert.deepEqual(rtcpFromRtpengine(reply), { jitterMs: 25, rttMs: 120, lossPercent: 7 });
    assert.deepEqual(rtcpFromRtpengine({ result: 'ok' }), { jitterMs: null, rttMs: null, lossPercent: null });
  });
});

describe('QualitySampler', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('samples on its interval, then once more on finish, and leaves no timer', async () => {
    let reading = counters({});
    const got: { sample: QualitySample; final: boolean }[] = [];
    const sampler = new QualitySampler(
      { counters: async () => reading, rtcp: null },
      async (sample, final) => void got.push({ sample, final }),
      30,
      silentLogger,
    );
    reading = counters({ packetsIn: 90, lostIn: 10, highestSeqIn: 99, recentLossIn: 10, packetsOut: 100 });
    await sleep(45);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.sample.lossInPercent, 10);
    assert.equal(got[0]!.final, false);
    reading = counters({ packetsIn: 190, lostIn: 10, highestSeqIn: 199, packetsOut: 200 });
    await sampler.finish();
    await sampler.finish();
    assert.equal(got.length, 2, 'one last sample, however often finish is called');
    assert.deepEqual([got[1]!.final, got[1]!.sample.packetsIn, got[1]!.sample.lossInPercent], [true, 100, 0]);
    assert.equal(sampler.latest!.packetsIn, 100);
    await sleep(80);
    assert.equal(got.length, 2, 'no sample after finish');
  });

  it('waits two ticks for the first RTCP report, then samples without it', async () => {
    // Counted in reads, not in time: a loaded machine runs late ticks back to back.
    let reads = 0;
    const readsAtSample: number[] = [];
    const got: QualitySample[] = [];
    const sampler = new QualitySampler(
      {
        counters: async () => {
          reads++;
          return counters({ packetsIn: 50 });
        },
        rtcp: null,
      },
      async (s) => {
        got.push(s);
        readsAtSample.push(reads);
      },
      20,
      silentLogger,
    );
    while (!got.length) await sleep(10);
    assert.equal(readsAtSample[0], 4, 'the baseline at join, two ticks waiting for a report, then the first sample');
    assert.ok(got[0]!.intervalMs >= 55, 'the first sample covers the time since the call joined');
    await sampler.finish();
  });

  it('records nothing once the channel is gone, and survives a failing store', async () => {
    const got: boolean[] = [];
    let gone = false;
    const sampler = new QualitySampler(
      {
        counters: async () => (gone ? undefined : counters({ packetsIn: 5, highestSeqIn: 4 })),
        rtcp: async () => ({ jitterMs: 4, rttMs: 50, lossPercent: null }),
      },
      async (_s, final) => {
        got.push(final);
        throw new Error('database down');
      },
      20,
      silentLogger,
    );
    await sleep(30);
    assert.equal(sampler.latest?.rttMs, 50, 'rtpengine fills RTT');
    gone = true;
    await sampler.finish();
    assert.ok(!got.includes(true), 'no last sample without counters');
  });
});
