import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The site trigger's function: the credentials' notifications, and `more` before it returns. */
const siteChanged = (more: string) => `
  CREATE OR REPLACE FUNCTION diemcau_site_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'TRUNCATE' THEN
      PERFORM pg_notify('diemcau_cache', 'site:*');
      RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.sip_username IS NOT NULL THEN
      PERFORM pg_notify('diemcau_cache', 'site:' || OLD.sip_username);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.sip_username IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.sip_username IS DISTINCT FROM OLD.sip_username) THEN
      PERFORM pg_notify('diemcau_cache', 'site:' || NEW.sip_username);
    END IF;${more}
    RETURN NULL;
  END $$`;

/**
 * The processes now also keep pages of the directory (GET /sites), which any change of any site can
 * alter, SIP username or not. A change that notified nothing before (a site without a username added,
 * edited or deleted: every H.323 site) now notifies `site:` with an empty key: no credentials to drop,
 * but every page. PostgreSQL folds identical notifications of one transaction into one, so a CSV
 * import of a thousand such sites sends it once.
 */
export class SitePageNotifications1797379200000 implements MigrationInterface {
  name = 'SitePageNotifications1797379200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      siteChanged(`
    IF (TG_OP = 'INSERT' OR OLD.sip_username IS NULL) AND (TG_OP = 'DELETE' OR NEW.sip_username IS NULL) THEN
      PERFORM pg_notify('diemcau_cache', 'site:');
    END IF;`),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(siteChanged(''));
  }
}
