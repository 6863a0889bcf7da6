import type { Logger } from '../log';
import type { MeetingEvents } from '../meetings/meeting-events';
import type { Participations } from '../meetings/participations';
import type { RoomState } from './admission';
import { Call, type CallHooks, type CallInfo } from './call';

/**
 * The calls this process carries, by Call-ID and by meeting, each room's lock, and the events a call's
 * life produces. Only the registry creates calls, and a call leaves it when it starts closing.
 */
export class CallRegistry {
  readonly #calls = new Map<string, Call>();
  readonly #locked = new Set<string>();
  /** Meetings spread over several FreeSWITCH nodes: the node each one's conference is linked to. */
  readonly #primaries = new Map<string, string>();

  constructor(
    private readonly participations: Pick<Participations, 'close'>,
    private readonly events: MeetingEvents,
    /** Starts sampling a call's media once it is in the conference (the engine's QualitySampler). */
    private readonly sampleMedia: (call: Call) => void = () => undefined,
  ) {}

  start(info: CallInfo, log: Logger): Call {
    const call = new Call(info, this.participations, log, this.#hooks());
    this.#calls.set(info.callId, call);
    return call;
  }

  /** Registers a call a previous process left running, without announcing it as a new join. */
  adopt(info: CallInfo, log: Logger, setup: (call: Call) => void): Call {
    const hooks = this.#hooks();
    const call = new Call(info, this.participations, log, { ...hooks, joined: () => undefined });
    setup(call);
    this.#calls.set(info.callId, call);
    return call;
  }

  #hooks(): CallHooks {
    const events = this.events;
    const left = (c: Call, participantId: string, reason: string): void => {
      events.publish(c.info.meetingId, { type: 'participant.left', participantId, name: c.info.displayName, siteId: c.info.siteId, reason });
    };
    return {
      joined: (c) => {
        this.sampleMedia(c);
        events.publish(c.info.meetingId, {
          type: 'participant.joined',
          participant: {
            id: c.participationId!,
            name: c.info.displayName,
            siteId: c.info.siteId,
            protocol: c.info.protocol,
            direction: c.info.direction,
            moderator: c.info.moderator,
          },
        });
      },
      closing: (c) => {
        if (this.#calls.get(c.info.callId) === c) this.#calls.delete(c.info.callId);
      },
      ended: (c, reason) => {
        if (c.participationId) left(c, c.participationId, reason);
      },
      left,
      changed: (c, change) => {
        if (!c.participationId) return;
        if (change.muted !== undefined) events.publish(c.info.meetingId, { type: 'participant.muted', participantId: c.participationId, muted: change.muted });
        if (change.talking !== undefined)
          events.publish(c.info.meetingId, { type: 'participant.talking', participantId: c.participationId, talking: change.talking });
      },
    };
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

  /**
   * The media server whose conference is the meeting's: the one its calls are on, or, for a meeting
   * spread over several nodes (docs/scale.md), its primary, which every other node is linked to.
   */
  mediaServerOf(meetingId: string): string | undefined {
    return this.#primaries.get(meetingId) ?? this.inMeeting(meetingId).find((c) => c.mediaServer)?.mediaServer ?? undefined;
  }

  /** Set by the cascade while a meeting has a primary node; null forgets it. */
  setPrimary(meetingId: string, serverId: string | null): void {
    if (serverId) this.#primaries.set(meetingId, serverId);
    else this.#primaries.delete(meetingId);
  }

  /** The site's call in this meeting, if any. */
  siteCall(meetingId: string, siteId: string): Call | undefined {
    return this.inMeeting(meetingId).find((c) => c.info.siteId === siteId);
  }
}
