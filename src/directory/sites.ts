import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import type { ChangeFeed } from '../db/change-feed';
import { isSqlState, SqlState } from '../db/errors';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../errors';
import { digestHa1 } from '../sip-auth';
import { foldForSearch } from './search-text';
import { NO_USERNAME, SITE_TOPIC } from './site-credentials';
import { FeedCache } from '../db/feed-cache';
import { SiteEntity, type Site } from './site.entity';
import type { SiteCreate, SiteListQuery, SiteUpdate } from './site.schema';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** A console pages through a few queries; a script walking every offset of a national directory still fits. */
const MAX_PAGES = 256;

/** The directory of room systems: every write is audited, every secret hashed before it is stored. */
export class SiteDirectory {
  /**
   * The pages `GET /sites` read, dropped all at once when any site changes (here: before the writer
   * answers; in another process: at its commit's NOTIFY). The directory is read all day by consoles
   * and scripts and written a few times a year, so a page is read about once per change. Pages are
   * frozen: every reader gets the same objects, and the API serialises each once.
   */
  readonly #pages: FeedCache<Page<Readonly<Site>>>;

  constructor(
    private readonly ds: DataSource,
    /** Digest realm the HA1s are computed for (the SIP domain). */
    private readonly realm: string,
    /** This process's caches of sites hear of every change here at once (other processes through the triggers' NOTIFY). */
    private readonly changes: ChangeFeed | null = null,
  ) {
    this.#pages = new FeedCache(changes, SITE_TOPIC, MAX_PAGES, 'all');
  }

  /**
   * A site with this SIP username changed and has been committed (null: any site; `NO_USERNAME`: a
   * site without one, or a new site, whose credentials no cache can hold).
   */
  changed(sipUsername: string | null): void {
    this.changes?.publish(SITE_TOPIC, sipUsername);
  }

  /** Stops following the change feed (its pages are dropped). */
  close(): void {
    this.#pages.close();
  }

  async get(id: string): Promise<Site> {
    const site = isUuid(id) ? await this.ds.manager.findOneBy(SiteEntity, { id }) : null;
    if (!site) throw new NotFoundError('site', id);
    return site;
  }

  /** A site by id or by code. */
  async byRef(ref: string): Promise<Site> {
    const site = await this.ds.manager.findOneBy(SiteEntity, isUuid(ref) ? { id: ref } : { code: ref });
    if (!site) throw new NotFoundError('site', ref);
    return site;
  }

  /**
   * A page of sites in the directory's order, total included: the API's hottest read. Served from
   * memory until a site changes; a group's page is always read, as group membership notifies no cache.
   */
  async list(query: SiteListQuery): Promise<Page<Readonly<Site>>> {
    if (query.group !== undefined) return this.read(query);
    const key = JSON.stringify([query.q, query.protocol, query.enabled, query.limit, query.offset]);
    return (await this.#pages.get(key, async () => freezePage(await this.read(query))))!;
  }

  /** One plain query: TypeORM's entity hydration and its second round trip (the COUNT) were most of the cost. */
  private async read(query: SiteListQuery): Promise<Page<Site>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => `$${params.push(v)}`;
    if (query.q) {
      const q = param(`%${foldForSearch(query.q).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      where.push(`(search_text LIKE ${q} ESCAPE '\\' OR code LIKE ${q} ESCAPE '\\')`);
    }
    if (query.protocol) where.push(`protocol = ${param(query.protocol)}`);
    if (query.enabled !== undefined) where.push(`enabled = ${param(query.enabled)}`);
    if (query.group !== undefined) where.push(`id IN (SELECT site_id FROM site_group_member WHERE group_id = ${param(await this.groupId(query.group))})`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // The total as a subquery PostgreSQL runs once (a window count would build every row before the LIMIT).
    const rows = (await this.ds.query(
      `SELECT ${SITE_COLUMNS}, (SELECT count(*) FROM site ${filter}) AS total FROM site ${filter}
        ORDER BY search_text, code LIMIT ${param(query.limit)} OFFSET ${param(query.offset)}`,
      params,
    )) as (Site & { total: string })[];
    const total = rows.length
      ? Number(rows[0]!.total)
      : Number(((await this.ds.query(`SELECT count(*) AS n FROM site ${filter}`, params.slice(0, -2))) as { n: string }[])[0]!.n);
    return { items: rows.map(({ total: _, ...site }) => site), total, limit: query.limit, offset: query.offset };
  }

  /**
   * The ids of the sites of a group (by id or code), or of those of `ids` that exist, or of all sites;
   * in the directory's order.
   */
  async ids(filter: { group?: string | undefined; ids?: readonly string[] | undefined }): Promise<string[]> {
    const group = filter.group === undefined ? null : await this.groupId(filter.group);
    const rows: { id: string }[] = await this.ds.query(
      `SELECT id FROM site
        WHERE ($1::uuid IS NULL OR id IN (SELECT site_id FROM site_group_member WHERE group_id = $1))
          AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
        ORDER BY search_text, code`,
      [group, filter.ids ? [...filter.ids] : null],
    );
    return rows.map((r) => r.id);
  }

  /** An unknown group is a mistake to name, not an empty group. */
  private async groupId(ref: string): Promise<string> {
    const [group]: { id: string }[] = await this.ds.query(`SELECT id FROM site_group WHERE id::text = $1 OR code = $1`, [ref.toLowerCase()]);
    if (!group) throw new ValidationError([{ field: 'query.group', message: `no site group with id or code "${ref}"` }]);
    return group.id;
  }

  async create(input: SiteCreate, actor: Actor): Promise<Site> {
    const created = await this.ds.transaction(async (em) => {
      const site = await this.insert(em, input);
      await recordAudit(em, actor, { action: 'site.create', resourceType: 'site', resourceId: site.id, detail: { code: site.code } });
      return site;
    });
    this.changed(NO_USERNAME);
    return created;
  }

  async update(id: string, input: SiteUpdate, actor: Actor): Promise<Site> {
    let before: string | null = null;
    const updated = await this.ds.transaction(async (em) => {
      const site = isUuid(id) ? await em.findOne(SiteEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!site) throw new NotFoundError('site', id);
      before = site.sipUsername;
      const updated = await this.save(em, site, input);
      await recordAudit(em, actor, {
        action: 'site.update',
        resourceType: 'site',
        resourceId: id,
        detail: { fields: Object.keys(input).map((k) => (k === 'sipPassword' ? 'sipPassword(changed)' : k)) },
      });
      return updated;
    });
    this.changed(before ?? NO_USERNAME);
    if (updated.sipUsername !== null && updated.sipUsername !== before) this.changed(updated.sipUsername);
    return updated;
  }

  /** Deletes a site that no meeting refers to; a site with history is disabled instead. */
  async delete(id: string, actor: Actor): Promise<void> {
    const site = await this.get(id);
    await this.ds.transaction(async (em) => {
      try {
        await em.delete(SiteEntity, { id });
      } catch (err) {
        if (isSqlState(err, SqlState.foreignKeyViolation) || isSqlState(err, SqlState.restrictViolation)) {
          throw new InvalidStateError(`site ${site.code} is invited to meetings, which keep its history; disable it with {"enabled": false} instead`);
        }
        throw err;
      }
      await recordAudit(em, actor, { action: 'site.delete', resourceType: 'site', resourceId: id, detail: { code: site.code } });
    });
    this.changed(site.sipUsername ?? NO_USERNAME);
  }

  /** Inserts one site inside `em`'s transaction. Exposed to the importer and the demo seed. */
  async insert(em: EntityManager, input: SiteCreate): Promise<Site> {
    const site = em.create(SiteEntity, {
      code: input.code,
      name: input.name,
      searchText: '',
      protocol: input.protocol,
      sipUri: null,
      h323Address: null,
      h323Alias: null,
      sipUsername: null,
      sipHa1: null,
      sipRealm: null,
      allowedNetworks: [],
      deviceModel: null,
      bandwidthKbps: null,
      h264PacketizationMode: null,
      region: null,
      contactName: null,
      contactPhone: null,
      enabled: true,
    });
    return this.save(em, site, input);
  }

  /** Applies `input` to `site` and writes it, translating constraint violations into client errors. */
  async save(em: EntityManager, site: Site, input: SiteUpdate): Promise<Site> {
    const { sipPassword, ...fields } = input;
    const usernameChanges = fields.sipUsername !== undefined && fields.sipUsername !== site.sipUsername;
    Object.assign(site, stripUndefined(fields));
    if (site.sipUsername === null) {
      if (sipPassword) throw new ValidationError([{ field: 'sipUsername', message: 'required with sipPassword' }]);
      Object.assign(site, { sipHa1: null, sipRealm: null });
    } else if (sipPassword) {
      Object.assign(site, { sipHa1: digestHa1(site.sipUsername, this.realm, sipPassword), sipRealm: this.realm });
    } else if (usernameChanges || site.sipHa1 === null) {
      // The HA1 is bound to the username; a new username needs the password again.
      throw new ValidationError([{ field: 'sipPassword', message: 'required when sipUsername is set or changed' }]);
    }
    site.searchText = foldForSearch(`${site.name} ${site.code}`);
    try {
      return await em.save(SiteEntity, site);
    } catch (err) {
      if (isSqlState(err, SqlState.uniqueViolation, 'site_code_key')) {
        throw new ConflictError(`a site with code "${site.code}" already exists`, { field: 'code' });
      }
      if (isSqlState(err, SqlState.uniqueViolation, 'site_h323_alias_key')) {
        throw new ConflictError(`H.323 alias "${site.h323Alias}" belongs to another site`, { field: 'h323Alias' });
      }
      if (isSqlState(err, SqlState.uniqueViolation, 'site_sip_username_key')) {
        throw new ConflictError(`SIP username "${site.sipUsername}" belongs to another site`, { field: 'sipUsername' });
      }
      throw err;
    }
  }
}

/** Every column of `site` under its property name: rows read with it are Sites without TypeORM. */
const SITE_COLUMNS = Object.entries({
  id: 'id',
  code: 'code',
  name: 'name',
  searchText: 'search_text',
  protocol: 'protocol',
  sipUri: 'sip_uri',
  h323Address: 'h323_address',
  h323Alias: 'h323_alias',
  sipUsername: 'sip_username',
  sipHa1: 'sip_ha1',
  sipRealm: 'sip_realm',
  allowedNetworks: 'allowed_networks',
  deviceModel: 'device_model',
  bandwidthKbps: 'bandwidth_kbps',
  h264PacketizationMode: 'h264_packetization_mode',
  region: 'region',
  contactName: 'contact_name',
  contactPhone: 'contact_phone',
  enabled: 'enabled',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} satisfies Record<keyof Site, string>)
  .map(([prop, column]) => `${column} AS "${prop}"`)
  .join(', ');

function freezePage(page: Page<Site>): Page<Readonly<Site>> {
  for (const site of page.items) {
    Object.freeze(site.allowedNetworks);
    Object.freeze(site);
  }
  Object.freeze(page.items);
  return Object.freeze(page);
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
