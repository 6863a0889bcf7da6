import { allows } from '../../access/permissions';
import { meetingCreateSchema, meetingListQuerySchema, meetingUpdateSchema } from '../../meetings/meeting.schema';
import type { MeetingView } from '../../meetings/meeting-book';
import { authProblems, pageOf, problems, writeProblems } from '../common';
import type { ApiDeps } from '../deps';
import type { Caller } from '../middleware/auth';
import { route, uuidParams } from '../route';
import { meetingConflictOut, meetingOut, presentMeeting } from './meeting.presenter';

/** A booking refused: the room or a site is taken then (named), or the meeting can no longer change. */
const conflict = {
  ...problems[409],
  description: 'The room or an invited site is booked then (the meeting in the way is named), or the meeting can no longer change',
  schema: meetingConflictOut,
};

export function meetingRoutes({ meetings, sipDomain }: ApiDeps) {
  const present = (view: MeetingView, caller: Caller | null) => presentMeeting(view, sipDomain, !!caller && allows(caller.role, 'meetings:secrets'));

  return [
    route({
      method: 'get',
      path: '/meetings',
      tag: 'meetings',
      summary: 'List meetings, filtered by time window, status and room',
      permission: 'read',
      query: meetingListQuerySchema,
      responses: { 200: { description: 'A page of meetings', schema: pageOf(meetingOut, 'MeetingPage') }, ...authProblems, 422: problems[422] },
      async handler(ctx, { query, caller }) {
        const page = await meetings.list(query);
        ctx.body = { ...page, items: page.items.map((v) => present(v, caller)) };
      },
    }),
    route({
      method: 'post',
      path: '/meetings',
      tag: 'meetings',
      summary: 'Book a meeting',
      permission: 'meetings:write',
      body: meetingCreateSchema,
      responses: { 201: { description: 'Booked', schema: meetingOut }, ...writeProblems, 409: conflict },
      async handler(ctx, { body, caller }) {
        const view = await meetings.create(body, caller!.actor);
        ctx.status = 201;
        ctx.set('Location', `/api/v1/meetings/${view.meeting.id}`);
        ctx.body = present(view, caller);
      },
    }),
    route({
      method: 'get',
      path: '/meetings/{id}',
      tag: 'meetings',
      summary: 'One meeting',
      permission: 'read',
      params: uuidParams,
      responses: { 200: { description: 'The meeting', schema: meetingOut }, ...authProblems, 404: problems[404] },
      async handler(ctx, { params, caller }) {
        ctx.body = present(await meetings.get(params.id), caller);
      },
    }),
    route({
      method: 'patch',
      path: '/meetings/{id}',
      tag: 'meetings',
      summary: 'Change a meeting that has not ended (a live one keeps its room and start)',
      permission: 'meetings:write',
      params: uuidParams,
      body: meetingUpdateSchema,
      responses: { 200: { description: 'Updated', schema: meetingOut }, ...writeProblems, 404: problems[404], 409: conflict },
      async handler(ctx, { params, body, caller }) {
        ctx.body = present(await meetings.update(params.id, body, caller!.actor), caller);
      },
    }),
    route({
      method: 'delete',
      path: '/meetings/{id}',
      tag: 'meetings',
      summary: 'Cancel a scheduled meeting (it stays on record as cancelled)',
      permission: 'meetings:write',
      params: uuidParams,
      responses: { 204: { description: 'Cancelled' }, ...authProblems, 404: problems[404], 409: problems[409] },
      async handler(ctx, { params, caller }) {
        await meetings.cancel(params.id, caller!.actor);
        ctx.status = 204;
      },
    }),
  ];
}
