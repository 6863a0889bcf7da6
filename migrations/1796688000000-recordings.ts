import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Meeting recordings. A booking says whether the meeting is recorded from the start; each file
 * FreeSWITCH writes has a row from the moment recording starts (so a crash leaves evidence of a file
 * that was never closed), completed with its end, size and checksum once FreeSWITCH closed it.
 */
export class Recordings1796688000000 implements MigrationInterface {
  name = 'Recordings1796688000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE meeting ADD COLUMN record boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE recording (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        file_name text NOT NULL CONSTRAINT recording_file_name_key UNIQUE
          CONSTRAINT recording_file_name_format CHECK (file_name ~ '^[A-Za-z0-9._-]+$'),
        format text NOT NULL CHECK (format IN ('mp4', 'wav')),
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        size_bytes bigint,
        sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX recording_meeting_idx ON recording (meeting_id, started_at)`);
    await q.query(`CREATE INDEX recording_started_idx ON recording (started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE recording`);
    await q.query(`ALTER TABLE meeting DROP COLUMN record`);
  }
}
