import type { DataSource, EntityManager } from 'typeorm';
import { recordAudit, type Actor } from '../audit/audit';
import { isSqlState, SqlState } from '../db/errors';
import { unstorableInstant } from '../db/values';
import type { SiteRef } from '../directory/site.entity';
import { expandGroups } from '../directory/site-groups';
import { isUuid, type Page } from '../directory/sites';
import { ConflictError, InvalidStateError, NotFoundError, ValidationError, type FieldError } from '../errors';
import { MeetingEntity, type Meeting } from './meeting.entity';
import { maxMeetingHours, type MeetingCreate, type MeetingListQuery, type MeetingUpdate } from './meeting.schema';

/** A meeting with the sites invited to it and the groups it was booked with. */
export interface MeetingView {
  meeting: Meeting;
  invited: SiteRef[];
  /** As they were when the booking was made or its invitation last changed. */
  groups: SiteRef[];
  /** Only in the answer to a booking or change: the groups' disabled members, left out. */
  skipped?: SiteRef[];
}

/** What a booking invites, resolved against the directory. */
interface Invitation {
  invited: SiteRef[];
  chair: SiteRef | null;
  groups: SiteRef[];
  skipped: SiteRef[];
}

interface ConflictingMeeting {
  id: string;
  title: string;
  roomNumber: number;
  startsAt: Date;
  endsAt: Date;
}

/** What a refused booking's 409 carries besides its text, for a client to show what is in the way. */
export interface BookingConflict {
  /** The field to change: the room is taken, or an invited site is in another meeting then. */
  field: 'roomNumber' | 'invitedSites';
  /** The booking in the way (for sites, the first one); null when it ended meanwhile. */
  conflictingMeeting: ConflictingMeeting | null;
  /** For sites: every invited site that is busy then, each with the meeting it is in. */
  conflicts?: { site: SiteRef; meeting: ConflictingMeeting }[];
}

const ROOM_CONSTRAINT = 'meeting_room_no_overlap';
const SITE_CONSTRAINT = 'meeting_site_no_overlap';
/** Advisory lock key serialising room-number allocation ("dcroom" in ASCII). */
const ROOM_ALLOCATION_LOCK = 0x6463726f6f6d;
/** Attempts at allocating a free room number when a booking with an explicit number takes it meanwhile. */
const ALLOCATION_ATTEMPTS = 5;

/** A year of a province's meetings; past it the oldest are read again. */
const MAX_KNOWN_MEETINGS = 10_000;

/**
 * Bookings. The overlap rules are Postgres exclusion constraints; this class turns their violations
 * into a 409 that names the meeting in the way.
 */
export class MeetingBook {
  /** Ids of meetings seen to exist, oldest first. */
  readonly #known = new Set<string>();

  constructor(
    private readonly ds: DataSource,
    private readonly roomNumbers: { min: number; max: number },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(id: string): Promise<MeetingView> {
    const meeting = isUuid(id) ? await this.ds.manager.findOneBy(MeetingEntity, { id }) : null;
    if (!meeting) throw new NotFoundError('meeting', id);
    const [view] = await this.withInvitations(this.ds.manager, [meeting]);
    return view!;
  }

  /**
   * Throws NotFoundError unless the meeting exists, for reads that need nothing of it but its id (the
   * roster, every console's poll). No meeting is ever deleted (a cancelled one is kept for the
   * record), so an id found once is remembered and not read again.
   */
  async assertExists(id: string): Promise<void> {
    const key = id.toLowerCase();
    if (this.#known.has(key)) return;
    const rows: unknown[] = isUuid(id) ? await this.ds.query(`SELECT 1 FROM meeting WHERE id = $1`, [id]) : [];
    if (!rows.length) throw new NotFoundError('meeting', id);
    if (this.#known.size >= MAX_KNOWN_MEETINGS) this.#known.delete(this.#known.values().next().value!);
    this.#known.add(key);
  }

  async list(query: MeetingListQuery): Promise<Page<MeetingView>> {
    const qb = this.ds.manager.createQueryBuilder(MeetingEntity, 'm');
    if (query.from) qb.andWhere('m.ends_at > :from', { from: new Date(query.from) });
    if (query.to) qb.andWhere('m.starts_at < :to', { to: new Date(query.to) });
    if (query.status) qb.andWhere('m.status IN (:...status)', { status: query.status });
    if (query.room !== undefined) qb.andWhere('m.room_number = :room', { room: query.room });
    const [meetings, total] = await qb.orderBy('m.starts_at').addOrderBy('m.room_number').take(query.limit).skip(query.offset).getManyAndCount();
    return {
      items: await this.withInvitations(this.ds.manager, meetings),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }

  async create(input: MeetingCreate, actor: Actor): Promise<MeetingView> {
    const startsAt = new Date(input.startsAt);
    const endsAt = new Date(input.endsAt);
    if (endsAt <= this.now()) {
      throw new ValidationError([{ field: 'endsAt', message: 'the meeting would already be over' }]);
    }
    const { invited, chair, groups, skipped } = await this.resolveInvitation(
      this.ds.manager,
      input.invitedSites,
      input.invitedGroups ?? [],
      input.chairSite ?? null,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.ds.transaction(async (em) => {
          const roomNumber = input.roomNumber ?? (await this.freeRoom(em, startsAt, endsAt));
          const meeting = await em.save(
            MeetingEntity,
            em.create(MeetingEntity, {
              title: input.title,
              roomNumber,
              pin: input.pin ?? null,
              startsAt,
              endsAt,
              chairSiteId: chair?.id ?? null,
              dialOut: input.dialOut,
              allowGuests: input.allowGuests,
              mode: input.mode,
              language: input.language,
              record: input.record,
              contentPolicy: input.contentPolicy ?? 'take-over',
              status: 'scheduled',
            }),
          );
          await this.invite(
            em,
            meeting.id,
            invited.map((s) => s.id),
          );
          await this.recordGroups(em, meeting.id, groups);
          await recordAudit(em, actor, {
            action: 'meeting.create',
            resourceType: 'meeting',
            resourceId: meeting.id,
            detail: { title: meeting.title, roomNumber, sites: invited.length, ...groupDetail(groups, skipped) },
          });
          return { meeting, invited, groups, skipped };
        });
      } catch (err) {
        const retry = input.roomNumber === undefined && attempt < ALLOCATION_ATTEMPTS;
        if (retry && isSqlState(err, SqlState.exclusionViolation, ROOM_CONSTRAINT)) continue;
        throw await this.explain(err, input.roomNumber ?? null, startsAt, endsAt, invited, null);
      }
    }
  }

  async update(id: string, input: MeetingUpdate, actor: Actor): Promise<MeetingView> {
    let proposed: { roomNumber: number; startsAt: Date; endsAt: Date; invited: SiteRef[] } | undefined;
    try {
      return await this.ds.transaction(async (em) => {
        const meeting = isUuid(id) ? await em.findOne(MeetingEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
        if (!meeting) throw new NotFoundError('meeting', id);
        this.checkEditable(meeting, input);

        const startsAt = input.startsAt ? new Date(input.startsAt) : meeting.startsAt;
        const endsAt = input.endsAt ? new Date(input.endsAt) : meeting.endsAt;
        if (endsAt <= startsAt) throw new ValidationError([{ field: 'endsAt', message: 'must be after startsAt' }]);
        // The schema sees only the fields sent: moving one end alone (or extending) is measured here.
        if (endsAt.getTime() - startsAt.getTime() > maxMeetingHours * 3600_000) {
          throw new ValidationError([{ field: 'endsAt', message: `a meeting lasts at most ${maxMeetingHours} hours` }]);
        }
        // The schema bounds what a client writes; an extension computes its end.
        const unstorable = unstorableInstant(endsAt.getTime());
        if (unstorable) throw new ValidationError([{ field: 'endsAt', message: unstorable }]);
        if (input.endsAt && endsAt <= this.now()) {
          throw new ValidationError([{ field: 'endsAt', message: 'the meeting would already be over' }]);
        }
        const { invited: current, groups: currentGroups } = (await this.withInvitations(em, [meeting]))[0]!;
        const chairRef = input.chairSite === undefined ? meeting.chairSiteId : input.chairSite;
        // invitedSites and invitedGroups describe the invitation together: sending either replaces it
        // (the other counting as empty), and the groups are expanded again as they are now.
        const reinvite = input.invitedSites !== undefined || input.invitedGroups !== undefined;
        const [siteRefs, groupRefs] = reinvite ? [input.invitedSites ?? [], input.invitedGroups ?? []] : [current.map((s) => s.id), []];
        const resolved = await this.resolveInvitation(em, siteRefs, groupRefs, chairRef);
        const { invited, chair, skipped } = resolved;
        const groups = reinvite ? resolved.groups : currentGroups;
        proposed = { roomNumber: input.roomNumber ?? meeting.roomNumber, startsAt, endsAt, invited };

        Object.assign(meeting, {
          ...(input.title !== undefined && { title: input.title }),
          ...(input.roomNumber !== undefined && { roomNumber: input.roomNumber }),
          ...(input.pin !== undefined && { pin: input.pin }),
          ...(input.dialOut !== undefined && { dialOut: input.dialOut }),
          ...(input.allowGuests !== undefined && { allowGuests: input.allowGuests }),
          ...(input.mode !== undefined && { mode: input.mode }),
          ...(input.language !== undefined && { language: input.language }),
          ...(input.record !== undefined && { record: input.record }),
          ...(input.contentPolicy !== undefined && { contentPolicy: input.contentPolicy }),
          startsAt,
          endsAt,
          chairSiteId: chair?.id ?? null,
        });
        const saved = await em.save(MeetingEntity, meeting);
        const keep = new Set(invited.map((s) => s.id));
        const removed = current.filter((s) => !keep.has(s.id)).map((s) => s.id);
        if (removed.length) {
          await em.query(`DELETE FROM meeting_site WHERE meeting_id = $1 AND site_id = ANY($2::uuid[])`, [id, removed]);
        }
        await this.invite(
          em,
          id,
          invited.map((s) => s.id),
        );
        if (reinvite) await this.recordGroups(em, id, groups);
        await recordAudit(em, actor, {
          action: 'meeting.update',
          resourceType: 'meeting',
          resourceId: id,
          detail: { fields: Object.keys(input), ...(reinvite ? groupDetail(groups, skipped) : {}) },
        });
        return { meeting: saved, invited, groups, ...(reinvite ? { skipped } : {}) };
      });
    } catch (err) {
      if (!proposed) throw err;
      throw await this.explain(err, proposed.roomNumber, proposed.startsAt, proposed.endsAt, proposed.invited, id);
    }
  }

  /** DELETE: a meeting that has not started is cancelled and kept for the record. Cancelling twice is a no-op. */
  async cancel(id: string, actor: Actor): Promise<void> {
    await this.ds.transaction(async (em) => {
      const meeting = isUuid(id) ? await em.findOne(MeetingEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!meeting) throw new NotFoundError('meeting', id);
      if (meeting.status === 'cancelled') return;
      if (meeting.status !== 'scheduled') {
        throw new InvalidStateError(`meeting is ${meeting.status}; only a scheduled meeting can be cancelled`);
      }
      await em.update(MeetingEntity, { id, status: 'scheduled' }, { status: 'cancelled' });
      await recordAudit(em, actor, { action: 'meeting.cancel', resourceType: 'meeting', resourceId: id });
    });
  }

  /** Ends a live meeting now. Ending twice is a no-op; returns the meeting as ended. */
  async end(id: string, actor: Actor): Promise<Meeting> {
    return this.ds.transaction(async (em) => {
      const meeting = isUuid(id) ? await em.findOne(MeetingEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!meeting) throw new NotFoundError('meeting', id);
      if (meeting.status === 'ended') return meeting;
      if (meeting.status !== 'live') throw new InvalidStateError(`meeting is ${meeting.status}; only a live meeting can be ended (cancel a scheduled one)`);
      const now = this.now();
      await em.update(MeetingEntity, { id }, { status: 'ended', endedAt: now });
      await recordAudit(em, actor, { action: 'meeting.end', resourceType: 'meeting', resourceId: id });
      return { ...meeting, status: 'ended', endedAt: now };
    });
  }

  private checkEditable(meeting: Meeting, input: MeetingUpdate): void {
    if (meeting.status === 'ended' || meeting.status === 'cancelled') {
      throw new InvalidStateError(`meeting is ${meeting.status} and can no longer be changed`);
    }
    if (meeting.status === 'live') {
      const fixed = (['roomNumber', 'startsAt'] as const).filter((k) => input[k] !== undefined);
      if (fixed.length) throw new InvalidStateError(`meeting is live: ${fixed.join(' and ')} can no longer change`);
    }
  }

  /**
   * Lowest number in the configured range with no active booking overlapping [startsAt, endsAt).
   * Allocating bookings queue on an advisory lock held to commit, so concurrent ones pick different
   * numbers instead of all racing for the same one.
   */
  private async freeRoom(em: EntityManager, startsAt: Date, endsAt: Date): Promise<number> {
    await em.query(`SELECT pg_advisory_xact_lock($1)`, [ROOM_ALLOCATION_LOCK]);
    const rows: { n: number }[] = await em.query(
      `SELECT n FROM generate_series($1::int, $2::int) AS n
        WHERE NOT EXISTS (
          SELECT 1 FROM meeting m
           WHERE m.room_number = n AND m.status IN ('scheduled', 'live')
             AND tstzrange(m.starts_at, m.ends_at) && tstzrange($3, $4))
        ORDER BY n LIMIT 1`,
      [this.roomNumbers.min, this.roomNumbers.max, startsAt, endsAt],
    );
    const free = rows[0];
    if (!free) {
      throw new ConflictError(`every room number from ${this.roomNumbers.min} to ${this.roomNumbers.max} is booked at that time`);
    }
    return free.n;
  }

  private async invite(em: EntityManager, meetingId: string, siteIds: string[]): Promise<void> {
    if (!siteIds.length) return;
    await em.query(`INSERT INTO meeting_site (meeting_id, site_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT (meeting_id, site_id) DO NOTHING`, [
      meetingId,
      siteIds,
    ]);
  }

  /**
   * The sites a booking invites, each once: those named (ids or codes), the chair, and the enabled
   * members of the groups named. A named site must exist and be enabled; a group's disabled members
   * are left out and reported instead, so that disabling one commune does not make every booking of
   * "all communes" fail.
   */
  private async resolveInvitation(em: EntityManager, refs: readonly string[], groupRefs: readonly string[], chairRef: string | null): Promise<Invitation> {
    const all = chairRef && !refs.includes(chairRef) ? [...refs, chairRef] : [...refs];
    const rows: (SiteRef & { enabled: boolean })[] = all.length
      ? await em.query(`SELECT id, code, name, enabled FROM site WHERE id::text = ANY($1) OR code = ANY($1)`, [all])
      : [];
    const find = (ref: string) => rows.find((r) => r.id === ref.toLowerCase() || r.code === ref);
    const errors: FieldError[] = [];
    const invited = new Map<string, SiteRef>();
    all.forEach((ref, i) => {
      const field = i < refs.length ? `invitedSites[${i}]` : 'chairSite';
      const site = find(ref);
      if (!site) errors.push({ field, message: `no site with id or code "${ref}"` });
      else if (!site.enabled) errors.push({ field, message: `site ${site.code} is disabled` });
      else invited.set(site.id, { id: site.id, code: site.code, name: site.name });
    });
    const groups = new Map<string, SiteRef>();
    const skipped = new Map<string, SiteRef>();
    (await expandGroups(em, groupRefs)).forEach((expanded, i) => {
      if (!expanded) {
        errors.push({ field: `invitedGroups[${i}]`, message: `no site group with id or code "${groupRefs[i]}"` });
        return;
      }
      groups.set(expanded.group.id, expanded.group);
      for (const { enabled, ...site } of expanded.members) {
        if (invited.has(site.id)) continue;
        if (enabled) invited.set(site.id, site);
        else skipped.set(site.id, site);
      }
    });
    if (errors.length) throw new ValidationError(errors);
    const chair = chairRef ? invited.get(find(chairRef)!.id)! : null;
    return { invited: [...invited.values()], chair, groups: [...groups.values()], skipped: [...skipped.values()] };
  }

  /** What the meeting was booked with, as the groups are now: a later change to a group leaves it alone. */
  private async recordGroups(em: EntityManager, meetingId: string, groups: readonly SiteRef[]): Promise<void> {
    await em.query(`DELETE FROM meeting_group WHERE meeting_id = $1`, [meetingId]);
    if (!groups.length) return;
    await em.query(`INSERT INTO meeting_group (meeting_id, group_id, code, name) SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[])`, [
      meetingId,
      groups.map((g) => g.id),
      groups.map((g) => g.code),
      groups.map((g) => g.name),
    ]);
  }

  private async withInvitations(em: EntityManager, meetings: Meeting[]): Promise<MeetingView[]> {
    if (!meetings.length) return [];
    const rows: (SiteRef & { meeting_id: string })[] = await em.query(
      `SELECT ms.meeting_id, s.id, s.code, s.name FROM meeting_site ms JOIN site s ON s.id = ms.site_id
        WHERE ms.meeting_id = ANY($1::uuid[]) ORDER BY s.search_text, s.code`,
      [meetings.map((m) => m.id)],
    );
    const groupRows: (SiteRef & { meeting_id: string })[] = await em.query(
      `SELECT meeting_id, group_id AS id, code, name FROM meeting_group WHERE meeting_id = ANY($1::uuid[]) ORDER BY code`,
      [meetings.map((m) => m.id)],
    );
    const refs = (list: (SiteRef & { meeting_id: string })[], meetingId: string) =>
      list.filter((r) => r.meeting_id === meetingId).map(({ id, code, name }) => ({ id, code, name }));
    return meetings.map((meeting) => ({ meeting, invited: refs(rows, meeting.id), groups: refs(groupRows, meeting.id) }));
  }

  /** Turns an overlap violation into a ConflictError naming what is in the way; other errors pass through. */
  private async explain(err: unknown, roomNumber: number | null, startsAt: Date, endsAt: Date, invited: SiteRef[], self: string | null): Promise<unknown> {
    if (isSqlState(err, SqlState.exclusionViolation, ROOM_CONSTRAINT) && roomNumber !== null) {
      const rows: ConflictingMeeting[] = await this.ds.query(
        `SELECT id, title, room_number AS "roomNumber", starts_at AS "startsAt", ends_at AS "endsAt" FROM meeting
          WHERE room_number = $1 AND status IN ('scheduled', 'live') AND id IS DISTINCT FROM $4
            AND tstzrange(starts_at, ends_at) && tstzrange($2, $3)
          ORDER BY starts_at LIMIT 1`,
        [roomNumber, startsAt, endsAt, self],
      );
      const other = rows[0];
      return new ConflictError(
        other
          ? `room ${roomNumber} is already booked from ${other.startsAt.toISOString()} to ${other.endsAt.toISOString()} by meeting "${other.title}" (${other.id})`
          : `room ${roomNumber} is already booked at that time`,
        { field: 'roomNumber', conflictingMeeting: other ?? null } satisfies BookingConflict,
      );
    }
    if (isSqlState(err, SqlState.exclusionViolation, SITE_CONSTRAINT)) {
      const rows: (ConflictingMeeting & { siteId: string; siteCode: string; siteName: string })[] = await this.ds.query(
        `SELECT m.id, m.title, m.room_number AS "roomNumber", m.starts_at AS "startsAt", m.ends_at AS "endsAt",
                s.id AS "siteId", s.code AS "siteCode", s.name AS "siteName"
           FROM meeting_site ms JOIN meeting m ON m.id = ms.meeting_id JOIN site s ON s.id = ms.site_id
          WHERE ms.site_id = ANY($1::uuid[]) AND ms.active AND ms.meeting_id IS DISTINCT FROM $4
            AND ms.during && tstzrange($2, $3)
          ORDER BY s.code, m.starts_at`,
        [invited.map((s) => s.id), startsAt, endsAt, self],
      );
      const first = rows[0];
      return new ConflictError(
        first
          ? `site ${first.siteName} (${first.siteCode}) is already invited to meeting "${first.title}" (${first.id}) from ${first.startsAt.toISOString()} to ${first.endsAt.toISOString()}` +
              (rows.length > 1 ? `, and ${rows.length - 1} more site conflict(s)` : '')
          : 'an invited site is already in another meeting at that time',
        {
          field: 'invitedSites',
          conflicts: rows.map(({ siteId, siteCode, siteName, ...m }) => ({ site: { id: siteId, code: siteCode, name: siteName }, meeting: m })),
          conflictingMeeting: first ? { id: first.id, title: first.title, roomNumber: first.roomNumber, startsAt: first.startsAt, endsAt: first.endsAt } : null,
        } satisfies BookingConflict,
      );
    }
    return err;
  }
}

/** The audit trail's note of a booking's groups and of the members it left out. */
function groupDetail(groups: readonly SiteRef[], skipped: readonly SiteRef[]): Record<string, string[]> {
  return {
    ...(groups.length ? { groups: groups.map((g) => g.code) } : {}),
    ...(skipped.length ? { skipped: skipped.map((s) => s.code) } : {}),
  };
}
