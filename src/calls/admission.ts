import type { RoomBookings } from '../meetings/room-bookings';

/**
 * Who gets into which room, decided without I/O. The SIP layer gathers the facts (the meeting for
 * the room, who the caller is, the room's live state) and turns the decision into a SIP response.
 */

export type RejectStatus = 403 | 404 | 480 | 486 | 488 | 503;

export interface Rejection {
  kind: 'reject';
  status: RejectStatus;
  /** Short reason phrase for the status line. */
  phrase: string;
  /** Human-readable explanation, sent as a Warning header and logged. */
  why: string;
}

export interface Admission {
  kind: 'admit';
  meetingId: string;
  moderator: boolean;
  /** Joins with the microphone muted (lecture mode, everyone but the chair). */
  muted: boolean;
  /** `collect`: answer and ask for the PIN on the keypad before joining. */
  pin: 'none' | 'ok' | 'collect';
}


export interface Caller {
  /** Directory site, identified by digest credentials or source network. */
  siteId: string | null;
  /** A browser guest holding a valid join token for this room: the API checked the PIN already. */
  joinToken?: boolean;
}

export interface RoomState {
  locked: boolean;
  participants: number;
}

export interface AdmissionPolicy {
  /** How long before startsAt callers may join. */
  openBeforeMs: number;
  /** Participants a room holds. */
  capacity: number;
  timeZone: string;
}

export function decideAdmission(
  now: Date,
  dialled: { pin: string | null },
  bookings: RoomBookings,
  caller: Caller,
  state: RoomState,
  policy: AdmissionPolicy,
): Admission | Rejection {
  if (!bookings.current) return notOpen(now, bookings, policy);
  const { meeting, invited } = bookings.current;

  const isInvited = caller.siteId !== null && invited.has(caller.siteId);
  let pin: Admission['pin'] = 'none';
  if (caller.joinToken) {
    // The join API checked the PIN before it issued the token; guests may have been shut out since.
    if (!meeting.allowGuests) return reject(403, 'Forbidden', 'the meeting no longer admits guests');
    pin = 'ok';
  } else {
    if (!isInvited && !meeting.allowGuests) {
      return reject(403, 'Forbidden', caller.siteId ? 'this site is not invited to the meeting' : 'the meeting admits invited sites only');
    }
    // Invited, identified sites are trusted: they were named at booking and proved who they are.
    if (meeting.pin !== null && !isInvited) {
      if (dialled.pin === null) pin = 'collect';
      else if (dialled.pin === meeting.pin) pin = 'ok';
      else return reject(403, 'Wrong PIN', 'the PIN dialled is not the meeting PIN');
    }
  }
  if (state.locked) return reject(486, 'Busy Here', 'the meeting room is locked');
  if (state.participants >= policy.capacity) return reject(486, 'Busy Here', 'the meeting room is full');

  const moderator = caller.siteId !== null && caller.siteId === meeting.chairSiteId;
  return {
    kind: 'admit',
    meetingId: meeting.id,
    moderator,
    muted: meeting.mode === 'lecture' && !moderator,
    pin,
  };
}

function notOpen(now: Date, { next, previous }: RoomBookings, policy: AdmissionPolicy): Rejection {
  if (next && (!previous || next.startsAt.getTime() - now.getTime() <= now.getTime() - previous.endsAt.getTime())) {
    const opensAt = new Date(next.startsAt.getTime() - policy.openBeforeMs);
    return reject(480, 'Not Open Yet', `the meeting "${next.title}" opens at ${localTime(opensAt, policy.timeZone)}`);
  }
  if (previous) {
    const what = previous.status === 'cancelled' ? 'was cancelled' : 'has ended';
    return reject(480, previous.status === 'cancelled' ? 'Meeting Cancelled' : 'Meeting Ended', `the meeting "${previous.title}" ${what}`);
  }
  return reject(404, 'Not Found', 'no meeting is booked in this room');
}

function reject(status: RejectStatus, phrase: string, why: string): Rejection {
  return { kind: 'reject', status, phrase, why };
}

function localTime(d: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('hour')}:${get('minute')} ${get('day')}/${get('month')}/${get('year')} (${timeZone})`;
}
