import { In, type DataSource, type QueryRunner } from 'typeorm';
import { returnedRows } from '../db/returned-rows';
import type { Logger } from '../log';
import { MeetingEntity, type Meeting } from './meeting.entity';
import type { MeetingEvents } from './meeting-events';

/** What the bridge does at each point of a meeting's life; the SIP side implements it. */
export interface MeetingLifecycle {
  live(meeting: Meeting): Promise<void>;
  /** A few minutes before the end: tell the participants. */
  ending(meeting: Meeting): Promise<void>;
  ended(meeting: Meeting): Promise<void>;
  /** Some time before the start: check every invited site answers. */
  readiness(meeting: Meeting): Promise<void>;
}

export interface SchedulerOptions {
  /** Meetings go live this long before startsAt. */
  leadMs: number;
  readinessBeforeMs: number;
  endWarningMs: number;
  tickMs: number;
  now?: () => Date;
  /** Chores only the leader does, at most every `everyMs` (recording retention). */
  housekeeping?: { everyMs: number; run(now: Date): Promise<void> };
}

/** Advisory lock key held by the one process that runs meetings ("dcsched"). */
const SCHEDULER_LOCK = 0x64637363686564;

/**
 * Moves meetings through their life by the clock: scheduled → live → ended, with a readiness sweep
 * before and a warning before the end. One process at a time holds the scheduler lock, so two app
 * instances never dial the same meeting twice; every state change is a guarded UPDATE, so a restart
 * picks up exactly where the last process stopped.
 */
export class Scheduler {
  #timer: NodeJS.Timeout | null = null;
  #lockHolder: QueryRunner | null = null;
  #ticking = false;
  readonly #warned = new Set<string>();
  #housekeptAt = -Infinity;
  readonly #now: () => Date;

  constructor(
    private readonly ds: DataSource,
    private readonly lifecycle: MeetingLifecycle,
    private readonly events: MeetingEvents,
    private readonly options: SchedulerOptions,
    private readonly log: Logger,
  ) {
    this.#now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.options.tickMs);
    this.#timer.unref();
    void this.tick();
  }

  get leader(): boolean {
    return this.#lockHolder !== null;
  }

  /** One pass; exposed so tests can drive the clock. */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      if (!(await this.#lead())) return;
      const now = this.#now();
      for (const m of await this.#transition('live', now)) {
        this.events.publish(m.id, { type: 'meeting.state', status: 'live', endsAt: m.endsAt.toISOString() });
        await this.#safely('live', m, () => this.lifecycle.live(m));
      }
      for (const m of await this.#dueForReadiness(now)) await this.#safely('readiness', m, () => this.lifecycle.readiness(m));
      for (const m of await this.#endingSoon(now)) await this.#safely('ending', m, () => this.lifecycle.ending(m));
      for (const m of await this.#transition('ended', now)) {
        this.#warned.delete(m.id);
        this.events.publish(m.id, { type: 'meeting.state', status: 'ended' });
        await this.#safely('ended', m, () => this.lifecycle.ended(m));
      }
      await this.#housekeeping(now);
    } catch (err) {
      this.log.error({ err }, 'scheduler pass failed');
    } finally {
      this.#ticking = false;
    }
  }

  /** An operator moved the end: warn again before the new one. */
  extended(meetingId: string): void {
    this.#warned.delete(meetingId);
  }

  /** Live meetings this process should be running after it became the leader (restart recovery). */
  async liveMeetings(): Promise<Meeting[]> {
    return this.ds.manager.find(MeetingEntity, { where: { status: 'live' } });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    const holder = this.#lockHolder;
    this.#lockHolder = null;
    if (holder) {
      await holder.query(`SELECT pg_advisory_unlock($1)`, [SCHEDULER_LOCK]).catch(() => undefined);
      await holder.release();
    }
  }

  async #housekeeping(now: Date): Promise<void> {
    const chores = this.options.housekeeping;
    if (!chores || now.getTime() - this.#housekeptAt < chores.everyMs) return;
    this.#housekeptAt = now.getTime();
    try {
      await chores.run(now);
    } catch (err) {
      this.log.error({ err }, 'housekeeping failed');
    }
  }

  async #lead(): Promise<boolean> {
    if (this.#lockHolder) return true;
    const qr = this.ds.createQueryRunner();
    await qr.connect();
    const [{ locked }] = (await qr.query(`SELECT pg_try_advisory_lock($1) AS locked`, [SCHEDULER_LOCK])) as { locked: boolean }[];
    if (!locked) {
      await qr.release();
      return false;
    }
    this.#lockHolder = qr;
    this.log.info('this process runs the meeting scheduler');
    // Meetings that were live when the previous leader stopped go on here.
    for (const m of await this.liveMeetings()) await this.#safely('live', m, () => this.lifecycle.live(m));
    return true;
  }

  async #transition(to: 'live' | 'ended', now: Date): Promise<Meeting[]> {
    const rows: { id: string }[] =
      to === 'live'
        ? await this.ds
            .query(
              `UPDATE meeting SET status = 'live', went_live_at = $1, updated_at = $1
              WHERE status = 'scheduled' AND starts_at - make_interval(secs => $2) <= $1 AND ends_at > $1 RETURNING id`,
              [now, this.options.leadMs / 1000],
            )
            .then(returnedRows<{ id: string }>)
        : await this.ds
            .query(
              `UPDATE meeting SET status = 'ended', ended_at = $1, updated_at = $1
              WHERE status IN ('live', 'scheduled') AND ends_at <= $1 RETURNING id`,
              [now],
            )
            .then(returnedRows<{ id: string }>);
    return rows.length ? this.ds.manager.findBy(MeetingEntity, { id: In(rows.map((r) => r.id)) }) : [];
  }

  async #dueForReadiness(now: Date): Promise<Meeting[]> {
    const rows = await this.ds
      .query(
        `UPDATE meeting SET readiness_swept_at = $1
          WHERE readiness_swept_at IS NULL AND status IN ('scheduled', 'live')
            AND starts_at - make_interval(secs => $2) <= $1 AND ends_at > $1 RETURNING id`,
        [now, this.options.readinessBeforeMs / 1000],
      )
      .then(returnedRows<{ id: string }>);
    return rows.length ? this.ds.manager.findBy(MeetingEntity, { id: In(rows.map((r) => r.id)) }) : [];
  }

  async #endingSoon(now: Date): Promise<Meeting[]> {
    const soon = new Date(now.getTime() + this.options.endWarningMs);
    const live = await this.ds.manager
      .createQueryBuilder(MeetingEntity, 'm')
      .where(`m.status = 'live' AND m.ends_at <= :soon AND m.ends_at > :now`, { soon, now })
      .getMany();
    const due = live.filter((m) => !this.#warned.has(m.id));
    for (const m of due) this.#warned.add(m.id);
    return due;
  }

  async #safely(step: string, m: Meeting, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.error({ err, meetingId: m.id, step }, 'meeting step failed');
    }
  }
}
