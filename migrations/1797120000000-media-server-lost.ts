import type { MigrationInterface, QueryRunner } from 'typeorm';

const BEFORE = `'caller-hangup', 'bridge-hangup', 'kicked', 'meeting-ended', 'media-failure', 'pin-failed', 'shutdown', 'crash'`;

/**
 * A participation can end because its FreeSWITCH node died (`media-server-lost`): the bridge calls
 * the site back onto another node, so attendance shows two segments and why the first ended. Kept
 * apart from `media-failure` (a call the media server could not set up), which is never called back.
 */
export class MediaServerLost1797120000000 implements MigrationInterface {
  name = 'MediaServerLost1797120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE participation DROP CONSTRAINT participation_end_reason_check`);
    await q.query(`ALTER TABLE participation ADD CONSTRAINT participation_end_reason_check CHECK (end_reason IN (${BEFORE}, 'media-server-lost'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE participation SET end_reason = 'media-failure' WHERE end_reason = 'media-server-lost'`);
    await q.query(`ALTER TABLE participation DROP CONSTRAINT participation_end_reason_check`);
    await q.query(`ALTER TABLE participation ADD CONSTRAINT participation_end_reason_check CHECK (end_reason IN (${BEFORE}))`);
  }
}
