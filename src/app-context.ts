import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { accounts, type Accounts } from './access/accounts';
import { ApiKeys } from './access/api-keys';
import { FailureLimiter } from './access/failure-limiter';
import type { Config } from './config/env';
import { ChangeFeed } from './db/change-feed';
import { createDataSource, migrate } from './db/data-source';
import { SiteDirectory } from './directory/sites';
import type { Logger } from './log';
import { MeetingBook } from './meetings/meeting-book';

export const version: string = (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

/** The domain services over one database: what every command and the server share. */
export interface AppContext {
  config: Config;
  log: Logger;
  ds: DataSource;
  sites: SiteDirectory;
  meetings: MeetingBook;
  keys: ApiKeys;
  accounts: Accounts;
  /** Tells the caches of sites and API keys when a row changes, in this process or another. */
  changes: ChangeFeed;
  close(): Promise<void>;
}

export async function openContext(config: Config, log: Logger, options: { migrate: boolean }): Promise<AppContext> {
  const { ds, release } = createDataSource(config.database);
  try {
    await ds.initialize();
    if (options.migrate) {
      const ran = await migrate(ds);
      if (ran.length) log.info({ migrations: ran }, 'database migrated');
    }
  } catch (err) {
    if (ds.isInitialized) await ds.destroy();
    release();
    throw err;
  }
  const changes = new ChangeFeed(ds, log.child({ component: 'cache-notifications' }));
  await changes.start();
  const keys = new ApiKeys(ds, changes);
  const sites = new SiteDirectory(ds, config.sip.domain, changes);
  let closed = false;
  return {
    config,
    log,
    ds,
    sites,
    meetings: new MeetingBook(ds, config.roomNumbers),
    keys,
    accounts: accounts(ds, { policy: config.sessions }),
    changes,
    async close() {
      if (closed) return;
      closed = true;
      try {
        keys.close();
        sites.close();
        await changes.close();
        await ds.destroy();
      } finally {
        release();
      }
    },
  };
}

/** Failed API authentications: 10 within 5 minutes shut the source out for 15 minutes. */
export function apiAuthLimiter(): FailureLimiter {
  return new FailureLimiter({ maxFailures: 10, windowMs: 5 * 60_000, blockMs: 15 * 60_000 });
}
