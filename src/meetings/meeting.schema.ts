import { z } from 'zod';
import { unstorableInstant } from '../db/values';
import { meetingStatuses } from './meeting.entity';

/** What a client may send about a meeting; also the source of the OpenAPI document. */

const dateTime = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T08:00:00+07:00' })
  .superRefine((s, ctx) => {
    const message = unstorableInstant(Date.parse(s));
    if (message) ctx.addIssue({ code: 'custom', message });
  });

const siteRef = z.string().min(1).max(64).describe('A site id or code');
const groupRef = z.string().min(1).max(64).describe('A site group id or code');

export const maxMeetingHours = 24;

const meetingFields = {
  title: z
    .string()
    .transform((s) => s.normalize('NFC').trim())
    .pipe(z.string().min(1, 'must not be empty').max(200)),
  roomNumber: z.number().int().min(100).max(999999999).describe('Dialled as sip:<roomNumber>@<SIP_DOMAIN>'),
  pin: z
    .string()
    .regex(/^\d{4,10}$/, 'must be 4 to 10 digits')
    .nullable(),
  startsAt: dateTime,
  endsAt: dateTime,
  invitedSites: z.array(siteRef).max(1000),
  invitedGroups: z
    .array(groupRef)
    .max(100)
    .describe('Their enabled members are invited, as the groups are at booking time; a PATCH with this or invitedSites replaces the invitation'),
  chairSite: siteRef.nullable().describe('Joins as moderator; invited automatically'),
  dialOut: z.boolean().describe('The bridge calls every invited site when the meeting starts'),
  allowGuests: z.boolean().describe('Callers not in the directory may join (with the PIN)'),
  mode: z.enum(['discussion', 'lecture']).describe('lecture: everyone but the chair joins muted'),
  language: z.enum(['vi', 'en']).describe('Language of the voice prompts'),
  record: z.boolean().describe('The meeting is recorded from the moment it goes live (operators can also start and stop it live)'),
  contentPolicy: z
    .enum(['take-over', 'queue'])
    .describe('While someone presents content, a second presenter takes the floor (take-over) or waits for it (queue)'),
};

function checkTimes(m: { startsAt?: string; endsAt?: string }, ctx: z.RefinementCtx) {
  if (!m.startsAt || !m.endsAt) return;
  const span = Date.parse(m.endsAt) - Date.parse(m.startsAt);
  if (span <= 0) ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'must be after startsAt' });
  else if (span > maxMeetingHours * 3600_000) {
    ctx.addIssue({ code: 'custom', path: ['endsAt'], message: `a meeting lasts at most ${maxMeetingHours} hours` });
  }
}

export const meetingCreateSchema = z
  .object({
    ...meetingFields,
    roomNumber: meetingFields.roomNumber.optional().describe('Allocated from ROOM_NUMBERS when omitted'),
    pin: meetingFields.pin.optional(),
    invitedSites: meetingFields.invitedSites.default([]),
    invitedGroups: meetingFields.invitedGroups.optional(),
    chairSite: meetingFields.chairSite.optional(),
    dialOut: meetingFields.dialOut.default(false),
    allowGuests: meetingFields.allowGuests.default(false),
    mode: meetingFields.mode.default('discussion'),
    language: meetingFields.language.default('vi'),
    record: meetingFields.record.default(false),
    contentPolicy: meetingFields.contentPolicy.optional().describe('Default take-over'),
  })
  .strict()
  .superRefine(checkTimes)
  .meta({ id: 'MeetingCreate' });

export const meetingUpdateSchema = z
  .object(
    Object.fromEntries(Object.entries(meetingFields).map(([k, v]) => [k, v.optional()])) as {
      [K in keyof typeof meetingFields]: z.ZodOptional<(typeof meetingFields)[K]>;
    },
  )
  .strict()
  .superRefine(checkTimes)
  .meta({ id: 'MeetingUpdate' });

export type MeetingCreate = z.infer<typeof meetingCreateSchema>;
export type MeetingUpdate = z.infer<typeof meetingUpdateSchema>;

export const meetingListQuerySchema = z
  .object({
    from: dateTime.optional().describe('Meetings that end after this instant'),
    to: dateTime.optional().describe('Meetings that start before this instant'),
    status: z
      .string()
      .transform((s, ctx) => {
        const list = s.split(',').map((x) => x.trim());
        const bad = list.filter((x) => !(meetingStatuses as readonly string[]).includes(x));
        if (bad.length) ctx.addIssue({ code: 'custom', message: `unknown status ${bad.join(', ')}; one of ${meetingStatuses.join(', ')}` });
        return list as (typeof meetingStatuses)[number][];
      })
      .optional()
      .describe(`Comma-separated: ${meetingStatuses.join(', ')}`),
    room: z.coerce.number().int().min(100).max(999999999).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export type MeetingListQuery = z.infer<typeof meetingListQuerySchema>;
