import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A site's region (docs/scale.md, "Placement"): a meeting spread over several FreeSWITCH nodes puts
 * the site on a node of the same region (FREESWITCH_REGIONS) when one has room. Lower-case words
 * joined by dashes, as the API checks, so that it compares equal to the configuration's names.
 */
export class SiteRegion1797206400000 implements MigrationInterface {
  name = 'SiteRegion1797206400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE site ADD COLUMN region text CONSTRAINT site_region_format CHECK (region ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(region) <= 64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE site DROP COLUMN region`);
  }
}
