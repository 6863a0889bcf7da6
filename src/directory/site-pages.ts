import type { ChangeFeed } from '../db/change-feed';
import { SITE_TOPIC } from './site-credentials';
import type { Site } from './site.entity';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A console pages through a few queries; a script walking every offset of a national directory still fits. */
const MAX_PAGES = 256;

/**
 * The directory's pages as `GET /sites` last read them, kept while the change feed is live and all
 * dropped the moment it says any site changed (here: synchronously, before the writer answers; in
 * another process: at its commit's NOTIFY). The directory is read all day by consoles and scripts and
 * written a few times a year, so a page is read from the database about once per change.
 *
 * A read that started before a change is not kept (the epoch), so no page older than the last change
 * this process heard of is ever served. Pages are frozen: every reader gets the same objects.
 */
export class SitePages {
  readonly #pages = new Map<string, Page<Readonly<Site>>>();
  readonly #unsubscribe: () => void;
  #epoch = 0;

  constructor(private readonly changes: ChangeFeed | null) {
    this.#unsubscribe = changes?.subscribe(SITE_TOPIC, () => this.#dropAll()) ?? (() => {});
  }

  /** The page under `key`, from memory when the feed vouches for it, else from `read` (kept when it can be). */
  async get(key: string, read: () => Promise<Page<Site>>): Promise<Page<Readonly<Site>>> {
    if (this.changes?.live !== true) return read();
    const hit = this.#pages.get(key);
    if (hit) {
      // Least recently used goes first: move the hit to the end.
      this.#pages.delete(key);
      this.#pages.set(key, hit);
      return hit;
    }
    const epoch = this.#epoch;
    const page = freezePage(await read());
    if (this.changes.live && epoch === this.#epoch) {
      if (this.#pages.size >= MAX_PAGES) this.#pages.delete(this.#pages.keys().next().value!);
      this.#pages.set(key, page);
    }
    return page;
  }

  /** How many pages are held (tests). */
  get size(): number {
    return this.#pages.size;
  }

  close(): void {
    this.#unsubscribe();
    this.#dropAll();
  }

  #dropAll(): void {
    this.#epoch++;
    this.#pages.clear();
  }
}

function freezePage(page: Page<Site>): Page<Readonly<Site>> {
  for (const site of page.items) {
    Object.freeze(site.allowedNetworks);
    Object.freeze(site);
  }
  Object.freeze(page.items);
  return Object.freeze(page);
}
