import type { DataSource } from 'typeorm';
import type { ChangeFeed } from '../db/change-feed';
import { FeedCache } from '../db/feed-cache';
import { NetworkTable } from './networks';
import { SITE_TOPIC } from './site-credentials';
import { isSiteUsername, siteForSource } from './site-lookup';
import { SiteEntity, type Site } from './site.entity';

interface Snapshot {
  networks: NetworkTable<Readonly<Site>>;
  usernames: ReadonlySet<string>;
}

/**
 * What the INVITE path asks of the directory on every call that brings no credentials: which enabled
 * site calls from this address (its allowed networks, the most specific winning), and whether a SIP
 * username is an enabled site's. In the database both scan every site; here the enabled sites are
 * read once and kept while the change feed is live, dropped whole when any site changes (here or in
 * another process). Without a live feed each question goes to the database.
 */
export class SiteAddresses {
  readonly #snapshot: FeedCache<Snapshot>;

  constructor(
    private readonly ds: DataSource,
    private readonly changes: ChangeFeed | null,
  ) {
    this.#snapshot = new FeedCache(changes, SITE_TOPIC, 1, 'all');
  }

  async siteForSource(ip: string): Promise<Site | null> {
    if (this.changes?.live !== true) return siteForSource(this.ds, ip);
    return (await this.#read()).networks.lookup(ip) ?? null;
  }

  async isSiteUsername(user: string): Promise<boolean> {
    if (this.changes?.live !== true) return isSiteUsername(this.ds, user);
    return (await this.#read()).usernames.has(user);
  }

  close(): void {
    this.#snapshot.close();
  }

  async #read(): Promise<Snapshot> {
    const snapshot = await this.#snapshot.get('enabled', async () => {
      const sites = (await this.ds.manager.findBy(SiteEntity, { enabled: true })).map((s) => Object.freeze(s));
      return {
        networks: new NetworkTable(sites.flatMap((site) => site.allowedNetworks.map((net) => [net, site] as const))),
        usernames: new Set(sites.flatMap((s) => (s.sipUsername ? [s.sipUsername] : []))),
      };
    });
    return snapshot!;
  }
}
