import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import { isSqlState, SqlState } from '../db/errors';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../errors';
import { SiteGroupEntity, type SiteGroup } from './site-group.entity';
import type { SiteGroupCreate, SiteGroupListQuery, SiteGroupUpdate } from './site-group.schema';
import type { SiteRef } from './site.entity';
import { isUuid, type Page } from './sites';

/** A member as a group shows it: a disabled one stays a member, but bookings leave it out. */
export interface GroupMember extends SiteRef {
  enabled: boolean;
}

export interface SiteGroupSummary {
  group: SiteGroup;
  siteCount: number;
}

export interface SiteGroupView {
  group: SiteGroup;
  sites: GroupMember[];
}

/** A group and its members, as a booking expands it. */
export interface ExpandedGroup {
  group: SiteRef;
  members: GroupMember[];
}

const CODE_CONSTRAINT = 'site_group_code_key';

/** Site groups: named sets of sites a booking can invite at once. Every write is audited. */
export class SiteGroups {
  constructor(private readonly ds: DataSource) {}

  async list(query: SiteGroupListQuery): Promise<Page<SiteGroupSummary>> {
    const [groups, total] = await this.ds.manager
      .createQueryBuilder(SiteGroupEntity, 'g')
      .orderBy('g.code')
      .take(query.limit)
      .skip(query.offset)
      .getManyAndCount();
    const counts: { group_id: string; n: number }[] = groups.length
      ? await this.ds.query(`SELECT group_id, count(*)::int AS n FROM site_group_member WHERE group_id = ANY($1::uuid[]) GROUP BY group_id`, [
          groups.map((g) => g.id),
        ])
      : [];
    const count = new Map(counts.map((c) => [c.group_id, c.n]));
    return { items: groups.map((group) => ({ group, siteCount: count.get(group.id) ?? 0 })), total, limit: query.limit, offset: query.offset };
  }

  async get(id: string): Promise<SiteGroupView> {
    const group = isUuid(id) ? await this.ds.manager.findOneBy(SiteGroupEntity, { id }) : null;
    if (!group) throw new NotFoundError('site group', id);
    return { group, sites: await members(this.ds.manager, group.id) };
  }

  async create(input: SiteGroupCreate, actor: Actor): Promise<SiteGroupView> {
    return this.ds.transaction(async (em) => {
      const siteIds = await resolveMembers(em, input.sites);
      const group = await saveGroup(em, em.create(SiteGroupEntity, { code: input.code, name: input.name, description: input.description ?? null }));
      await setMembers(em, group.id, siteIds);
      await recordAudit(em, actor, {
        action: 'site-group.create',
        resourceType: 'site-group',
        resourceId: group.id,
        detail: { code: group.code, sites: siteIds.length },
      });
      return { group, sites: await members(em, group.id) };
    });
  }

  async update(id: string, input: SiteGroupUpdate, actor: Actor): Promise<SiteGroupView> {
    return this.ds.transaction(async (em) => {
      const group = isUuid(id) ? await em.findOne(SiteGroupEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!group) throw new NotFoundError('site group', id);
      const siteIds = input.sites && (await resolveMembers(em, input.sites));
      Object.assign(group, {
        ...(input.code !== undefined && { code: input.code }),
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
      });
      const saved = await saveGroup(em, group);
      const before = await members(em, id);
      if (siteIds) await setMembers(em, id, siteIds);
      const after = siteIds ? await members(em, id) : before;
      const codes = (list: GroupMember[]) => new Set(list.map((s) => s.code));
      const [was, is] = [codes(before), codes(after)];
      await recordAudit(em, actor, {
        action: 'site-group.update',
        resourceType: 'site-group',
        resourceId: id,
        detail: {
          fields: Object.keys(input),
          ...(siteIds && { added: [...is].filter((c) => !was.has(c)), removed: [...was].filter((c) => !is.has(c)) }),
        },
      });
      return { group: saved, sites: after };
    });
  }

  /** Meetings booked with the group keep their sites and their record of it (see meeting_group). */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (em) => {
      const group = isUuid(id) ? await em.findOneBy(SiteGroupEntity, { id }) : null;
      if (!group) throw new NotFoundError('site group', id);
      await em.delete(SiteGroupEntity, { id });
      await recordAudit(em, actor, { action: 'site-group.delete', resourceType: 'site-group', resourceId: id, detail: { code: group.code } });
    });
  }
}

/**
 * The groups named by `refs` (ids or codes) with their members, in the order of `refs`; undefined
 * where no group has that id or code. What a booking expands into its invited sites.
 */
export async function expandGroups(em: EntityManager, refs: readonly string[]): Promise<(ExpandedGroup | undefined)[]> {
  if (!refs.length) return [];
  const groups: SiteRef[] = await em.query(`SELECT id, code, name FROM site_group WHERE id::text = ANY($1) OR code = ANY($1)`, [refs]);
  const rows: (GroupMember & { group_id: string })[] = groups.length
    ? await em.query(
        `SELECT m.group_id, s.id, s.code, s.name, s.enabled FROM site_group_member m JOIN site s ON s.id = m.site_id
          WHERE m.group_id = ANY($1::uuid[]) ORDER BY s.search_text, s.code`,
        [groups.map((g) => g.id)],
      )
    : [];
  return refs.map((ref) => {
    const group = groups.find((g) => g.id === ref.toLowerCase() || g.code === ref);
    return (
      group && {
        group,
        members: rows.filter((r) => r.group_id === group.id).map(({ id, code, name, enabled }) => ({ id, code, name, enabled })),
      }
    );
  });
}

/** The ids of the sites `refs` name, each once; a 422 names every ref that is no site. */
async function resolveMembers(em: EntityManager, refs: readonly string[]): Promise<string[]> {
  if (!refs.length) return [];
  const rows: { id: string; code: string }[] = await em.query(`SELECT id, code FROM site WHERE id::text = ANY($1) OR code = ANY($1)`, [refs]);
  const errors: FieldError[] = [];
  const ids = new Set<string>();
  refs.forEach((ref, i) => {
    const site = rows.find((r) => r.id === ref.toLowerCase() || r.code === ref);
    if (site) ids.add(site.id);
    else errors.push({ field: `sites[${i}]`, message: `no site with id or code "${ref}"` });
  });
  if (errors.length) throw new ValidationError(errors);
  return [...ids];
}

async function setMembers(em: EntityManager, groupId: string, siteIds: readonly string[]): Promise<void> {
  await em.query(`DELETE FROM site_group_member WHERE group_id = $1 AND NOT (site_id = ANY($2::uuid[]))`, [groupId, siteIds]);
  await em.query(`INSERT INTO site_group_member (group_id, site_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [groupId, siteIds]);
}

function members(em: EntityManager, groupId: string): Promise<GroupMember[]> {
  return em.query(
    `SELECT s.id, s.code, s.name, s.enabled FROM site_group_member m JOIN site s ON s.id = m.site_id
      WHERE m.group_id = $1 ORDER BY s.search_text, s.code`,
    [groupId],
  );
}

async function saveGroup(em: EntityManager, group: SiteGroup): Promise<SiteGroup> {
  try {
    return await em.save(SiteGroupEntity, group);
  } catch (err) {
    if (isSqlState(err, SqlState.uniqueViolation, CODE_CONSTRAINT)) {
      throw new ConflictError(`a site group with code "${group.code}" already exists`, { field: 'code' });
    }
    throw err;
  }
}
