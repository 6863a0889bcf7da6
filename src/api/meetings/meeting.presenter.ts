import { z } from 'zod';
import { meetingStatuses } from '../../meetings/meeting.entity';
import type { MeetingView } from '../../meetings/meeting-book';
import { iso, problemSchema } from '../common';

const siteRefOut = z.object({ id: z.uuid(), code: z.string(), name: z.string() }).meta({ id: 'SiteRef' });
const groupRefOut = z.object({ id: z.uuid(), code: z.string(), name: z.string() }).meta({ id: 'SiteGroupRef' });

export const meetingOut = z
  .object({
    id: z.uuid(),
    title: z.string(),
    roomNumber: z.number().int(),
    sipUri: z.string().describe('What a room system dials'),
    pin: z.string().nullable().optional().describe('Shown to operators and admins only'),
    hasPin: z.boolean(),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    status: z.enum(meetingStatuses),
    dialOut: z.boolean(),
    allowGuests: z.boolean(),
    mode: z.enum(['discussion', 'lecture']),
    language: z.enum(['vi', 'en']),
    record: z.boolean().describe('Recorded from the moment it goes live'),
    contentPolicy: z.enum(['take-over', 'queue']).describe('While someone presents, a second presenter takes the floor (take-over) or waits (queue)'),
    chairSite: siteRefOut.nullable(),
    invitedSites: z.array(siteRefOut),
    invitedGroups: z.array(groupRefOut).describe('The groups the invitation was made with, as they were then; their sites are in invitedSites'),
    skippedSites: z.array(siteRefOut).optional().describe('Only in the answer to a booking or change: disabled members of invitedGroups, not invited'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Meeting' });

export type MeetingOut = z.infer<typeof meetingOut>;

export function presentMeeting({ meeting: m, invited, groups, skipped }: MeetingView, sipDomain: string, showPin: boolean): MeetingOut {
  return {
    id: m.id,
    title: m.title,
    roomNumber: m.roomNumber,
    sipUri: `sip:${m.roomNumber}@${sipDomain}`,
    ...(showPin ? { pin: m.pin } : {}),
    hasPin: m.pin !== null,
    startsAt: iso(m.startsAt),
    endsAt: iso(m.endsAt),
    status: m.status,
    dialOut: m.dialOut,
    allowGuests: m.allowGuests,
    mode: m.mode,
    language: m.language,
    record: m.record,
    contentPolicy: m.contentPolicy,
    chairSite: invited.find((s) => s.id === m.chairSiteId) ?? null,
    invitedSites: invited,
    invitedGroups: groups,
    ...(skipped && { skippedSites: skipped }),
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
  };
}

const conflictingMeetingOut = z
  .object({ id: z.uuid(), title: z.string(), roomNumber: z.number().int(), startsAt: z.iso.datetime(), endsAt: z.iso.datetime() })
  .meta({ id: 'ConflictingMeeting' });

/** The 409 of a booking or change: the problem, and the meeting(s) in the way (`BookingConflict`). */
export const meetingConflictOut = problemSchema
  .extend({
    field: z.enum(['roomNumber', 'invitedSites']).optional().describe('The field to change: the room is taken, or an invited site is busy then'),
    conflictingMeeting: conflictingMeetingOut
      .nullable()
      .optional()
      .describe('The booking in the way (for sites, the first one); absent when the refusal is not an overlap'),
    conflicts: z
      .array(z.object({ site: siteRefOut, meeting: conflictingMeetingOut }))
      .optional()
      .describe('For invitedSites: every invited site already in another meeting at that time, with that meeting'),
  })
  .meta({ id: 'MeetingConflict', description: 'RFC 7807 problem details of a refused booking, naming what is in the way' });
