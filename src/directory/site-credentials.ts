import type { DataSource } from 'typeorm';
import type { ChangeFeed } from '../db/change-feed';
import { FeedCache } from '../db/feed-cache';
import { siteBySipUsername } from './site-lookup';
import type { Site } from './site.entity';

/** The change feed's topic for sites; the key is a SIP username. */
export const SITE_TOPIC = 'site';

/** The key of a change to a site that has no SIP username (or is new): no credentials to drop, every page of the directory. */
export const NO_USERNAME = '';

/** Far above a national directory (3,321 communes); past it the least recently used entries make room. */
const MAX_ENTRIES = 20_000;

/**
 * The sites that sign in with a SIP username, as the registrar and the INVITE path read them on every
 * authenticated request: kept in memory while the change feed is live, dropped the moment the feed
 * says the site changed (credentials, enablement, networks, deletion; here or in another process).
 * Unknown usernames are not remembered (`FeedCache` keeps no null). Without a feed every look-up goes
 * to the database.
 */
export class SiteCredentials {
  readonly #sites: FeedCache<Readonly<Site>>;

  constructor(
    private readonly ds: DataSource,
    changes: ChangeFeed | null,
  ) {
    this.#sites = new FeedCache(changes, SITE_TOPIC, MAX_ENTRIES, 'key');
  }

  async bySipUsername(username: string): Promise<Readonly<Site> | null> {
    return this.#sites.get(username, async () => {
      const site = await siteBySipUsername(this.ds, username);
      return site && Object.freeze(site);
    });
  }

  close(): void {
    this.#sites.close();
  }
}
