import { CallRegistry } from '../../src/calls/call-registry';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { MeetingEvents, type MeetingEvent } from '../../src/meetings/meeting-events';
import type { EndReason, NewParticipation, Participations } from '../../src/meetings/participations';

/** Participation rows in memory; opening and closing go into the shared log. */
export class FakeParticipations implements Pick<Participations, 'open' | 'close'> {
  readonly rows = new Map<string, NewParticipation & { endReason: EndReason | null; closes: number }>();
  constructor(private readonly log: string[] = []) {}

  async open(p: NewParticipation): Promise<string> {
    const id = `p${this.rows.size + 1}`;
    this.rows.set(id, { ...p, endReason: null, closes: 0 });
    this.log.push(`participation opened ${p.callId}`);
    return id;
  }

  async close(id: string, reason: EndReason): Promise<void> {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no participation ${id}`);
    row.closes++;
    if (row.endReason) return; // WHERE left_at IS NULL
    row.endReason = reason;
    this.log.push(`participation closed ${reason}`);
  }

  open_(): string[] {
    return [...this.rows].filter(([, r]) => !r.endReason).map(([id]) => id);
  }
}

/** A call registry over fake participations, and the events it publishes. */
export function fakeRegistry(log: string[] = []): { calls: CallRegistry; participations: FakeParticipations; events: MeetingEvent[] } {
  const participations = new FakeParticipations(log);
  const meetingEvents = new MeetingEvents();
  const events: MeetingEvent[] = [];
  meetingEvents.subscribe('*', (e) => void events.push(e));
  return { calls: new CallRegistry(participations, meetingEvents), participations, events };
}

/** A meeting running now in room 2001 (open to guests, no PIN unless given). */
export function liveMeeting(over: Partial<Meeting> = {}): Meeting {
  const now = Date.now();
  return {
    id: 'm1',
    title: 'Giao ban',
    roomNumber: 2001,
    pin: null,
    startsAt: new Date(now - 60_000),
    endsAt: new Date(now + 3_600_000),
    chairSiteId: null,
    dialOut: false,
    allowGuests: true,
    mode: 'discussion',
    language: 'vi',
    record: false,
    contentPolicy: 'take-over',
    status: 'live',
    wentLiveAt: new Date(now - 60_000),
    endedAt: null,
    readinessSweptAt: null,
    createdAt: new Date(now - 86_400_000),
    updatedAt: new Date(now - 86_400_000),
    ...over,
  };
}
