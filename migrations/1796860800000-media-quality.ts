import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Media quality per participation, one row per sample (a minute by default, and a last one when the
 * call ends): what the media server counted over the interval and what follows from it. site_id and
 * meeting_id are copied from the participation so the per-site history and the poor-links report
 * read one table. Rows go with their participation.
 */
export class MediaQuality1796860800000 implements MigrationInterface {
  name = 'MediaQuality1796860800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE media_sample (
        id bigserial PRIMARY KEY,
        participation_id uuid NOT NULL REFERENCES participation (id) ON DELETE CASCADE,
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        site_id uuid REFERENCES site (id) ON DELETE SET NULL,
        sampled_at timestamptz NOT NULL DEFAULT now(),
        interval_ms integer NOT NULL CHECK (interval_ms > 0),
        final boolean NOT NULL DEFAULT false,
        packets_in bigint NOT NULL CHECK (packets_in >= 0),
        packets_out bigint NOT NULL CHECK (packets_out >= 0),
        loss_in_percent real NOT NULL CHECK (loss_in_percent BETWEEN 0 AND 100),
        loss_out_percent real CHECK (loss_out_percent BETWEEN 0 AND 100),
        jitter_ms real CHECK (jitter_ms >= 0),
        rtt_ms real CHECK (rtt_ms >= 0),
        bitrate_in_kbps real NOT NULL CHECK (bitrate_in_kbps >= 0),
        bitrate_out_kbps real NOT NULL CHECK (bitrate_out_kbps >= 0),
        mos real NOT NULL CHECK (mos BETWEEN 1 AND 5)
      )`);
    await q.query(`CREATE INDEX media_sample_participation_idx ON media_sample (participation_id, sampled_at)`);
    await q.query(`CREATE INDEX media_sample_site_idx ON media_sample (site_id, sampled_at) WHERE site_id IS NOT NULL`);
    await q.query(`CREATE INDEX media_sample_time_idx ON media_sample (sampled_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE media_sample`);
  }
}
