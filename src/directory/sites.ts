import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import { isSqlState, SqlState } from '../db/errors';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError } from '../errors';
import { digestHa1 } from '../sip-auth';
import { foldForSearch } from './search-text';
import { SiteEntity, type Site } from './site.entity';
import type { SiteCreate, SiteListQuery, SiteUpdate } from './site.schema';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** The directory of room systems: every write is audited, every secret hashed before it is stored. */
export class SiteDirectory {
  constructor(
    private readonly ds: DataSource,
    /** Digest realm the HA1s are computed for (the SIP domain). */
    private readonly realm: string,
  ) {}

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

  async list(query: SiteListQuery): Promise<Page<Site>> {
    const qb = this.ds.manager.createQueryBuilder(SiteEntity, 's');
    if (query.q) {
      const folded = foldForSearch(query.q);
      qb.andWhere(`(s.search_text LIKE :q ESCAPE '\\' OR s.code LIKE :q ESCAPE '\\')`, {
        q: `%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      });
    }
    if (query.protocol) qb.andWhere('s.protocol = :protocol', { protocol: query.protocol });
    if (query.enabled !== undefined) qb.andWhere('s.enabled = :enabled', { enabled: query.enabled });
    if (query.group !== undefined) {
      qb.andWhere('s.id IN (SELECT site_id FROM site_group_member WHERE group_id = :group)', { group: await this.groupId(query.group) });
    }
    const [items, total] = await qb.orderBy('s.search_text').addOrderBy('s.code').take(query.limit).skip(query.offset).getManyAndCount();
    return { items, total, limit: query.limit, offset: query.offset };
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
    return this.ds.transaction(async (em) => {
      const site = await this.insert(em, input);
      await recordAudit(em, actor, { action: 'site.create', resourceType: 'site', resourceId: site.id, detail: { code: site.code } });
      return site;
    });
  }

  async update(id: string, input: SiteUpdate, actor: Actor): Promise<Site> {
    return this.ds.transaction(async (em) => {
      const site = isUuid(id) ? await em.findOne(SiteEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!site) throw new NotFoundError('site', id);
      const updated = await this.save(em, site, input);
      await recordAudit(em, actor, {
        action: 'site.update',
        resourceType: 'site',
        resourceId: id,
        detail: { fields: Object.keys(input).map((k) => (k === 'sipPassword' ? 'sipPassword(changed)' : k)) },
      });
      return updated;
    });
  }

  /** Deletes a site that no meeting refers to; a site with history is disabled instead. */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (em) => {
      const site = await this.get(id);
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

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
