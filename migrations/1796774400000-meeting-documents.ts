import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Documents attached to a meeting (agenda, reports). The bytes live in the document store under the
 * row's id; the row says what they are: the name as given (NFC), the type found in the bytes, the
 * size and SHA-256 of what was stored.
 */
export class MeetingDocuments1796774400000 implements MigrationInterface {
  name = 'MeetingDocuments1796774400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE meeting_document (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        media_type text NOT NULL,
        size bigint NOT NULL CHECK (size >= 0),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        uploaded_by text NOT NULL,
        uploaded_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX meeting_document_meeting_idx ON meeting_document (meeting_id, uploaded_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE meeting_document`);
  }
}
