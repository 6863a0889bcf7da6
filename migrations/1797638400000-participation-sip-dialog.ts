import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * drachtio-server's id of each SIP call's dialog with its caller, so that the process that takes a
 * call over after a restart can still end it in that dialog (a kick, the meeting's end) and knows
 * the caller's BYE for it.
 */
export class ParticipationSipDialog1797638400000 implements MigrationInterface {
  name = 'ParticipationSipDialog1797638400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE participation ADD COLUMN sip_dialog text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE participation DROP COLUMN sip_dialog`);
  }
}
