import type { MeetingStatus } from './meeting.entity';

/**
 * Attendance maths: who was connected to a meeting, and for how long. Pure — no I/O, and the clock
 * is an argument — so the official record can be tested to the millisecond.
 *
 * Definitions (the report, its CSV and its tests all follow these):
 *
 * - **Window.** Only time inside the meeting's actual span counts. It opens when the meeting went
 *   live (`wentLiveAt`), or at the booked start if it never did; it closes when the meeting ended
 *   (`endedAt`); an ended or cancelled meeting without `endedAt` closes at the booked end; a meeting
 *   still running (scheduled or live) is open up to `now`. Time in the lobby before the meeting went
 *   live, or after it was ended, is not attendance: such participations are clipped to the window.
 * - **Spans.** A site's participations (or a guest's, grouped by name) are clipped to the window and
 *   merged wherever they overlap or touch, so two simultaneous calls from one site count once and a
 *   hand-over (one call ends the instant the next begins) is one span. An open participation
 *   (`leftAt` null) runs to `now`. Whatever is empty after clipping (zero-length calls, calls wholly
 *   outside the window) leaves no trace: no time, no span, no join or leave time.
 * - **Attended** = connected for more than zero time inside the window.
 * - **Reconnects** = number of spans − 1 (0 when there is none): the times the site came back after
 *   having been disconnected for a while inside the window.
 * - **firstJoinedAt / lastLeftAt** are the start of the first span and the end of the last, clipped
 *   to the window (so they agree with the connected time). `lastLeftAt` is null while the last span
 *   is still open: an open participation in a meeting whose window has not closed before `now`.
 */

/** The meeting fields the window depends on. */
export interface MeetingTimes {
  startsAt: Date;
  endsAt: Date;
  status: MeetingStatus;
  wentLiveAt: Date | null;
  endedAt: Date | null;
}

/** One call's presence: `leftAt` null means still connected at `now`. */
export interface Interval {
  joinedAt: Date;
  leftAt: Date | null;
}

/** A participation, attributed to a directory site or (site null) to a guest by display name. */
export interface ParticipationTimes extends Interval {
  siteId: string | null;
  displayName: string;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** A merged stretch of connected time; `open` while it is still running at `now`. */
export interface Span {
  from: Date;
  to: Date;
  open: boolean;
}

export interface Presence {
  attended: boolean;
  firstJoinedAt: Date | null;
  /** Null when never connected or still connected. */
  lastLeftAt: Date | null;
  connectedNow: boolean;
  /** Exact connected time inside the window. */
  connectedMs: number;
  /** connectedMs rounded to the nearest second. */
  connectedSeconds: number;
  /** connectedMs in minutes, rounded to one decimal. */
  connectedMinutes: number;
  reconnects: number;
  spans: Span[];
}

export interface Attendance {
  window: TimeWindow;
  /** Keyed by site id; only sites with at least one participation row appear. */
  sites: Map<string, Presence>;
  /** Guests (no directory site) by display name as first seen, in order of first appearance. */
  guests: { name: string; presence: Presence }[];
}

/** The span of the meeting inside which connected time counts (see the definitions above). */
export function attendanceWindow(m: MeetingTimes, now: Date): TimeWindow {
  // Live early (the scheduler's lead) counts from then; live late (a restart, a slow tick) still
  // counts from the booked start, because callers were let in and the meeting was theirs.
  const from = m.wentLiveAt && m.wentLiveAt < m.startsAt ? m.wentLiveAt : m.startsAt;
  const over = m.status === 'ended' || m.status === 'cancelled';
  const to = m.endedAt ?? (over ? m.endsAt : now);
  // A window that would close before it opens (a meeting not started yet) is empty, not negative.
  return { from, to: to.getTime() < from.getTime() ? from : to };
}

/** Clips, merges and measures one attendee's intervals. */
export function presence(intervals: readonly Interval[], window: TimeWindow, now: Date): Presence {
  const from = window.from.getTime();
  const to = window.to.getTime();
  // An open interval only stays open if the window itself is still open at `now`.
  const windowOpen = to >= now.getTime();
  const clipped = intervals
    .map((i) => ({
      from: Math.max(i.joinedAt.getTime(), from),
      to: Math.min((i.leftAt ?? now).getTime(), to),
      open: i.leftAt === null && windowOpen,
    }))
    .filter((i) => i.to > i.from)
    .sort((a, b) => a.from - b.from || b.to - a.to);

  const merged: { from: number; to: number; open: boolean }[] = [];
  for (const i of clipped) {
    const last = merged.at(-1);
    // `<=`: touching intervals are one span (a hand-over is not a reconnect).
    if (last && i.from <= last.to) {
      last.to = Math.max(last.to, i.to);
      // A span with a call still in it is still running.
      last.open ||= i.open;
      continue;
    }
    merged.push({ ...i });
  }
  const spans: Span[] = merged.map((s) => ({ from: new Date(s.from), to: new Date(s.to), open: s.open }));
  const connectedMs = merged.reduce((sum, s) => sum + (s.to - s.from), 0);
  const last = spans.at(-1);
  return {
    attended: connectedMs > 0,
    firstJoinedAt: spans[0]?.from ?? null,
    lastLeftAt: last && !last.open ? last.to : null,
    connectedNow: last?.open ?? false,
    connectedMs,
    connectedSeconds: Math.round(connectedMs / 1000),
    connectedMinutes: Math.round(connectedMs / 6000) / 10,
    reconnects: Math.max(0, spans.length - 1),
    spans,
  };
}

/**
 * Guests are told apart by the name they gave; the same person typing it with composed or decomposed
 * diacritics, or with stray spaces, is still one guest.
 */
export function guestKey(displayName: string): string {
  return displayName.normalize('NFC').trim().replace(/\s+/g, ' ');
}

/** Everyone's presence in one meeting. */
export function computeAttendance(meeting: MeetingTimes, participations: readonly ParticipationTimes[], now: Date): Attendance {
  const window = attendanceWindow(meeting, now);
  const bySite = new Map<string, Interval[]>();
  const byGuest = new Map<string, { name: string; intervals: Interval[] }>();
  for (const p of participations) {
    if (p.siteId !== null) {
      const list = bySite.get(p.siteId) ?? [];
      list.push(p);
      bySite.set(p.siteId, list);
    } else {
      const key = guestKey(p.displayName);
      const guest = byGuest.get(key) ?? { name: key, intervals: [] };
      guest.intervals.push(p);
      byGuest.set(key, guest);
    }
  }
  return {
    window,
    sites: new Map([...bySite].map(([id, list]) => [id, presence(list, window, now)])),
    guests: [...byGuest.values()].map((g) => ({ name: g.name, presence: presence(g.intervals, window, now) })),
  };
}
