import type { DataSource } from 'typeorm';
import { Invitations } from './invitations';
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
 * The meetings of one room around `now`: the one open now (joinable from `openBeforeMs` before its
 * start), else the next and the previous, so a refusal can say why.
 */
export async function findRoomBookings(ds: DataSource, room: number, now: Date, openBeforeMs: number): Promise<RoomBookings> {
  const repo = ds.getRepository(MeetingEntity);
  const currentRow = await repo
    .createQueryBuilder('m')
    .where('m.room_number = :room', { room })
    .andWhere(`m.status IN ('scheduled', 'live')`)
    .andWhere('m.starts_at - make_interval(secs => :open) <= :now AND m.ends_at > :now', { open: openBeforeMs / 1000, now })
    .orderBy('m.starts_at')
    .getOne();
  if (currentRow) {
    const invited = await new Invitations(ds).siteIds(currentRow.id);
    return { current: { meeting: currentRow, invited: new Set(invited) }, next: null, previous: null };
  }
  const next: Meeting | null = await repo
    .createQueryBuilder('m')
    .where('m.room_number = :room AND m.status = :s AND m.starts_at > :now', { room, s: 'scheduled', now })
    .orderBy('m.starts_at')
    .getOne();
  const previous: Meeting | null = await repo
    .createQueryBuilder('m')
    .where('m.room_number = :room AND m.starts_at <= :now', { room, now })
    .orderBy('m.ends_at', 'DESC')
    .getOne();
  return { current: null, next, previous };
}
