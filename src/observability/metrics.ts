import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { DependencyState } from './dependency-state';
import type { MeetingEvents } from '../meetings/meeting-events';
import type { RecordingStore } from '../recordings/recording-store';

/** What the live call state can tell the metrics at scrape time. */
export interface LiveCounts {
  participantsByProtocol(): Record<string, number>;
  mediaServers(): Record<string, DependencyState>;
  /** Per live meeting, from its calls' latest media samples. */
  qualityByMeeting(): ReadonlyMap<string, MeetingQuality>;
}

/** The latest quality of a meeting's calls, the worst call per figure. */
export interface MeetingQuality {
  calls: number;
  maxLossInPercent: number;
  maxJitterMs: number | null;
  minMos: number;
}

/**
 * Prometheus metrics. Counters are fed as things happen; gauges are read from the database and the
 * live call state when Prometheus scrapes, so they are never stale.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly callSetups: Counter<'status'>;
  readonly dialOutcomes: Counter<'outcome'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  #live: LiveCounts | null = null;

  constructor(ds: DataSource, events: MeetingEvents, recordings?: Pick<RecordingStore, 'freeBytes'>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'diemcau_' });
    this.callSetups = new Counter({
      name: 'diemcau_call_setups_total',
      help: 'Incoming INVITEs by the final response the bridge gave',
      labelNames: ['status'],
      registers: [this.registry],
    });
    this.dialOutcomes = new Counter({
      name: 'diemcau_dial_outcomes_total',
      help: 'Dial-out attempts by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'diemcau_http_request_duration_seconds',
      help: 'API latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    events.subscribe('*', (e) => {
      if (e.type === 'dial.outcome') this.dialOutcomes.inc({ outcome: e.outcome });
    });
    const self = this;
    new Gauge({
      name: 'diemcau_meetings_active',
      help: 'Meetings that are live now',
      registers: [this.registry],
      async collect() {
        const [row] = (await ds.query(`SELECT count(*)::int AS n FROM meeting WHERE status = 'live'`)) as { n: number }[];
        this.set(row!.n);
      },
    });
    new Gauge({
      name: 'diemcau_registrations',
      help: 'Room systems registered now',
      registers: [this.registry],
      async collect() {
        const [row] = (await ds.query(`SELECT count(DISTINCT site_id)::int AS n FROM registration WHERE expires_at > now()`)) as { n: number }[];
        this.set(row!.n);
      },
    });
    new Gauge({
      name: 'diemcau_participants',
      help: 'Participants in meetings now, by protocol',
      labelNames: ['protocol'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [protocol, n] of Object.entries(self.#live?.participantsByProtocol() ?? {})) this.set({ protocol }, n);
      },
    });
    new Gauge({
      name: 'diemcau_media_servers_up',
      help: 'FreeSWITCH servers connected and taking calls',
      registers: [this.registry],
      collect() {
        this.set(Object.values(self.#live?.mediaServers() ?? {}).filter((s) => s === 'up').length);
      },
    });
    if (recordings) {
      new Gauge({
        name: 'diemcau_recordings_free_bytes',
        help: 'Bytes free on the file system of RECORDINGS_DIR (a recording is refused below RECORDING_MIN_FREE_MB)',
        registers: [this.registry],
        async collect() {
          this.set(await recordings.freeBytes());
        },
      });
    }
    this.#qualityGauges();
  }

  /**
   * Media quality per live meeting, labelled by meeting id only: a meeting's worst call per figure,
   * never one series per call. A meeting's series go when it has no call left.
   */
  #qualityGauges(): void {
    const self = this;
    const perMeeting = (name: string, help: string, pick: (q: MeetingQuality) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['meeting'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [meeting, q] of self.#live?.qualityByMeeting() ?? []) {
            const v = pick(q);
            if (v !== null) this.set({ meeting }, v);
          }
        },
      });
    perMeeting(
      'diemcau_media_loss_in_percent',
      'Highest packet loss (%) the bridge receives from one call of the meeting, last sample',
      (q) => q.maxLossInPercent,
    );
    perMeeting('diemcau_media_jitter_ms', 'Highest jitter (ms) of one call of the meeting, last sample', (q) => q.maxJitterMs);
    perMeeting('diemcau_media_mos', 'Lowest estimated MOS of one call of the meeting, last sample', (q) => q.minMos);
    perMeeting('diemcau_media_sampled_calls', 'Calls of the meeting with a media quality sample', (q) => q.calls);
  }

  /** Attaches the SIP side once it exists (the API may run without it). */
  observe(live: LiveCounts): void {
    this.#live = live;
  }
}
