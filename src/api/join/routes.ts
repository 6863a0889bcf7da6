import { pinMatches, refusalText, roomStatus, type RoomView } from '../../calls/admission';
import type { DataSource } from 'typeorm';
import { FailureLimiter } from '../../access/failure-limiter';
import { issueDocumentPass } from '../../access/document-pass';
import { issueJoinToken, JOIN_TOKEN_TTL_MS } from '../../access/join-tokens';
import { findRoomBookings } from '../../meetings/room-bookings';
import { iso, problems } from '../common';
import { HttpProblem } from '../problem';
import { route } from '../route';
import type { IceServer, JoinInfo, JoinRefusal, JoinTicket } from './contract';
import { joinInfoOut, joinProblems, joinTicketOut, roomParams, tokenRequestSchema } from './schemas';

/** What the public join API needs; the composition root builds it from the configuration. */
export interface JoinDeps {
  ds: DataSource;
  /** `config.sip.domain`: the target of the browser's INVITE is `sip:<room>@sipDomain`. */
  sipDomain: string;
  /** `config.admission.openBeforeMs`: the same margin the SIP admission uses. */
  openBeforeMs: number;
  /** `config.joinTokenSecret`; unset = tokens are not issued (503), the page says browser join is off. */
  tokenSecret?: string | Buffer;
  /** Defaults to `JOIN_TOKEN_TTL_MS` (5 minutes). */
  tokenTtlMs?: number;
  /** drachtio-server's WebSocket URL(s) for browsers (`SIP_WS_URL`); empty = browser join off. */
  wsServers: readonly string[];
  /** `ICE_SERVERS`; empty by default — a bridge on a closed network must not wait for public STUN. */
  iceServers: readonly IceServer[];
  /** Wrong PINs per source address; see `joinPinLimiter()`. */
  pinFailures: FailureLimiter;
  now?: () => Date;
}

/** Five wrong PINs from one address in ten minutes shut it out for fifteen: a 4-digit PIN is short. */
export function joinPinLimiter(): FailureLimiter {
  return new FailureLimiter({ maxFailures: 5, windowMs: 10 * 60_000, blockMs: 15 * 60_000 });
}

const TAG = 'join';

export function joinRoutes(deps: JoinDeps) {
  const now = deps.now ?? (() => new Date());
  const configured = Boolean(deps.tokenSecret && deps.tokenSecret.length > 0 && deps.wsServers.length > 0);

  const stateOf = (room: number, at: Date) => roomMeeting(deps, room, at);

  return [
    route({
      method: 'get',
      path: '/join/{room}',
      tag: TAG,
      summary: 'The meeting open now in a room, else the next or the last one (public, for the join page)',
      permission: 'public',
      params: roomParams,
      responses: { 200: { description: 'The meeting and whether it can be joined now', schema: joinInfoOut }, 404: joinProblems[404], 422: problems[422] },
      async handler(ctx, { params }) {
        const { meeting, status, opensAt } = await stateOf(params.room, now());
        const body: JoinInfo = {
          room: meeting.roomNumber,
          title: meeting.title,
          startsAt: iso(meeting.startsAt),
          endsAt: iso(meeting.endsAt),
          opensAt: iso(opensAt),
          status,
          hasPin: meeting.pin !== null,
          allowGuests: meeting.allowGuests,
          sipUri: `sip:${meeting.roomNumber}@${deps.sipDomain}`,
          ...(configured ? { wsUri: deps.wsServers[0]! } : {}),
        };
        ctx.set('Cache-Control', 'no-store'); // the status changes with the clock
        ctx.body = body;
      },
    }),
    route({
      method: 'post',
      path: '/join/{room}/token',
      tag: TAG,
      summary: 'A short-lived token for a browser to join the open meeting of a room as a guest',
      permission: 'public',
      params: roomParams,
      body: tokenRequestSchema,
      responses: {
        201: { description: 'Joinable: the token and where to call', schema: joinTicketOut },
        400: problems[400],
        403: joinProblems[403],
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
        const wait = deps.pinFailures.blockedFor(source);
        if (wait > 0) throw tooManyAttempts(wait);
        if (!configured) {
          throw refusal(503, 'Service Unavailable', 'not-configured', 'browser join is not configured on this bridge (JOIN_TOKEN_SECRET, SIP_WS_URL)');
        }
        const at = now();
        const { meeting, status, opensAt } = await stateOf(params.room, at);
        if (status === 'not-open-yet') {
          throw refusal(409, 'Not Open Yet', 'not-open-yet', refusalText.notOpenYet(meeting, iso(opensAt)), { opensAt: iso(opensAt) });
        }
        if (status !== 'open') {
          throw refusal(409, status === 'cancelled' ? 'Meeting Cancelled' : 'Meeting Ended', status, refusalText.over(meeting));
        }
        if (!meeting.allowGuests) throw refusal(403, 'Guests Not Allowed', 'guests-not-allowed', refusalText.invitedOnly);
        if (meeting.pin !== null) {
          const pin = body.pin ?? '';
          if (!pin) {
            throw refusal(422, 'Validation Failed', 'pin-required', 'the meeting has a PIN', {
              errors: [{ field: 'pin', message: 'the meeting needs its PIN' }],
            });
          }
          if (!pinMatches(pin, meeting.pin)) {
            deps.pinFailures.fail(source);
            // Nothing more is said: not how many tries are left, not whether the length was right.
            throw refusal(403, 'Wrong PIN', 'wrong-pin', refusalText.wrongPin);
          }
          deps.pinFailures.succeed(source);
        }
        const expiresAt = new Date(at.getTime() + (deps.tokenTtlMs ?? JOIN_TOKEN_TTL_MS));
        const ticket: JoinTicket = {
          token: issueJoinToken(deps.tokenSecret!, { meetingId: meeting.id, room: meeting.roomNumber, name: body.name, expiresAt }),
          expiresAt: iso(expiresAt),
          sipUri: `sip:${meeting.roomNumber}@${deps.sipDomain}`,
          wsServers: [...deps.wsServers],
          iceServers: deps.iceServers.map((s) => ({ ...s })),
          displayName: body.name,
          documentsPass: issueDocumentPass(deps.tokenSecret!, {
            meetingId: meeting.id,
            room: meeting.roomNumber,
            holder: body.name,
            meetingEndsAt: meeting.endsAt,
          }),
        };
        ctx.status = 201;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = ticket;
      },
    }),
  ];
}

/** The meeting of the room the page talks about (open now, else the next or the last), or 404. */
export async function roomMeeting(deps: Pick<JoinDeps, 'ds' | 'openBeforeMs'>, room: number, at: Date): Promise<RoomView> {
  const state = roomStatus(await findRoomBookings(deps.ds, room, at, deps.openBeforeMs), at, deps.openBeforeMs);
  if (!state) throw refusal(404, 'Not Found', 'no-meeting', refusalText.noMeeting);
  return state;
}

export function refusal(
  status: number,
  title: string,
  reason: JoinRefusal,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): HttpProblem {
  return new HttpProblem(status, title, detail, { reason, ...extra }, headers);
}

export function tooManyAttempts(waitMs: number): HttpProblem {
  const seconds = Math.ceil(waitMs / 1000);
  return refusal(
    429,
    'Too Many Requests',
    'too-many-attempts',
    `too many wrong PINs from this address; try again in ${seconds} s`,
    {},
    { 'Retry-After': String(seconds) },
  );
}
