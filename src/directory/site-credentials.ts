import type { DataSource } from 'typeorm';
import type { ChangeFeed } from '../db/change-feed';
import { siteBySipUsername } from './site-lookup';
import type { Site } from './site.entity';

/** The change feed's topic for sites; the key is a SIP username. */
export const SITE_TOPIC = 'site';

/** The key of a change to a site that has no SIP username (or is new): no credentials to drop, every page of the directory. */
export const NO_USERNAME = '';

/** Far above a national directory (3,321 communes); past it the oldest entries make room. */
const MAX_ENTRIES = 20_000;

/**
 * The sites that sign in with a SIP username, as the registrar and the INVITE path read them on every
 * authenticated request: kept in memory while the change feed is live, dropped the moment the feed
 * says the site changed (credentials, enablement, networks, deletion; here or in another process).
 * Unknown usernames are not remembered: a scanner's guesses would only fill memory. Without a feed
 * every look-up goes to the database.
 */
export class SiteCredentials {
  readonly #entries = new Map<string, Readonly<Site>>();
  readonly #unsubscribe: () => void;
  /** Bumped by every invalidation: a read that started before one must not be kept. */
  #epoch = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly changes: ChangeFeed | null,
  ) {
    this.#unsubscribe = changes?.subscribe(SITE_TOPIC, (username) => this.#drop(username)) ?? (() => {});
  }

  async bySipUsername(username: string): Promise<Readonly<Site> | null> {
    const live = this.changes?.live === true;
    const hit = live ? this.#entries.get(username) : undefined;
    if (hit) return hit;
    const epoch = this.#epoch;
    const site = await siteBySipUsername(this.ds, username);
    if (!site) return null;
    const frozen = Object.freeze(site);
    if (this.changes?.live && epoch === this.#epoch) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
      this.#entries.set(username, frozen);
    }
    return frozen;
  }

  /** How many sites are held (tests, metrics). */
  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    this.#unsubscribe();
    this.#entries.clear();
  }

  #drop(username: string | null): void {
    this.#epoch++;
    if (username === null) this.#entries.clear();
    else this.#entries.delete(username);
  }
}
