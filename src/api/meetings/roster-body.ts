import type { ParticipantView } from '../../calls/live-control';
import type { ConferenceLayout } from '../../media/freeswitch/conference';

export interface Roster {
  items: readonly ParticipantView[];
  locked: boolean;
  layouts: readonly ConferenceLayout[];
  layout: ConferenceLayout | null;
}

/** More live meetings than one process carries; past it the least recently polled is dropped. */
const MAX_MEETINGS = 256;

/**
 * The roster's JSON per meeting, serialised again only when the roster differs from the last one:
 * every console polls it, and serialising fifty participants cost more than everything else the route
 * does. The roster is compared, not told of changes, so nothing can go stale; `LiveControl` hands out
 * the same view of a participant until something in it changes, so views compare by identity.
 */
export class RosterBodies {
  readonly #last = new Map<string, { roster: Roster; body: string }>();

  body(meetingId: string, roster: Roster): string {
    const last = this.#last.get(meetingId);
    this.#last.delete(meetingId);
    const body = last && sameRoster(last.roster, roster) ? last.body : JSON.stringify(roster);
    if (this.#last.size >= MAX_MEETINGS) this.#last.delete(this.#last.keys().next().value!);
    this.#last.set(meetingId, { roster, body });
    return body;
  }
}

function sameRoster(a: Roster, b: Roster): boolean {
  if (a.locked !== b.locked || a.layout !== b.layout || a.layouts !== b.layouts || a.items.length !== b.items.length) return false;
  return a.items.every((p, i) => p === b.items[i]);
}
