import type { RoomBookings } from '../../meetings/room-bookings';
import type { Meeting } from '../../meetings/meeting.entity';
import type { JoinStatus } from './contract';

/**
 * Which meeting the join page talks about, and in what state, decided without I/O from what
 * `findRoomBookings` found. The choice between the next and the previous meeting follows the SIP
 * admission rule (`decideAdmission`), so the page and a room system dialling in are told the same.
 */
export interface JoinState {
  meeting: Meeting;
  status: JoinStatus;
  opensAt: Date;
}

export function joinStateOf(bookings: RoomBookings, now: Date, openBeforeMs: number): JoinState | null {
  const at = (meeting: Meeting, status: JoinStatus): JoinState => ({
    meeting,
    status,
    opensAt: new Date(meeting.startsAt.getTime() - openBeforeMs),
  });
  if (bookings.current) return at(bookings.current.meeting, 'open');
  const { next, previous } = bookings;
  // The nearer of the two wins: just after a meeting, "it has ended" is the useful answer; well
  // before the next one, "it opens at…".
  if (next && (!previous || next.startsAt.getTime() - now.getTime() <= now.getTime() - previous.endsAt.getTime())) {
    return at(next, 'not-open-yet');
  }
  if (previous) return at(previous, previous.status === 'cancelled' ? 'cancelled' : 'ended');
  return null;
}
