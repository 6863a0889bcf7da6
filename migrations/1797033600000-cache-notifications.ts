import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every diemcau process keeps the SIP credentials of the sites it has seen and the API keys it has
 * checked in memory. A trigger tells them all when one changes, whoever wrote it (the directory, the
 * CSV import, the CLI, a hand-written UPDATE): NOTIFY on channel `diemcau_cache` with payload
 * `site:<sip username>`, `api_key:<prefix>`, or `<table>:*` after a TRUNCATE (drop everything).
 * NOTIFY is delivered at commit, so no process hears of a change that was rolled back.
 */
export class CacheNotifications1797033600000 implements MigrationInterface {
  name = 'CacheNotifications1797033600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION diemcau_site_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER site_changed AFTER INSERT OR UPDATE OR DELETE ON site FOR EACH ROW EXECUTE FUNCTION diemcau_site_changed()`);
    await q.query(`CREATE TRIGGER site_truncated AFTER TRUNCATE ON site FOR EACH STATEMENT EXECUTE FUNCTION diemcau_site_changed()`);
    await q.query(`
      CREATE FUNCTION diemcau_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('diemcau_cache', 'api_key:*');
        ELSE
          PERFORM pg_notify('diemcau_cache', 'api_key:' || OLD.prefix);
        END IF;
        RETURN NULL;
      END $$`);
    // Not on last_used_at, which every process writes now and then and which no cache entry depends on.
    await q.query(`
      CREATE TRIGGER api_key_changed AFTER UPDATE OF name, role, prefix, secret_hash, revoked_at OR DELETE ON api_key
        FOR EACH ROW EXECUTE FUNCTION diemcau_api_key_changed()`);
    await q.query(`CREATE TRIGGER api_key_truncated AFTER TRUNCATE ON api_key FOR EACH STATEMENT EXECUTE FUNCTION diemcau_api_key_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER api_key_truncated ON api_key`);
    await q.query(`DROP TRIGGER api_key_changed ON api_key`);
    await q.query(`DROP FUNCTION diemcau_api_key_changed()`);
    await q.query(`DROP TRIGGER site_truncated ON site`);
    await q.query(`DROP TRIGGER site_changed ON site`);
    await q.query(`DROP FUNCTION diemcau_site_changed()`);
  }
}
