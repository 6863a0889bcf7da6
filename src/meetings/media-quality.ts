import type { DataSource } from 'typeorm';
import type { QualitySample } from '../media/quality/quality-math';

/** One stored sample, as the API gives it. */
export interface StoredSample extends QualitySample {
  participationId: string;
  meetingId: string;
  siteId: string | null;
  sampledAt: string;
  final: boolean;
}

/** A site whose link was poor over a period: its averages, and how many samples crossed a limit. */
export interface PoorLink {
  siteId: string;
  siteName: string;
  samples: number;
  poorSamples: number;
  avgLossInPercent: number;
  maxLossInPercent: number;
  avgJitterMs: number | null;
  avgMos: number;
  minMos: number;
}

interface SampleRow {
  participation_id: string;
  meeting_id: string;
  site_id: string | null;
  sampled_at: Date;
  final: boolean;
  interval_ms: number;
  packets_in: string;
  packets_out: string;
  loss_in_percent: number;
  loss_out_percent: number | null;
  jitter_ms: number | null;
  rtt_ms: number | null;
  bitrate_in_kbps: number;
  bitrate_out_kbps: number;
  mos: number;
}

const COLUMNS = `participation_id, meeting_id, site_id, sampled_at, final, interval_ms, packets_in, packets_out, loss_in_percent,
  loss_out_percent, jitter_ms, rtt_ms, bitrate_in_kbps, bitrate_out_kbps, mos`;

/** The media_sample table: per participation, per interval. */
export class MediaQuality {
  constructor(private readonly ds: DataSource) {}

  async record(participationId: string, sample: QualitySample, final: boolean): Promise<void> {
    // meeting and site come from the participation row, so a sample cannot disagree with it.
    await this.ds.query(
      `INSERT INTO media_sample (participation_id, meeting_id, site_id, final, interval_ms, packets_in, packets_out, loss_in_percent,
         loss_out_percent, jitter_ms, rtt_ms, bitrate_in_kbps, bitrate_out_kbps, mos)
       SELECT id, meeting_id, site_id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM participation WHERE id = $1`,
      [
        participationId,
        final,
        Math.max(1, Math.round(sample.intervalMs)),
        sample.packetsIn,
        sample.packetsOut,
        sample.lossInPercent,
        sample.lossOutPercent,
        sample.jitterMs,
        sample.rttMs,
        sample.bitrateInKbps,
        sample.bitrateOutKbps,
        sample.mos,
      ],
    );
  }

  async forParticipation(participationId: string): Promise<StoredSample[]> {
    const rows = (await this.ds.query(`SELECT ${COLUMNS} FROM media_sample WHERE participation_id = $1 ORDER BY sampled_at, id`, [
      participationId,
    ])) as SampleRow[];
    return rows.map(toSample);
  }

  /** A site's samples in [from, to), oldest first; at most `limit`. */
  async siteHistory(siteId: string, from: Date, to: Date, limit: number): Promise<StoredSample[]> {
    const rows = (await this.ds.query(
      `SELECT ${COLUMNS} FROM media_sample WHERE site_id = $1 AND sampled_at >= $2 AND sampled_at < $3 ORDER BY sampled_at, id LIMIT $4`,
      [siteId, from, to, limit],
    )) as SampleRow[];
    return rows.map(toSample);
  }

  /**
   * Sites with at least one sample in [from, to) whose loss in reached `lossPercent` or whose MOS fell
   * to `mos` or below, worst average MOS first.
   */
  async poorLinks(from: Date, to: Date, limits: { lossPercent: number; mos: number }): Promise<PoorLink[]> {
    const rows = (await this.ds.query(
      `SELECT s.site_id, site.name AS site_name, count(*)::int AS samples,
              count(*) FILTER (WHERE s.loss_in_percent >= $3 OR s.mos <= $4)::int AS poor_samples,
              avg(s.loss_in_percent)::float8 AS avg_loss, max(s.loss_in_percent)::float8 AS max_loss,
              avg(s.jitter_ms)::float8 AS avg_jitter, avg(s.mos)::float8 AS avg_mos, min(s.mos)::float8 AS min_mos
         FROM media_sample s JOIN site ON site.id = s.site_id
        WHERE s.sampled_at >= $1 AND s.sampled_at < $2
        GROUP BY s.site_id, site.name
       HAVING count(*) FILTER (WHERE s.loss_in_percent >= $3 OR s.mos <= $4) > 0
        ORDER BY avg(s.mos), s.site_id`,
      [from, to, limits.lossPercent, limits.mos],
    )) as {
      site_id: string;
      site_name: string;
      samples: number;
      poor_samples: number;
      avg_loss: number;
      max_loss: number;
      avg_jitter: number | null;
      avg_mos: number;
      min_mos: number;
    }[];
    const r2 = (n: number) => Math.round(n * 100) / 100;
    return rows.map((r) => ({
      siteId: r.site_id,
      siteName: r.site_name,
      samples: r.samples,
      poorSamples: r.poor_samples,
      avgLossInPercent: r2(r.avg_loss),
      maxLossInPercent: r2(r.max_loss),
      avgJitterMs: r.avg_jitter === null ? null : r2(r.avg_jitter),
      avgMos: r2(r.avg_mos),
      minMos: r2(r.min_mos),
    }));
  }
}

function toSample(r: SampleRow): StoredSample {
  return {
    participationId: r.participation_id,
    meetingId: r.meeting_id,
    siteId: r.site_id,
    sampledAt: r.sampled_at.toISOString(),
    final: r.final,
    intervalMs: r.interval_ms,
    packetsIn: Number(r.packets_in),
    packetsOut: Number(r.packets_out),
    lossInPercent: r.loss_in_percent,
    lossOutPercent: r.loss_out_percent,
    jitterMs: r.jitter_ms,
    rttMs: r.rtt_ms,
    bitrateInKbps: r.bitrate_in_kbps,
    bitrateOutKbps: r.bitrate_out_kbps,
    mos: r.mos,
  };
}
