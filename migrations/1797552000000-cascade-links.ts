import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The links between a cascaded meeting's FreeSWITCH nodes, so that the process that comes next (a
 * restart, or a standby taking over) takes them over as it takes the calls over, instead of leaving
 * the nodes unlinked or linking them twice.
 */
export class CascadeLinks1797552000000 implements MigrationInterface {
  name = 'CascadeLinks1797552000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cascade_link (
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        secondary_node text NOT NULL,
        primary_node text NOT NULL,
        channel_a text NOT NULL,
        channel_b text NOT NULL,
        opened_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (meeting_id, secondary_node)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cascade_link`);
  }
}
