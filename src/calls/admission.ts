import { createHash, timingSafeEqual } from 'node:crypto';
import type { Meeting } from '../meetings/meeting.entity';
import type { RoomBookings } from '../meetings/room-bookings';
import { pad, zonedTime } from '../time-zone';

/**
 * Who gets into which room, decided without I/O, for every way in: SIP and H.323 callers
 * (decideAdmission) and the browser join API (roomStatus, pinMatches, the same texts). The ingress
 * gathers the facts (the meeting for the room, who the caller is, the room's live state) and turns
 * the decision into its protocol's answer.
 */

/** Where a room's meeting stands: the one open now, else the nearer of the next and the last one. */
export type RoomStatus = 'open' | 'not-open-yet' | 'ended' | 'cancelled';

export interface RoomView {
  meeting: Meeting;
  status: RoomStatus;
  /** When callers may join: `openBeforeMs` ahead of the start. */
  opensAt: Date;
}

/** What callers are told when they cannot come in, whatever the protocol. */
export const refusalText = {
  noMeeting: 'no meeting is booked in this room',
  notOpenYet: (m: Meeting, opensAt: string) => `the meeting "${m.title}" opens at ${opensAt}`,
  over: (m: Meeting) => `the meeting "${m.title}" ${m.status === 'cancelled' ? 'was cancelled' : 'has ended'}`,
  invitedOnly: 'the meeting admits invited sites only',
  notInvited: 'this site is not invited to the meeting',
  noLongerGuests: 'the meeting no longer admits guests',
  wrongPin: 'the PIN is not the meeting PIN',
  locked: 'the meeting room is locked',
  full: 'the meeting room is full',
} as const;

export function roomStatus(bookings: RoomBookings, now: Date, openBeforeMs: number): RoomView | null {
  const view = (meeting: Meeting, status: RoomStatus): RoomView => ({ meeting, status, opensAt: new Date(meeting.startsAt.getTime() - openBeforeMs) });
  if (bookings.current) return view(bookings.current.meeting, 'open');
  const { next, previous } = bookings;
  // The nearer of the two wins: just after a meeting, "it has ended" is the useful answer; well
  // before the next one, "it opens at…".
  if (next && (!previous || next.startsAt.getTime() - now.getTime() <= now.getTime() - previous.endsAt.getTime())) return view(next, 'not-open-yet');
  if (previous) return view(previous, previous.status === 'cancelled' ? 'cancelled' : 'ended');
  return null;
}

/** Compares digests, so the time taken says nothing about how much of the PIN was right. */
export function pinMatches(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

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
  if (!bookings.current) return notOpen(roomStatus(bookings, now, policy.openBeforeMs), policy);
  const { meeting, invited } = bookings.current;

  const isInvited = caller.siteId !== null && invited.has(caller.siteId);
  let pin: Admission['pin'] = 'none';
  if (caller.joinToken) {
    // The join API checked the PIN before it issued the token; guests may have been shut out since.
    if (!meeting.allowGuests) return reject(403, 'Forbidden', refusalText.noLongerGuests);
    pin = 'ok';
  } else {
    if (!isInvited && !meeting.allowGuests) {
      return reject(403, 'Forbidden', caller.siteId ? refusalText.notInvited : refusalText.invitedOnly);
    }
    // Invited, identified sites are trusted: they were named at booking and proved who they are.
    if (meeting.pin !== null && !isInvited) {
      if (dialled.pin === null) pin = 'collect';
      else if (pinMatches(dialled.pin, meeting.pin)) pin = 'ok';
      else return reject(403, 'Wrong PIN', refusalText.wrongPin);
    }
  }
  if (state.locked) return reject(486, 'Busy Here', refusalText.locked);
  if (state.participants >= policy.capacity) return reject(486, 'Busy Here', refusalText.full);

  const moderator = caller.siteId !== null && caller.siteId === meeting.chairSiteId;
  return {
    kind: 'admit',
    meetingId: meeting.id,
    moderator,
    muted: meeting.mode === 'lecture' && !moderator,
    pin,
  };
}

function notOpen(room: RoomView | null, policy: AdmissionPolicy): Rejection {
  if (!room) return reject(404, 'Not Found', refusalText.noMeeting);
  if (room.status === 'not-open-yet') return reject(480, 'Not Open Yet', refusalText.notOpenYet(room.meeting, localTime(room.opensAt, policy.timeZone)));
  return reject(480, room.status === 'cancelled' ? 'Meeting Cancelled' : 'Meeting Ended', refusalText.over(room.meeting));
}

function reject(status: RejectStatus, phrase: string, why: string): Rejection {
  return { kind: 'reject', status, phrase, why };
}

function localTime(d: Date, timeZone: string): string {
  const z = zonedTime(d, timeZone);
  return `${pad(z.hour)}:${pad(z.minute)} ${pad(z.day)}/${pad(z.month)}/${z.year} (${timeZone})`;
}
