import { z } from 'zod';
import { allows } from '../../access/permissions';
import { calendarFilename, invitation, meetingCalendar, type InvitationContext } from '../../meetings/invitation';
import type { MeetingView } from '../../meetings/meeting-book';
import { authProblems, problems } from '../common';
import type { ApiDeps } from '../deps';
import type { Caller } from '../middleware/auth';
import { route, uuidParams } from '../route';

/** GET /meetings/{id}/calendar.ics and /meetings/{id}/invitation: what an operator sends to the communes. */

export interface InvitationDeps extends Pick<ApiDeps, 'meetings' | 'sipDomain' | 'timeZone' | 'publicUrl' | 'h323Enabled'> {
  now?: () => Date;
}

const invitationOut = z
  .object({
    text: z
      .object({ vi: z.string(), en: z.string() })
      .describe('A short text to copy into a message: title, local time, how room systems dial in, the PIN (operators and admins only), the join page'),
    joinUrl: z.string().nullable().describe('The browser join page; null when PUBLIC_URL is not set'),
    sipUri: z.string().describe('What a SIP room system dials'),
    dialString: z.string().describe('The SIP URI with the PIN inline (room*PIN) for operators and admins when the meeting has a PIN'),
    h323Dial: z.string().nullable().describe('What an H.323 room system registered to the bridge dials; null when H.323 is off'),
    pin: z.string().nullable().optional().describe('Shown to operators and admins only'),
  })
  .meta({ id: 'Invitation' });

export function invitationRoutes({ meetings, sipDomain, timeZone, publicUrl, h323Enabled, now = () => new Date() }: InvitationDeps) {
  const context = (caller: Caller | null): InvitationContext => ({
    sipDomain,
    timeZone,
    showPin: !!caller && allows(caller.role, 'meetings:secrets'),
    publicUrl: publicUrl ?? null,
    h323: !!h323Enabled,
  });
  const fields = ({ meeting: m }: MeetingView) => m;

  return [
    route({
      method: 'get',
      path: '/meetings/{id}/calendar.ics',
      tag: 'meetings',
      summary: 'The meeting as an iCalendar file (RFC 5545) to import into a calendar; the PIN for operators and admins only',
      permission: 'read',
      params: uuidParams,
      responses: {
        200: { description: 'text/calendar; charset=utf-8, as an attachment', schema: z.string(), contentType: 'text/calendar' },
        ...authProblems,
        404: problems[404],
      },
      async handler(ctx, { params, caller }) {
        const m = fields(await meetings.get(params.id));
        ctx.type = 'text/calendar; charset=utf-8';
        ctx.set('Content-Disposition', `attachment; filename="${calendarFilename(m, timeZone)}"`);
        ctx.set('Cache-Control', 'private, no-store');
        ctx.body = meetingCalendar(m, context(caller), now());
      },
    }),
    route({
      method: 'get',
      path: '/meetings/{id}/invitation',
      tag: 'meetings',
      summary: 'A short invitation to copy (Vietnamese and English) with the ways to dial in; the PIN for operators and admins only',
      permission: 'read',
      params: uuidParams,
      responses: { 200: { description: 'The invitation', schema: invitationOut }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params, caller }) {
        const c = context(caller);
        const { pin, ...rest } = invitation(fields(await meetings.get(params.id)), c);
        ctx.set('Cache-Control', 'private, no-store');
        ctx.body = { ...rest, ...(c.showPin ? { pin } : {}) };
      },
    }),
  ];
}
