import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { issueDocumentPass, verifyDocumentPass, DOCUMENT_PASS_GRACE_MS } from '../../access/document-pass';
import type { MeetingDocuments } from '../../documents/documents';
import type { ContentControl } from '../../calls/content/content-control';
import type { MeetingEvent, MeetingEvents } from '../../meetings/meeting-events';
import { digestHa1 } from '../../sip-auth';
import { iso, problems } from '../common';
import { streamMeetingEvents } from '../event-stream';
import type { DocumentPass, JoinDocument } from '../join/contract';
import { refusal, roomMeeting, tooManyAttempts, type JoinDeps } from '../join/routes';
import { joinProblems, roomParams } from '../join/schemas';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { sendDocument } from './download';

/**
 * The join page's side of a meeting's documents. Whoever reads them holds a document pass for that
 * meeting (see document-pass.ts): a guest gets one with the join ticket, an invited site by signing
 * in here with the SIP credentials it registers with. Nobody else reads them from the join page.
 */

const TAG = 'join';

const passQuery = z.object({ pass: z.string().max(4096).optional().describe('The document pass from the join ticket or POST …/site-pass') });

const sitePassRequest = z
  .object({
    username: z.string().min(1).max(64).describe('The site\u2019s SIP username'),
    password: z.string().min(1).max(128).describe('The site\u2019s SIP password'),
  })
  .strict()
  .meta({ id: 'SitePassRequest' });

const documentPassOut = z
  .object({ pass: z.string(), expiresAt: z.iso.datetime(), holder: z.string() })
  .meta({ id: 'DocumentPass' }) satisfies z.ZodType<DocumentPass>;

const joinDocumentOut = z
  .object({ id: z.uuid(), name: z.string(), mediaType: z.string(), size: z.number().int(), uploadedAt: z.iso.datetime() })
  .meta({ id: 'JoinDocument' }) satisfies z.ZodType<JoinDocument>;

interface SiteRow {
  id: string;
  name: string;
  enabled: boolean;
  sip_ha1: string | null;
  sip_realm: string | null;
}

export function joinDocumentRoutes(deps: {
  join: JoinDeps;
  documents: MeetingDocuments;
  events: MeetingEvents;
  /** Who presents, for the stream's hello; absent: the hello does not say. */
  content?: Pick<ContentControl, 'presenter'> | undefined;
}) {
  const { join, documents } = deps;
  const now = join.now ?? (() => new Date());
  const secret = join.tokenSecret && join.tokenSecret.length > 0 ? join.tokenSecret : null;
  const passProblems = {
    401: { ...problems[401], description: 'No document pass, or not a valid one (or it expired)' },
    403: { ...problems[403], description: 'The pass is for another room' },
    404: problems[404],
  };

  /** The meeting the pass opens, for this room; 401/403 otherwise. */
  const meetingOfPass = (room: number, pass: string | undefined): string => {
    if (!secret) throw refusal(503, 'Service Unavailable', 'not-configured', 'browser join is not configured on this bridge (JOIN_TOKEN_SECRET)');
    if (!pass) throw new HttpProblem(401, 'Unauthorized', "send the meeting's document pass as ?pass= (from the join ticket, or POST …/site-pass)");
    const result = verifyDocumentPass(secret, pass, { room, now: now() });
    if (result.ok) return result.claims.meetingId;
    if (result.reason === 'room') throw new HttpProblem(403, 'Forbidden', 'the document pass is for another room');
    throw new HttpProblem(401, 'Unauthorized', result.reason === 'expired' ? 'the document pass has expired' : 'the document pass is not valid');
  };

  return [
    route({
      method: 'post',
      path: '/join/{room}/site-pass',
      tag: TAG,
      summary: "An invited site signs in on the join page (its SIP credentials) for the pass to its meeting's documents",
      permission: 'public',
      params: roomParams,
      body: sitePassRequest,
      responses: {
        201: { description: 'The pass', schema: documentPassOut },
        400: problems[400],
        403: { ...joinProblems[403], description: 'Wrong credentials (wrong-credentials), or the site is not invited (not-invited)' },
        404: joinProblems[404],
        409: joinProblems[409],
        413: problems[413],
        415: problems[415],
        422: joinProblems[422],
        429: joinProblems[429],
        503: joinProblems[503],
      },
      async handler(ctx, { params, body }) {
        const source = ctx.ip;
        const wait = join.pinFailures.blockedFor(source);
        if (wait > 0) throw tooManyAttempts(wait);
        if (!secret) throw refusal(503, 'Service Unavailable', 'not-configured', 'browser join is not configured on this bridge (JOIN_TOKEN_SECRET)');
        const { meeting, status } = await roomMeeting(join, params.room, now());
        if (status === 'ended' || status === 'cancelled') {
          throw refusal(409, status === 'cancelled' ? 'Meeting Cancelled' : 'Meeting Ended', status, `the meeting in room ${params.room} is ${status}`);
        }
        const [site]: SiteRow[] = await join.ds.query(`SELECT id, name, enabled, sip_ha1, sip_realm FROM site WHERE sip_username = $1`, [body.username]);
        if (!site?.enabled || !site.sip_ha1 || !site.sip_realm || !sameText(digestHa1(body.username, site.sip_realm, body.password), site.sip_ha1)) {
          join.pinFailures.fail(source);
          throw refusal(403, 'Forbidden', 'wrong-credentials', 'the SIP username or password is wrong, or the site is disabled');
        }
        join.pinFailures.succeed(source);
        const invited = await join.ds.query(`SELECT 1 FROM meeting_site WHERE meeting_id = $1 AND site_id = $2`, [meeting.id, site.id]);
        if (!invited.length) throw refusal(403, 'Forbidden', 'not-invited', `${site.name} is not invited to this meeting`);
        const answer: DocumentPass = {
          pass: issueDocumentPass(secret, { meetingId: meeting.id, room: meeting.roomNumber, holder: site.name, meetingEndsAt: meeting.endsAt }),
          expiresAt: iso(new Date(meeting.endsAt.getTime() + DOCUMENT_PASS_GRACE_MS)),
          holder: site.name,
        };
        ctx.status = 201;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = answer;
      },
    }),
    route({
      method: 'get',
      path: '/join/{room}/documents',
      tag: TAG,
      summary: 'The documents of the meeting a document pass opens',
      permission: 'public',
      params: roomParams,
      query: passQuery,
      responses: {
        200: { description: 'The documents', schema: z.object({ items: z.array(joinDocumentOut) }) },
        ...passProblems,
        422: problems[422],
        503: joinProblems[503],
      },
      async handler(ctx, { params, query }) {
        const meetingId = meetingOfPass(params.room, query.pass);
        const items: JoinDocument[] = (await documents.list(meetingId)).map((d) => ({
          id: d.id,
          name: d.name,
          mediaType: d.mediaType,
          size: d.size,
          uploadedAt: iso(d.uploadedAt),
        }));
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { items };
      },
    }),
    route({
      method: 'get',
      path: '/join/{room}/documents/{documentId}',
      tag: TAG,
      summary: 'A document of the meeting a document pass opens',
      permission: 'public',
      params: roomParams.extend({ documentId: z.string() }),
      query: passQuery,
      responses: {
        200: { description: 'The bytes, as an attachment with the document\u2019s name', contentType: 'application/octet-stream' },
        206: { description: 'The range asked for' },
        ...passProblems,
        416: { ...problems[404], description: 'The range is past the end' },
        422: problems[422],
        503: joinProblems[503],
      },
      async handler(ctx, { params, query }) {
        const meetingId = meetingOfPass(params.room, query.pass);
        await sendDocument(ctx, documents, await documents.get(meetingId, params.documentId));
      },
    }),
    route({
      method: 'get',
      path: '/join/{room}/events',
      tag: TAG,
      summary:
        'Server-Sent Events for the join page: documents added to or removed from the meeting a pass opens, and presentations started and stopped (the hello says who presents)',
      permission: 'public',
      params: roomParams,
      query: passQuery,
      responses: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' }, ...passProblems, 422: problems[422], 503: joinProblems[503] },
      async handler(ctx, { params, query }) {
        const meetingId = meetingOfPass(params.room, query.pass);
        const presenter = deps.content?.presenter(meetingId);
        streamMeetingEvents(
          ctx,
          deps.events,
          meetingId,
          { meetingId, ...(presenter !== undefined && { presenter: presenter && joinPresenter(presenter) }) },
          joinPageEvent,
        );
      },
    }),
  ];
}

/**
 * What the join page hears of a meeting: its documents, and who presents (for the page to watch,
 * or to stop its own sharing). Nothing else about other participants, and of a presenter only what
 * `content.started` is documented to carry, whatever else the event holds.
 */
function joinPageEvent(e: MeetingEvent): object | null {
  switch (e.type) {
    case 'document.added':
    case 'document.removed':
      return e;
    case 'content.started':
      return { type: e.type, meetingId: e.meetingId, at: e.at, seq: e.seq, presenter: joinPresenter(e.presenter) };
    case 'content.stopped':
      return { type: e.type, meetingId: e.meetingId, at: e.at, seq: e.seq, presenter: joinPresenter(e.presenter), reason: e.reason };
    default:
      return null;
  }
}

function joinPresenter(p: { participantId: string | null; name: string; siteId: string | null; protocol: string }) {
  return { participantId: p.participantId, name: p.name, siteId: p.siteId, protocol: p.protocol };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
