import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refresh of a binding rewrites its expiry, and an indexed expiry made every refresh a new entry in
 * each of the table's three indexes. Only the sweep of expired bindings used that index (a few
 * thousand rows at most, scanned once a minute), so it goes, and the pages keep room for the new
 * version of a row: a refresh becomes a heap-only update that touches no index.
 */
export class RegistrationHotRefresh1797465600000 implements MigrationInterface {
  name = 'RegistrationHotRefresh1797465600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX registration_expires_idx`);
    await q.query(`ALTER TABLE registration SET (fillfactor = 70)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE registration RESET (fillfactor)`);
    await q.query(`CREATE INDEX registration_expires_idx ON registration (expires_at)`);
  }
}
