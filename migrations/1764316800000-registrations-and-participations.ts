import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where each room system is registered, and every time a caller was in a meeting.
 * A participation is open while left_at is null; last_seen_at is refreshed while the call lives, so
 * a crash can be closed at the last moment the call was known to be up rather than at restart time.
 */
export class RegistrationsAndParticipations1764316800000 implements MigrationInterface {
  name = 'RegistrationsAndParticipations1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registration (
        id bigserial PRIMARY KEY,
        site_id uuid NOT NULL REFERENCES site (id) ON DELETE CASCADE,
        contact text NOT NULL,
        call_id text NOT NULL,
        cseq integer NOT NULL,
        user_agent text,
        source_address text NOT NULL,
        source_port integer NOT NULL,
        transport text NOT NULL,
        registered_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT registration_site_contact_key UNIQUE (site_id, contact)
      )`);
    await q.query(`CREATE INDEX registration_expires_idx ON registration (expires_at)`);

    await q.query(`
      CREATE TABLE participation (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        site_id uuid REFERENCES site (id) ON DELETE SET NULL,
        display_name text NOT NULL,
        call_id text NOT NULL,
        source text NOT NULL,
        protocol text NOT NULL CHECK (protocol IN ('sip', 'h323', 'webrtc')),
        direction text NOT NULL CHECK (direction IN ('in', 'out')),
        audio_codec text,
        video_codec text,
        moderator boolean NOT NULL DEFAULT false,
        media_server text,
        member_id integer,
        joined_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        left_at timestamptz,
        end_reason text CHECK (end_reason IN
          ('caller-hangup', 'bridge-hangup', 'kicked', 'meeting-ended', 'media-failure', 'pin-failed', 'shutdown', 'crash')),
        CONSTRAINT participation_end_complete CHECK ((left_at IS NULL) = (end_reason IS NULL)),
        CONSTRAINT participation_time_order CHECK (left_at IS NULL OR left_at >= joined_at)
      )`);
    await q.query(`CREATE INDEX participation_meeting_idx ON participation (meeting_id, joined_at)`);
    await q.query(`CREATE INDEX participation_open_idx ON participation (meeting_id) WHERE left_at IS NULL`);
    await q.query(`CREATE INDEX participation_site_open_idx ON participation (site_id) WHERE left_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE participation`);
    await q.query(`DROP TABLE registration`);
  }
}
