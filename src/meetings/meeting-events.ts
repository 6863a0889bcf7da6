import { EventEmitter } from 'node:events';
import type { MeetingStatus } from './meeting.entity';

/** What happens in a meeting, as the SSE stream and webhooks carry it. */
export type MeetingEventBody =
  | { type: 'meeting.state'; status: MeetingStatus; endsAt?: string }
  | { type: 'participant.joined'; participant: { id: string; name: string; siteId: string | null; protocol: string; direction: string; moderator: boolean } }
  | { type: 'participant.left'; participantId: string; name: string; siteId: string | null; reason: string }
  | { type: 'participant.talking'; participantId: string; talking: boolean }
  | { type: 'participant.muted'; participantId: string; muted: boolean }
  | { type: 'dial.attempt'; siteId: string; attempt: number; target: string }
  // `target` on dial.attempt is where the dialer meant to call; on dial.outcome, where the call really went
  // (an H.323 site is dialled at its gatekeeper registration when it has one).
  | { type: 'dial.outcome'; siteId: string; attempt: number; outcome: string; sipStatus: number | null; retryInMs: number | null; target: string }
  | { type: 'document.added'; document: { id: string; name: string; mediaType: string; size: number; uploadedAt: string } }
  | { type: 'document.removed'; documentId: string }
  | { type: 'readiness'; siteId: string; reachable: boolean; latencyMs: number | null; sipStatus: number | null }
  | { type: 'recording.started'; recordingId: string; format: 'mp4' | 'wav' }
  | { type: 'content.started'; presenter: { participantId: string | null; name: string; siteId: string | null; protocol: string } }
  | {
      type: 'content.stopped';
      presenter: { participantId: string | null; name: string; siteId: string | null; protocol: string };
      reason: 'released' | 'revoked' | 'taken-over' | 'left' | 'ended';
    }
  | { type: 'recording.stopped'; recordingId: string; sizeBytes: number | null; durationMs: number | null };

export type MeetingEvent = MeetingEventBody & { meetingId: string; at: string; seq: number };

/**
 * In-process fan-out of meeting events. A listener that throws is logged by the caller's emitter
 * wrapper, never breaks the publisher.
 */
export class MeetingEvents {
  readonly #emitter = new EventEmitter();
  #seq = 0;

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  publish(meetingId: string, body: MeetingEventBody): MeetingEvent {
    const event = { ...body, meetingId, at: new Date().toISOString(), seq: ++this.#seq } as MeetingEvent;
    for (const listener of [...this.#emitter.listeners(meetingId), ...this.#emitter.listeners('*')]) {
      try {
        (listener as (e: MeetingEvent) => void)(event);
      } catch {
        // a subscriber's failure is its own; the meeting goes on
      }
    }
    return event;
  }

  /** `meetingId` '*' receives every meeting's events (webhooks). Returns the unsubscribe function. */
  subscribe(meetingId: string, listener: (e: MeetingEvent) => void): () => void {
    this.#emitter.on(meetingId, listener);
    return () => this.#emitter.off(meetingId, listener);
  }
}
