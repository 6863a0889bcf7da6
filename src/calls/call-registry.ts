import type { Call } from './call';
import type { RoomState } from './admission';

/** The calls this process carries, by Call-ID and by meeting, and each room's lock. */
export class CallRegistry {
  readonly #calls = new Map<string, Call>();
  readonly #locked = new Set<string>();

  add(call: Call): void {
    this.#calls.set(call.info.callId, call);
  }

  remove(call: Call): void {
    if (this.#calls.get(call.info.callId) === call) this.#calls.delete(call.info.callId);
  }

  get(callId: string): Call | undefined {
    return this.#calls.get(callId);
  }

  inMeeting(meetingId: string): Call[] {
    return [...this.#calls.values()].filter((c) => c.info.meetingId === meetingId);
  }

  all(): Call[] {
    return [...this.#calls.values()];
  }

  roomState(meetingId: string): RoomState {
    return { locked: this.#locked.has(meetingId), participants: this.inMeeting(meetingId).length };
  }

  setLocked(meetingId: string, locked: boolean): void {
    if (locked) this.#locked.add(meetingId);
    else this.#locked.delete(meetingId);
  }

  /** Whether a site has a call in progress. */
  siteInCall(siteId: string): boolean {
    return [...this.#calls.values()].some((c) => c.info.siteId === siteId);
  }
}
