import type { Logger } from '../log';
import { sampleBetween, withRelayRtcp, ZERO_COUNTERS, type MediaCounters, type QualitySample, type RelayRtcp } from '../media/quality/quality-math';

/** Where a call's sampler reads from: the FreeSWITCH channel, and rtpengine for a browser. */
export interface QualitySources {
  counters(): Promise<MediaCounters | undefined>;
  /** Null for a call without a relay. */
  rtcp: (() => Promise<RelayRtcp>) | null;
}

/** Ticks a sampler waits for the channel's first RTCP report before sampling without one. */
const WAIT_FOR_RTCP_TICKS = 2;

/** Where samples go (MediaQuality.record, and the metrics). */
export type SampleSink = (sample: QualitySample, final: boolean) => Promise<void>;

/**
 * Samples one call's media every `intervalMs` while it runs, and once more when it ends (`finish`,
 * run by the call's teardown before the channel is hung up, while FreeSWITCH still has its counters).
 * Each sample covers the time since the previous reading. One timer, cleared by `finish`; a reading
 * still running when the next is due is not doubled.
 */
export class QualitySampler {
  #timer: NodeJS.Timeout | null;
  #previous: { counters: MediaCounters; at: number };
  #running: Promise<void> | null = null;
  #finishing: Promise<void> | null = null;
  #latest: (QualitySample & { sampledAt: string }) | null = null;
  #waitedForRtcp = 0;

  constructor(
    private readonly sources: QualitySources,
    private readonly sink: SampleSink,
    intervalMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#previous = { counters: ZERO_COUNTERS, at: now() };
    this.#timer = setInterval(() => void this.#sampleOnce(false), intervalMs);
    this.#timer.unref();
    this.#running = this.#readBaseline().finally(() => {
      this.#running = null;
    });
  }

  /**
   * The counters as the call joins, and again until media flows. FreeSWITCH counts every 20 ms tick
   * without a packet as skipped, also before the first packet arrives: that wait is call setup, not loss.
   */
  async #readBaseline(): Promise<void> {
    try {
      const counters = await this.sources.counters();
      if (counters) this.#previous = { counters, at: this.now() };
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'no media counters at join');
    }
  }

  /** The last sample taken; null before the first. */
  get latest(): (QualitySample & { sampledAt: string }) | null {
    return this.#latest;
  }

  /** Stops the timer and takes the last sample; twice is a no-op. */
  finish(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#finishing ??= (async () => {
      await this.#running;
      await this.#take(true);
    })();
    return this.#finishing;
  }

  /** Stops the timer without a last sample: the call goes on, sampled by another process. */
  abandon(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#finishing ??= Promise.resolve();
  }

  #sampleOnce(final: boolean): void {
    if (this.#running || this.#finishing) return;
    this.#running = this.#take(final).finally(() => {
      this.#running = null;
    });
  }

  async #take(final: boolean): Promise<void> {
    try {
      const counters = await this.sources.counters();
      if (!counters) {
        this.log.debug({ final }, 'no media counters: the channel is gone');
        return;
      }
      const at = this.now();
      if (counters.packetsIn === 0 && !final) {
        this.#previous = { counters, at };
        return;
      }
      // Loss comes from FreeSWITCH's RTCP reports, the first of which takes a few seconds: a sample
      // before it would record 0 % whatever the link. The first sample then covers the time since
      // the call joined. A channel without RTCP is sampled anyway after WAIT_FOR_RTCP_TICKS.
      if (counters.highestSeqIn === null && !final && this.#waitedForRtcp < WAIT_FOR_RTCP_TICKS) {
        this.#waitedForRtcp++;
        return;
      }
      let sample = sampleBetween(this.#previous.counters, counters, Math.max(1, at - this.#previous.at));
      this.#previous = { counters, at };
      if (this.sources.rtcp) {
        const rtcp = await this.sources.rtcp().catch((err: Error) => {
          this.log.debug({ err: err.message }, 'rtpengine query failed');
          return null;
        });
        if (rtcp) sample = withRelayRtcp(sample, rtcp);
      }
      this.#latest = { ...sample, sampledAt: new Date(at).toISOString() };
      await this.sink(sample, final);
    } catch (err) {
      this.log.warn({ err: (err as Error).message, final }, 'media quality sample failed');
    }
  }
}
