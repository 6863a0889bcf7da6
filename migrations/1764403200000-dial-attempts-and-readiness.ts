import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the bridge did to bring sites in: every dial-out attempt with its outcome, and the readiness
 * sweep (SIP OPTIONS before the start) — both part of the attendance record.
 */
export class DialAttemptsAndReadiness1764403200000 implements MigrationInterface {
  name = 'DialAttemptsAndReadiness1764403200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dial_attempt (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        site_id uuid REFERENCES site (id) ON DELETE SET NULL,
        target text NOT NULL,
        attempt integer NOT NULL CHECK (attempt >= 1),
        call_id text,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        outcome text CHECK (outcome IN
          ('answered', 'busy', 'no-answer', 'unreachable', 'rejected', 'media-mismatch', 'cancelled', 'failed')),
        sip_status integer,
        detail text,
        CONSTRAINT dial_attempt_end_complete CHECK ((ended_at IS NULL) = (outcome IS NULL))
      )`);
    await q.query(`CREATE INDEX dial_attempt_meeting_idx ON dial_attempt (meeting_id, site_id, started_at)`);

    await q.query(`
      CREATE TABLE readiness_check (
        id bigserial PRIMARY KEY,
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        site_id uuid NOT NULL REFERENCES site (id) ON DELETE CASCADE,
        checked_at timestamptz NOT NULL DEFAULT now(),
        target text NOT NULL,
        reachable boolean NOT NULL,
        latency_ms integer,
        sip_status integer,
        detail text
      )`);
    await q.query(`CREATE INDEX readiness_check_meeting_idx ON readiness_check (meeting_id, site_id, checked_at)`);

    // The scheduler's own bookkeeping: when it last swept and when it made the meeting live.
    await q.query(`ALTER TABLE meeting ADD COLUMN went_live_at timestamptz, ADD COLUMN ended_at timestamptz,
                   ADD COLUMN readiness_swept_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE meeting DROP COLUMN went_live_at, DROP COLUMN ended_at, DROP COLUMN readiness_swept_at`);
    await q.query(`DROP TABLE readiness_check`);
    await q.query(`DROP TABLE dial_attempt`);
  }
}
