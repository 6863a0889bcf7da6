import { EntitySchema } from 'typeorm';
import type { FloorPolicy } from '../calls/content/content-control';

export const meetingStatuses = ['scheduled', 'live', 'ended', 'cancelled'] as const;
export type MeetingStatus = (typeof meetingStatuses)[number];
export type MeetingMode = 'discussion' | 'lecture';
export type MeetingLanguage = 'vi' | 'en';

/** A booking of a virtual room for a time window, with the sites invited to it. */
export interface Meeting {
  id: string;
  title: string;
  roomNumber: number;
  pin: string | null;
  startsAt: Date;
  endsAt: Date;
  chairSiteId: string | null;
  dialOut: boolean;
  allowGuests: boolean;
  /** `lecture`: everyone but the chair joins muted. */
  mode: MeetingMode;
  /** Language of the prompts callers hear. */
  language: MeetingLanguage;
  /** Recorded from the moment it goes live. */
  record: boolean;
  /** What a second presenter's request does while someone presents. */
  contentPolicy: FloorPolicy;
  status: MeetingStatus;
  /** Set by the scheduler when it made the meeting live / ended it. */
  wentLiveAt: Date | null;
  endedAt: Date | null;
  readinessSweptAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const MeetingEntity = new EntitySchema<Meeting>({
  name: 'Meeting',
  tableName: 'meeting',
  columns: {
    id: { type: 'uuid', primary: true, default: () => 'gen_random_uuid()' },
    title: { type: 'text' },
    roomNumber: { type: 'integer', name: 'room_number' },
    pin: { type: 'text', nullable: true },
    startsAt: { type: 'timestamptz', name: 'starts_at' },
    endsAt: { type: 'timestamptz', name: 'ends_at' },
    chairSiteId: { type: 'uuid', nullable: true, name: 'chair_site_id' },
    dialOut: { type: 'boolean', name: 'dial_out' },
    allowGuests: { type: 'boolean', name: 'allow_guests' },
    mode: { type: 'text' },
    language: { type: 'text' },
    record: { type: 'boolean' },
    contentPolicy: { type: 'text', name: 'content_policy', default: 'take-over' },
    status: { type: 'text' },
    wentLiveAt: { type: 'timestamptz', nullable: true, name: 'went_live_at' },
    endedAt: { type: 'timestamptz', nullable: true, name: 'ended_at' },
    readinessSweptAt: { type: 'timestamptz', nullable: true, name: 'readiness_swept_at' },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
  },
});
