import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People who sign in to the console: their accounts, their sessions (only a hash of each session
 * token), and the audit log's link to whoever acted.
 */
export class OperatorAccounts1764576000000 implements MigrationInterface {
  name = 'OperatorAccounts1764576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE operator (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL CONSTRAINT operator_username_key UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
        password_hash text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_sign_in_at timestamptz
      )`);
    // Times come from the application's clock, so that expiry is the same rule in code and in the sweep.
    await q.query(`
      CREATE TABLE operator_session (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        operator_id uuid NOT NULL REFERENCES operator (id) ON DELETE CASCADE,
        token_hash text NOT NULL CONSTRAINT operator_session_token_hash_key UNIQUE,
        csrf_token text NOT NULL,
        created_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX operator_session_operator_idx ON operator_session (operator_id)`);
    await q.query(`CREATE INDEX operator_session_expires_idx ON operator_session (expires_at)`);
    // RESTRICT: an operator who acted keeps their account (disabled), so the log names someone real.
    await q.query(`ALTER TABLE audit_event ADD COLUMN operator_id uuid REFERENCES operator (id) ON DELETE RESTRICT`);
    await q.query(`CREATE INDEX audit_event_operator_idx ON audit_event (operator_id) WHERE operator_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_event_operator_idx`);
    await q.query(`ALTER TABLE audit_event DROP COLUMN operator_id`);
    await q.query(`DROP TABLE operator_session`);
    await q.query(`DROP TABLE operator`);
  }
}
