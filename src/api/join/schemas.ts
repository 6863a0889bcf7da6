import { z } from 'zod';
import { problemSchema } from '../common';
import type { IceServer, JoinInfo, JoinTicket } from './contract';

/** Request and response shapes of the public join API; also the source of its OpenAPI document. */

export const roomParams = z.object({
  room: z
    .string()
    .regex(/^\d{3,9}$/, 'must be a room number (3 to 9 digits)')
    .transform(Number)
    .describe('The room number, as dialled: sip:<room>@<SIP_DOMAIN>'),
});

export const NAME_MAX = 60;

// Bidirectional overrides and isolates let a name display as something else than it is.
const SPOOFING = /[\u202A-\u202E\u2066-\u2069]/u;

/**
 * A display name as the bridge shows it: NFC (a name typed on a phone and one pasted from a
 * document compare equal), whitespace runs collapsed (so no CR/LF can reach a SIP header), at most
 * 60 characters counted as code points.
 */
export const displayName = z
  .string()
  .transform((s) => s.normalize('NFC').replace(/\s+/gu, ' ').trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .refine((s) => [...s].length <= NAME_MAX, `must be at most ${NAME_MAX} characters`)
      .refine((s) => !/\p{Cc}/u.test(s) && !SPOOFING.test(s), 'must not contain control characters'),
  );

export const tokenRequestSchema = z
  .object({
    name: displayName.describe('Display name shown to the other participants, 1–60 characters'),
    pin: z.string().max(32).optional().describe('The meeting PIN, when it has one'),
  })
  .strict()
  .meta({ id: 'JoinTokenRequest' });

const iceServerOut = z
  .object({
    urls: z.union([z.string(), z.array(z.string())]),
    username: z.string().optional(),
    credential: z.string().optional(),
  })
  .meta({ id: 'IceServer' }) satisfies z.ZodType<IceServer>;

export const joinInfoOut = z
  .object({
    room: z.number().int(),
    title: z.string(),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime(),
    opensAt: z.iso.datetime().describe('Callers may join from this instant'),
    status: z.enum(['open', 'not-open-yet', 'ended', 'cancelled']),
    hasPin: z.boolean(),
    allowGuests: z.boolean().describe('Browsers and unknown callers may join (with the PIN)'),
    sipUri: z.string(),
    wsUri: z.string().optional().describe('WebSocket server for browsers; absent when browser join is not configured'),
  })
  .meta({ id: 'JoinInfo' }) satisfies z.ZodType<JoinInfo>;

export const joinTicketOut = z
  .object({
    token: z.string().describe('Send it in the INVITE as the X-Join-Token header'),
    expiresAt: z.iso.datetime(),
    sipUri: z.string(),
    wsServers: z.array(z.string()),
    iceServers: z.array(iceServerOut),
    displayName: z.string(),
    documentsPass: z.string().describe("Reads the meeting's documents (?pass=) until an hour after its end"),
  })
  .meta({ id: 'JoinTicket' }) satisfies z.ZodType<JoinTicket>;

export const joinProblemSchema = problemSchema
  .extend({
    reason: z
      .enum([
        'no-meeting',
        'not-open-yet',
        'ended',
        'cancelled',
        'guests-not-allowed',
        'pin-required',
        'wrong-pin',
        'too-many-attempts',
        'not-configured',
        'wrong-credentials',
        'not-invited',
      ])
      .optional()
      .describe('Why, for the page to say in its own language'),
    opensAt: z.iso.datetime().optional(),
  })
  .meta({ id: 'JoinProblem' });

const problem = (description: string) => ({ description, schema: joinProblemSchema, contentType: 'application/problem+json' });

export const joinProblems = {
  404: problem('No meeting is booked in the room'),
  409: problem('The meeting is not open: not yet (with opensAt), ended or cancelled'),
  422: problem('Invalid fields, each named; or the PIN is missing'),
  403: problem('Wrong PIN, or the meeting admits invited sites only'),
  429: problem('Too many wrong PINs from this address (Retry-After)'),
  503: problem('Browser join is not configured on this bridge'),
} as const;
