import type { DataSource } from 'typeorm';
import { MeetingEntity, type Meeting } from './meeting.entity';

/** The meetings of a room around `now`, as the database finds them. */
export interface RoomBookings {
  /** Scheduled or live, with `now` inside [startsAt - openBefore, endsAt), with its invited site ids. */
  current: { meeting: Meeting; invited: ReadonlySet<string> } | null;
  /** The next scheduled one after that. */
  next: Meeting | null;
  /** The most recent one that is over (ended, cancelled, or past its end). */
  previous: Meeting | null;
}

/**
 * Every column of `meeting` under its Meeting name, from the entity's own column list (a column
 * without a `name` has its property's): pg already returns the types Meeting has (timestamptz as
 * Date, uuid as text), so rows need no mapping. Plain SQL on every dial-in, where TypeORM's query
 * builder and hydration cost more node time than the query itself.
 */
const MEETING = Object.entries(MeetingEntity.options.columns)
  .map(([property, column]) => `m.${column?.name ?? property} AS "${property}"`)
  .join(', ');

/**
 * The meetings of one room around `now`: the one open now (joinable from `openBeforeMs` before its
 * start) with its invited sites in the same statement, else the next and the previous, so a refusal
 * can say why.
 */
export async function findRoomBookings(ds: DataSource, room: number, now: Date, openBeforeMs: number): Promise<RoomBookings> {
  const [current]: (Meeting & { invited: string[] })[] = await ds.query(
    `SELECT ${MEETING}, ARRAY(SELECT ms.site_id::text FROM meeting_site ms WHERE ms.meeting_id = m.id) AS invited
       FROM meeting m
      WHERE m.room_number = $1 AND m.status IN ('scheduled', 'live')
        AND m.starts_at - make_interval(secs => $3) <= $2 AND m.ends_at > $2
      ORDER BY m.starts_at LIMIT 1`,
    [room, now, openBeforeMs / 1000],
  );
  if (current) {
    const { invited, ...meeting } = current;
    return { current: { meeting, invited: new Set(invited) }, next: null, previous: null };
  }
  const [next]: Meeting[] = await ds.query(
    `SELECT ${MEETING} FROM meeting m WHERE m.room_number = $1 AND m.status = 'scheduled' AND m.starts_at > $2 ORDER BY m.starts_at LIMIT 1`,
    [room, now],
  );
  const [previous]: Meeting[] = await ds.query(
    `SELECT ${MEETING} FROM meeting m WHERE m.room_number = $1 AND m.starts_at <= $2 ORDER BY m.ends_at DESC LIMIT 1`,
    [room, now],
  );
  return { current: null, next: next ?? null, previous: previous ?? null };
}
