import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Content sharing: each presentation (who held the content floor in which meeting, from when to when,
 * and why it ended), kept for the attendance record; and the booking's floor policy, what a second
 * presenter's request does while someone presents. The presenter is copied as they were (name,
 * protocol), so the record stands when the site or the participation is gone.
 */
export class ContentShares1796947200000 implements MigrationInterface {
  name = 'ContentShares1796947200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE meeting ADD COLUMN content_policy text NOT NULL DEFAULT 'take-over' CHECK (content_policy IN ('take-over', 'queue'))`);
    await q.query(`
      CREATE TABLE content_share (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        participation_id uuid REFERENCES participation (id) ON DELETE SET NULL,
        site_id uuid REFERENCES site (id) ON DELETE SET NULL,
        name text NOT NULL,
        protocol text NOT NULL CHECK (protocol IN ('sip', 'h323', 'webrtc')),
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        end_reason text CHECK (end_reason IN ('released', 'revoked', 'taken-over', 'left', 'ended')),
        CONSTRAINT content_share_end_complete CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
        CONSTRAINT content_share_time_order CHECK (ended_at IS NULL OR ended_at >= started_at)
      )`);
    await q.query(`CREATE INDEX content_share_meeting_idx ON content_share (meeting_id, started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE content_share`);
    await q.query(`ALTER TABLE meeting DROP COLUMN content_policy`);
  }
}
