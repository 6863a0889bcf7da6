import type { ContentControl, Presenter } from '../../src/calls/content/content-control';
import type { MeetingEvents } from '../../src/meetings/meeting-events';

/**
 * Content sharing without a call side: a test says who presents, and the operator's stop takes the
 * floor away as the hub would (`content.stopped`, revoked). With the API's MeetingEvents, the events
 * reach its SSE stream as the hub's would.
 */
export class FakeContent implements ContentControl {
  readonly #presenters = new Map<string, Presenter>();
  /** The meetings stop was asked for, in order. */
  readonly stops: string[] = [];

  constructor(private readonly events: MeetingEvents | null = null) {}

  present(meetingId: string, p: Presenter): void {
    this.#presenters.set(meetingId, p);
    this.events?.publish(meetingId, { type: 'content.started', presenter: fields(p) });
  }

  presenter(meetingId: string): Presenter | null {
    return this.#presenters.get(meetingId) ?? null;
  }

  async stop(meetingId: string): Promise<Presenter | null> {
    this.stops.push(meetingId);
    const p = this.#presenters.get(meetingId) ?? null;
    if (!p) return null;
    this.#presenters.delete(meetingId);
    this.events?.publish(meetingId, { type: 'content.stopped', presenter: fields(p), reason: 'revoked' });
    return p;
  }
}

function fields(p: Presenter) {
  return { participantId: p.participantId, name: p.name, siteId: p.siteId, protocol: p.protocol };
}
