import { z } from 'zod';
import { recordAuditAfter } from '../../audit/audit';
import { conferenceLayouts } from '../../media/freeswitch/conference';
import { authProblems, problems, problemSchema, writeProblems } from '../common';
import type { ApiDeps } from '../deps';
import { streamMeetingEvents } from '../event-stream';
import { HttpProblem } from '../problem';
import type { Caller } from '../middleware/auth';
import { qualitySampleOut } from '../quality/routes';
import { route, uuidParams } from '../route';
import { RosterBodies } from './roster-body';

const participantOut = z
  .object({
    id: z.uuid().describe('The participation id'),
    callId: z.string(),
    name: z.string(),
    siteId: z.uuid().nullable(),
    protocol: z.string(),
    direction: z.enum(['in', 'out']),
    audioCodec: z.string().nullable(),
    videoCodec: z.string().nullable(),
    joinedAt: z.iso.datetime(),
    muted: z.boolean(),
    talking: z.boolean(),
    moderator: z.boolean(),
    quality: qualitySampleOut.nullable().describe('The latest media quality sample of the call; null before the first'),
  })
  .meta({ id: 'Participant' });

const participantParams = z.object({ id: z.string(), participantId: z.string() });
const muteBody = z.object({ muted: z.boolean() }).strict().meta({ id: 'MuteChange' });
const lockBody = z.object({ locked: z.boolean() }).strict().meta({ id: 'LockChange' });
const layoutBody = z
  .object({ layout: z.enum(conferenceLayouts) })
  .strict()
  .meta({ id: 'LayoutChange' });
const extendBody = z
  .object({ minutes: z.number().int().min(1).max(240) })
  .strict()
  .meta({ id: 'Extension' });
// One object rather than a union of two, so that a bad URI is answered "uri: must be a SIP URI",
// which the console shows as it is, not a union's "invalid input".
const dialBody = z
  .object({
    site: z.string().min(1).optional().describe('Site id or code: dialled with retries'),
    uri: z
      .string()
      .regex(/^sips?:[^\s]+$/i, 'must be a SIP URI')
      .optional()
      .describe('Any SIP URI: dialled once'),
    name: z.string().trim().min(1).max(100).optional().describe('How the URI is named in the roster'),
  })
  .strict()
  .refine((b) => (b.site === undefined) !== (b.uri === undefined), 'give either site or uri')
  .refine((b) => b.site === undefined || b.name === undefined, { message: 'a site has its own name', path: ['name'] })
  .meta({ id: 'DialRequest' });

/**
 * Live control of a meeting (operators) and its event stream. Everything but the stream needs the
 * SIP side; without it these answer 503.
 */
export function liveRoutes(deps: ApiDeps) {
  const rosters = new RosterBodies();
  const live = () => {
    if (!deps.live) throw new HttpProblem(503, 'Service Unavailable', 'SIP is not configured on this bridge (DRACHTIO_HOST)');
    return deps.live;
  };
  const liveMeeting = async (id: string) => {
    const { meeting } = await deps.meetings.get(id);
    if (meeting.status !== 'live') throw new HttpProblem(409, 'Invalid State', `meeting is ${meeting.status}, not live`);
    return meeting;
  };
  /** What an operator did to a live meeting, in the audit log under their name (the meeting filter finds it). */
  const audited = (caller: Caller | null, action: string, meetingId: string, detail: Record<string, unknown>) =>
    recordAuditAfter(deps.ds, caller!.actor, { action: `meeting.${action}`, resourceType: 'meeting', resourceId: meetingId, detail });
  /** A participant's name while they are still in (a kicked one is gone after). */
  const participantName = (meetingId: string, participantId: string) =>
    live()
      .control.participants(meetingId)
      .find((p) => p.id === participantId)?.name ?? null;
  const ok = { 204: { description: 'Done' } };
  const notFound = { 404: problems[404], 409: problems[409] };
  const needsSip = { 503: { description: 'SIP is not configured on this bridge', schema: problemSchema, contentType: 'application/problem+json' } };

  return [
    route({
      method: 'get',
      path: '/meetings/{id}/participants',
      tag: 'live',
      summary: 'Who is in the meeting now',
      permission: 'read',
      params: uuidParams,
      responses: {
        200: {
          description: 'The roster, the lock, the layouts an operator may choose and the one chosen (null: the default, group:grid)',
          schema: z.object({
            items: z.array(participantOut),
            locked: z.boolean(),
            layouts: z.array(z.enum(conferenceLayouts)),
            layout: z.enum(conferenceLayouts).nullable(),
          }),
        },
        ...authProblems,
        404: problems[404],
      },
      async handler(ctx, { params }) {
        // The roster is in memory; of the meeting only its existence is read (the hot poll of every console).
        await deps.meetings.assertExists(params.id);
        const id = params.id.toLowerCase();
        const l = deps.live;
        ctx.type = 'application/json';
        ctx.body = rosters.body(id, {
          items: l ? l.control.participants(id) : [],
          locked: l ? l.control.isLocked(id) : false,
          layouts: conferenceLayouts,
          layout: l ? l.control.currentLayout(id) : null,
        });
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/participants/{participantId}/mute',
      tag: 'live',
      summary: 'Mute or unmute one participant',
      permission: 'meetings:write',
      params: participantParams,
      body: muteBody,
      responses: { ...ok, ...writeProblems, ...notFound, ...needsSip },
      async handler(ctx, { params, body, caller }) {
        await live().control.mute(params.id, params.participantId, body.muted);
        await audited(caller, 'mute', params.id, {
          participantId: params.participantId,
          name: participantName(params.id, params.participantId),
          muted: body.muted,
        });
        ctx.status = 204;
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/mute-all',
      tag: 'live',
      summary: 'Mute or unmute everyone but the chair',
      permission: 'meetings:write',
      params: uuidParams,
      body: muteBody,
      responses: { 200: { description: 'How many changed', schema: z.object({ changed: z.number().int() }) }, ...writeProblems, ...notFound, ...needsSip },
      async handler(ctx, { params, body, caller }) {
        const meeting = await liveMeeting(params.id);
        const changed = await live().control.muteAll(meeting.id, body.muted);
        await audited(caller, 'mute-all', meeting.id, { title: meeting.title, muted: body.muted, changed });
        ctx.body = { changed };
      },
    }),
    route({
      method: 'delete',
      path: '/meetings/{id}/participants/{participantId}',
      tag: 'live',
      summary: 'Kick a participant (hangs up the call)',
      permission: 'meetings:write',
      params: participantParams,
      responses: { ...ok, ...authProblems, ...notFound, ...needsSip },
      async handler(ctx, { params, caller }) {
        const name = participantName(params.id, params.participantId);
        await live().control.kick(params.id, params.participantId);
        await audited(caller, 'kick', params.id, { participantId: params.participantId, name });
        ctx.status = 204;
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/participants/{participantId}/floor',
      tag: 'live',
      summary: 'Pin a participant to the main video tile',
      permission: 'meetings:write',
      params: participantParams,
      responses: { ...ok, ...authProblems, ...notFound, ...needsSip },
      async handler(ctx, { params, caller }) {
        await live().control.floor(params.id, params.participantId);
        await audited(caller, 'floor', params.id, { participantId: params.participantId, name: participantName(params.id, params.participantId) });
        ctx.status = 204;
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/lock',
      tag: 'live',
      summary: 'Lock or unlock the room (a locked room answers new callers 486)',
      permission: 'meetings:write',
      params: uuidParams,
      body: lockBody,
      responses: { ...ok, ...writeProblems, ...notFound, ...needsSip },
      async handler(ctx, { params, body, caller }) {
        const meeting = await liveMeeting(params.id);
        live().control.lock(meeting.id, body.locked);
        await audited(caller, 'lock', meeting.id, { title: meeting.title, locked: body.locked });
        ctx.status = 204;
      },
    }),
    route({
      method: 'put',
      path: '/meetings/{id}/layout',
      tag: 'live',
      summary: 'Set the video layout',
      permission: 'meetings:write',
      params: uuidParams,
      body: layoutBody,
      responses: { ...ok, ...writeProblems, ...notFound, ...needsSip },
      async handler(ctx, { params, body, caller }) {
        const meeting = await liveMeeting(params.id);
        await live().control.layout(meeting.id, body.layout);
        await audited(caller, 'layout', meeting.id, { title: meeting.title, layout: body.layout });
        ctx.status = 204;
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/dial',
      tag: 'live',
      summary: 'Dial a directory site (with retries) or any SIP URI (once) into the meeting',
      permission: 'meetings:write',
      params: uuidParams,
      body: dialBody,
      responses: { 202: { description: 'Dialling; follow the events' }, ...writeProblems, ...notFound, ...needsSip },
      async handler(ctx, { params, body, caller }) {
        const meeting = await liveMeeting(params.id);
        const l = live();
        if (body.site !== undefined) {
          const site = await deps.sites.byRef(body.site);
          void l.dialer.dialSite(meeting, site.id);
          await audited(caller, 'dial', meeting.id, { title: meeting.title, siteId: site.id, code: site.code });
        } else {
          const uri = body.uri!;
          void l.dialer.dialUri(meeting, uri, body.name ?? uri);
          await audited(caller, 'dial', meeting.id, { title: meeting.title, uri });
        }
        ctx.status = 202;
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/end',
      tag: 'live',
      summary: 'End a live meeting now (everyone is hung up)',
      permission: 'meetings:write',
      params: uuidParams,
      responses: { ...ok, ...authProblems, ...notFound },
      async handler(ctx, { params, caller }) {
        await deps.endMeeting(params.id, caller!.actor);
        ctx.status = 204;
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/extend',
      tag: 'live',
      summary: 'Move the end of a scheduled or live meeting later',
      permission: 'meetings:write',
      params: uuidParams,
      body: extendBody,
      responses: { 200: { description: 'The new end', schema: z.object({ endsAt: z.iso.datetime() }) }, ...writeProblems, ...notFound },
      async handler(ctx, { params, body, caller }) {
        ctx.body = { endsAt: (await deps.extendMeeting(params.id, body.minutes, caller!.actor)).toISOString() };
      },
    }),
    route({
      method: 'get',
      path: '/meetings/{id}/events',
      tag: 'live',
      summary: 'Server-Sent Events: joins, leaves, talking, mutes, dial attempts, readiness, meeting state',
      permission: 'read',
      params: uuidParams,
      responses: {
        200: { description: 'text/event-stream, one JSON event per message', contentType: 'text/event-stream' },
        ...authProblems,
        404: problems[404],
      },
      async handler(ctx, { params }) {
        const { meeting } = await deps.meetings.get(params.id);
        streamMeetingEvents(ctx, deps.events, meeting.id, { meetingId: meeting.id, status: meeting.status });
      },
    }),
  ];
}
