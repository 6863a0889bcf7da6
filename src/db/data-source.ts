import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lockEmbeddedDatabase } from './embedded-lock';
import { DataSource } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { migrations } from '../../migrations';
import type { Config } from '../config/env';
import { SiteEntity } from '../directory/site.entity';
import { SiteGroupEntity } from '../directory/site-group.entity';
import { MeetingEntity } from '../meetings/meeting.entity';
import { ApiKeyEntity } from '../access/api-key.entity';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { OperatorEntity, OperatorSessionEntity } from '../access/operator.entity';

export const entities = [SiteEntity, SiteGroupEntity, MeetingEntity, ApiKeyEntity, AuditEventEntity, OperatorEntity, OperatorSessionEntity];

const common = { entities, migrations, synchronize: false, migrationsRun: false, logging: false } as const;

/**
 * node-postgres closes a connection idle for 10 s by default. Calls come in bursts (a meeting's
 * start, its dial-out) after quiet minutes, and every burst then opened its connections anew, each
 * a fresh backend that plans every statement for the first time: in the call-setup bench diemcau's
 * setups queued from 25–30 calls/s when its pool went cold between steps, from 40–45 when it stayed warm.
 * Ten connections a process kept for 5 minutes cost PostgreSQL little; TCP keepalive finds one whose
 * peer went away without a word.
 */
const POOL = { max: 10, idleTimeoutMillis: 5 * 60_000, keepAlive: true, keepAliveInitialDelayMillis: 30_000 };

/**
 * A PostgreSQL server when DATABASE_URL is set, otherwise PGlite (Postgres compiled to WASM) in
 * DATA_DIR — the same SQL, migrations and constraints either way. Schema changes only ever come
 * from migrations.
 */
export function createDataSource(database: Config['database']): { ds: DataSource; release: () => void } {
  if ('url' in database) {
    return { ds: new DataSource({ ...common, type: 'postgres', url: database.url, extra: POOL }), release: () => {} };
  }
  const root = resolve(database.embedded.dataDir);
  const dataDir = join(root, 'pg');
  mkdirSync(dataDir, { recursive: true });
  const release = lockEmbeddedDatabase(root);
  return { ds: embeddedDataSource(dataDir), release };
}

/** PGlite with the extensions the migrations need, in `dataDir`; without one in memory, as tests use it. */
export function embeddedDataSource(dataDir?: string): DataSource {
  return new DataSource({
    ...common,
    type: 'postgres',
    driver: new PGliteDriver({ ...(dataDir ? { dataDir } : {}), extensions: { btree_gist } }).driver,
  });
}

/** Applies pending migrations; returns the names of those it ran. */
export async function migrate(ds: DataSource): Promise<string[]> {
  const ran = await ds.runMigrations({ transaction: 'each' });
  return ran.map((m) => m.name);
}
