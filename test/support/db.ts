import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, embeddedDataSource, migrate } from '../../src/db/data-source';
import { testPostgres } from './hooks';

/** A new, empty database on the test server; every suite gets its own. */
export async function createTestDatabase(): Promise<string> {
  const admin = (await testPostgres()).adminUrl;
  const name = `diemcau_test_${randomBytes(5).toString('hex')}`;
  const c = new Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A migrated database and a DataSource on it. */
export async function migratedDataSource(): Promise<{ ds: DataSource; url: string }> {
  const url = await createTestDatabase();
  const { ds } = createDataSource({ url });
  await ds.initialize();
  await migrate(ds);
  return { ds, url };
}

/** `count` DataSources on one migrated database: as many `diemcau serve` processes sharing it. */
export async function dataSourcesOnOneDatabase(count: number): Promise<DataSource[]> {
  const { ds, url } = await migratedDataSource();
  const more: DataSource[] = [];
  for (let i = 1; i < count; i++) {
    const { ds: other } = createDataSource({ url });
    more.push(await other.initialize());
  }
  return [ds, ...more];
}

/**
 * A migrated PGlite database, the embedded one `diemcau serve` opens without DATABASE_URL, kept in
 * memory. One at a time: typeorm-pglite holds a single PGlite instance per process.
 */
export async function migratedEmbeddedDataSource(): Promise<DataSource> {
  const ds = embeddedDataSource();
  await ds.initialize();
  await migrate(ds);
  return ds;
}

/** Empties the directory and the bookings; API keys stay, so a suite's keys keep working. */
export async function truncateBookings(ds: DataSource): Promise<void> {
  await ds.query(
    'TRUNCATE dial_attempt, readiness_check, participation, registration, meeting_group, meeting_site, meeting, site_group, site, audit_event CASCADE',
  );
}
