import type { MigrationInterface, QueryRunner } from 'typeorm';

const BEFORE = `'answered', 'busy', 'no-answer', 'unreachable', 'rejected', 'media-mismatch', 'cancelled', 'failed'`;

/**
 * A dial-out attempt the site answered but the bridge could not put into its conference (FreeSWITCH
 * did not report the join in time, or refused it): `bridge-error`, retried within seconds, where it
 * was recorded as `media-mismatch` and retried a minute later, as if the site's codec were at fault.
 */
export class DialOutcomeBridgeError1797292800000 implements MigrationInterface {
  name = 'DialOutcomeBridgeError1797292800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dial_attempt DROP CONSTRAINT dial_attempt_outcome_check`);
    await q.query(`ALTER TABLE dial_attempt ADD CONSTRAINT dial_attempt_outcome_check CHECK (outcome IN (${BEFORE}, 'bridge-error'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE dial_attempt SET outcome = 'media-mismatch' WHERE outcome = 'bridge-error'`);
    await q.query(`ALTER TABLE dial_attempt DROP CONSTRAINT dial_attempt_outcome_check`);
    await q.query(`ALTER TABLE dial_attempt ADD CONSTRAINT dial_attempt_outcome_check CHECK (outcome IN (${BEFORE}))`);
  }
}
