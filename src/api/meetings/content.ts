import { z } from 'zod';
import { recordAuditAfter } from '../../audit/audit';
import type { Presenter } from '../../calls/content/content-control';
import { authProblems, iso, problems, problemSchema } from '../common';
import type { ApiDeps } from '../deps';
import { HttpProblem } from '../problem';
import { route, uuidParams } from '../route';

const presenterOut = z
  .object({
    participantId: z.uuid().nullable().describe('The presenting participation (as in the roster)'),
    name: z.string(),
    siteId: z.uuid().nullable().describe('Null for a guest'),
    protocol: z.enum(['sip', 'h323', 'webrtc']),
    since: z.iso.datetime(),
  })
  .meta({ id: 'Presenter' });

const policyOut = z.enum(['take-over', 'queue']).describe("The booking's contentPolicy: what a second presenter's request does");

const presenterOf = (p: Presenter) => ({ participantId: p.participantId, name: p.name, siteId: p.siteId, protocol: p.protocol, since: iso(p.since) });

const needsSip = { 503: { description: 'SIP is not configured on this bridge', schema: problemSchema, contentType: 'application/problem+json' } };

/** Who presents content in a meeting, and the operator's way to stop them. */
export function contentRoutes(deps: ApiDeps) {
  const content = () => {
    if (!deps.content) throw new HttpProblem(503, 'Service Unavailable', 'SIP is not configured on this bridge (DRACHTIO_HOST)');
    return deps.content;
  };

  return [
    route({
      method: 'get',
      path: '/meetings/{id}/content',
      tag: 'live',
      summary: 'Who presents content now (null: nobody), and the floor policy',
      permission: 'read',
      params: uuidParams,
      responses: {
        200: {
          description: 'The presenter and the policy',
          schema: z.object({ presenter: presenterOut.nullable(), policy: policyOut }).meta({ id: 'ContentState' }),
        },
        ...authProblems,
        404: problems[404],
      },
      async handler(ctx, { params }) {
        const { meeting } = await deps.meetings.get(params.id);
        // Without a call side nobody can present: the answer is still true, as the roster's is.
        const p = deps.content?.presenter(meeting.id) ?? null;
        ctx.body = { presenter: p && presenterOf(p), policy: meeting.contentPolicy };
      },
    }),
    route({
      method: 'post',
      path: '/meetings/{id}/content/stop',
      tag: 'live',
      summary: 'Take the content floor away from whoever presents (they are told it was revoked)',
      permission: 'meetings:write',
      params: uuidParams,
      responses: {
        200: { description: 'Who was presenting', schema: z.object({ stopped: presenterOut }) },
        ...authProblems,
        404: problems[404],
        409: { ...problems[409], description: 'Nobody presents' },
        ...needsSip,
      },
      async handler(ctx, { params, caller }) {
        const { meeting } = await deps.meetings.get(params.id);
        const stopped = await content().stop(meeting.id);
        if (!stopped) throw new HttpProblem(409, 'Invalid State', 'nobody is presenting in this meeting');
        await recordAuditAfter(deps.ds, caller!.actor, {
          action: 'meeting.content-stop',
          resourceType: 'meeting',
          resourceId: meeting.id,
          detail: { title: meeting.title, participantId: stopped.participantId, name: stopped.name, siteId: stopped.siteId },
        });
        ctx.body = { stopped: presenterOf(stopped) };
      },
    }),
  ];
}
