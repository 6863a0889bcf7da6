import type { EntityManager } from 'typeorm';
import type { ContentRecords, FloorPolicy, Presenter, ShareEndReason } from '../calls/content/content-control';
import { isUuid } from '../directory/sites';

/** One presentation of a meeting, as its attendance record lists it. */
export interface Presentation {
  /** The presenter's participation; null when it was not joined yet or its row is gone. */
  participantId: string | null;
  name: string;
  siteId: string | null;
  protocol: Presenter['protocol'];
  startedAt: Date;
  /** Null while it goes on. */
  endedAt: Date | null;
  endReason: ShareEndReason | null;
}

/** What the queries run on: the DataSource, or a transaction's manager (the attendance report's snapshot). */
type Queryable = Pick<EntityManager, 'query'>;

const date = (v: Date | string) => new Date(v);

/**
 * The presentations of each meeting (table content_share) and its floor policy. Rows are opened when
 * someone gets the floor and closed exactly once; a process that dies leaves them open, and the next
 * start closes them (closeDangling): a restart hangs up every content leg, so nobody presents after it.
 */
export class ContentShares implements ContentRecords {
  constructor(private readonly db: Queryable) {}

  /** A meeting that is gone (or an id that is no meeting's) gets the default. */
  async policy(meetingId: string): Promise<FloorPolicy> {
    if (!isUuid(meetingId)) return 'take-over';
    const [row] = (await this.db.query(`SELECT content_policy AS policy FROM meeting WHERE id = $1`, [meetingId])) as { policy: FloorPolicy }[];
    return row?.policy ?? 'take-over';
  }

  async started(meetingId: string, p: Presenter): Promise<string> {
    const [row] = (await this.db.query(
      `INSERT INTO content_share (meeting_id, participation_id, site_id, name, protocol, started_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [meetingId, p.participantId, p.siteId, p.name, p.protocol, p.since],
    )) as { id: string }[];
    return row!.id;
  }

  /** Ending twice keeps the first end. */
  async ended(shareId: string, reason: ShareEndReason, at: Date): Promise<void> {
    await this.db.query(`UPDATE content_share SET ended_at = greatest($3::timestamptz, started_at), end_reason = $2 WHERE id = $1 AND ended_at IS NULL`, [
      shareId,
      reason,
      at,
    ]);
  }

  /**
   * At start-up: presentations a dead process left open ended with their meeting, or at `at` if the
   * meeting is still on (its booked end when it was never ended), never before they began. Returns
   * how many were closed.
   */
  async closeDangling(at: Date): Promise<number> {
    const [row] = (await this.db.query(
      `WITH closed AS (
         UPDATE content_share c SET end_reason = 'ended',
                ended_at = greatest(c.started_at, least(coalesce(m.ended_at, m.ends_at), $1::timestamptz))
           FROM meeting m
          WHERE m.id = c.meeting_id AND c.ended_at IS NULL RETURNING 1)
       SELECT count(*)::int AS n FROM closed`,
      [at],
    )) as { n: number }[];
    return row!.n;
  }

  /** A meeting's presentations, in the order they began. */
  async forMeeting(meetingId: string): Promise<Presentation[]> {
    if (!isUuid(meetingId)) return [];
    const rows = (await this.db.query(
      `SELECT participation_id AS "participantId", name, site_id AS "siteId", protocol, started_at AS "startedAt",
              ended_at AS "endedAt", end_reason AS "endReason"
         FROM content_share WHERE meeting_id = $1 ORDER BY started_at, id`,
      [meetingId],
    )) as (Omit<Presentation, 'startedAt' | 'endedAt'> & { startedAt: Date | string; endedAt: Date | string | null })[];
    return rows.map((r) => ({ ...r, startedAt: date(r.startedAt), endedAt: r.endedAt === null ? null : date(r.endedAt) }));
  }
}
