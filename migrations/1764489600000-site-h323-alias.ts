import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The alias (E.164 number or H323-ID) an H.323 room system registers with at the gatekeeper. */
export class SiteH323Alias1764489600000 implements MigrationInterface {
  name = 'SiteH323Alias1764489600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE site ADD COLUMN h323_alias text CHECK (length(h323_alias) BETWEEN 1 AND 128)`);
    await q.query(`CREATE UNIQUE INDEX site_h323_alias_key ON site (lower(h323_alias)) WHERE h323_alias IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX site_h323_alias_key`);
    await q.query(`ALTER TABLE site DROP COLUMN h323_alias`);
  }
}
