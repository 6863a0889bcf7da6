import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Site groups ("all communes", a cluster of communes), so a booking can invite a group instead of
 * listing each site, and the groups each meeting was booked with.
 *
 * A booking expands its groups into meeting_site when it is made, so the exclusion constraint on
 * meeting_site still decides every conflict. meeting_group is a record of what the booking was made
 * with (id, code and name as they were), not a live link: it has no key to site_group, so changing
 * or deleting a group never changes a meeting already booked with it.
 */
export class SiteGroups1796601600000 implements MigrationInterface {
  name = 'SiteGroups1796601600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE site_group (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        code text NOT NULL CONSTRAINT site_group_code_key UNIQUE
          CONSTRAINT site_group_code_format CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(code) <= 40),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        description text CHECK (length(description) BETWEEN 1 AND 1000),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // A site leaves its groups when it is deleted: only a site no meeting ever invited can be.
    await q.query(`
      CREATE TABLE site_group_member (
        group_id uuid NOT NULL REFERENCES site_group (id) ON DELETE CASCADE,
        site_id uuid NOT NULL REFERENCES site (id) ON DELETE CASCADE,
        PRIMARY KEY (group_id, site_id)
      )`);
    await q.query(`CREATE INDEX site_group_member_site_idx ON site_group_member (site_id)`);
    await q.query(`
      CREATE TABLE meeting_group (
        meeting_id uuid NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
        group_id uuid NOT NULL,
        code text NOT NULL,
        name text NOT NULL,
        PRIMARY KEY (meeting_id, group_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE meeting_group`);
    await q.query(`DROP TABLE site_group_member`);
    await q.query(`DROP TABLE site_group`);
  }
}
