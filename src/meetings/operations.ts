import type { Actor } from '../audit/audit';
import type { MeetingBook } from './meeting-book';
import type { MeetingEvents } from './meeting-events';
import type { MeetingLifecycle, Scheduler } from './scheduler';

/** Ending and extending a meeting by hand: the booking changes, then the bridge acts on it. */
export function meetingOperations(book: MeetingBook, lifecycle: MeetingLifecycle, events: MeetingEvents, scheduler: Scheduler | null) {
  return {
    async endMeeting(id: string, actor: Actor): Promise<void> {
      const meeting = await book.end(id, actor);
      events.publish(meeting.id, { type: 'meeting.state', status: 'ended' });
      await lifecycle.ended(meeting);
    },
    async extendMeeting(id: string, minutes: number, actor: Actor): Promise<Date> {
      const { meeting } = await book.get(id);
      const endsAt = new Date(meeting.endsAt.getTime() + minutes * 60_000);
      await book.update(id, { endsAt: endsAt.toISOString() }, actor);
      scheduler?.extended(id);
      events.publish(id, { type: 'meeting.state', status: meeting.status, endsAt: endsAt.toISOString() });
      return endsAt;
    },
  };
}

/** Without SIP the scheduler still moves meetings through their states; there is nobody to call. */
export const noMediaLifecycle: MeetingLifecycle = {
  live: async () => undefined,
  ending: async () => undefined,
  ended: async () => undefined,
  readiness: async () => undefined,
};
