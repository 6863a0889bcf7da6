import type { Context } from 'koa';
import { z } from 'zod';
import { roles } from '../../access/api-key.entity';
import { PASSWORD_MAX } from '../../access/passwords';
import { ValidationError } from '../../errors';
import type { ActiveSession } from '../../access/sessions';
import { authProblems, iso, problems, writeProblems } from '../common';
import type { ApiDeps } from '../deps';
import type { Caller } from '../middleware/auth';
import { HttpProblem } from '../problem';
import { route } from '../route';
import { clearedSessionCookie, isOwnOrigin, sessionCookie } from '../session-cookie';

const sessionOut = z
  .object({
    operator: z.object({ id: z.uuid(), username: z.string(), name: z.string(), role: z.enum(roles) }),
    csrfToken: z.string().describe('Send it as X-CSRF-Token with every request that changes something'),
    expiresAt: z.iso.datetime().describe('When the session ends unless used again'),
    timeZone: z.string().describe('TIME_ZONE, the district\u2019s IANA time zone: the console shows and takes meeting times in it'),
  })
  .meta({ id: 'Session' });

const credentials = z
  .object({
    username: z.string().min(1).max(200),
    password: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4),
  })
  .strict()
  .meta({ id: 'SessionCreate' });

const passwordChange = z
  .object({
    currentPassword: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4),
    newPassword: z
      .string()
      .min(1)
      .max(PASSWORD_MAX * 4),
  })
  .strict()
  .meta({ id: 'PasswordChangeCreate' });

/** The same words for an unknown user, a wrong password and a disabled account. */
const WRONG = 'the username or password is wrong';

function presentSession(s: ActiveSession, timeZone: string): z.infer<typeof sessionOut> {
  const { id, username, name, role } = s.operator;
  return { operator: { id, username, name, role }, csrfToken: s.csrfToken, expiresAt: iso(s.expiresAt), timeZone };
}

/** The session of a request authenticated by cookie; an API key has none. */
function sessionOf(caller: Caller | null): ActiveSession {
  if (!caller?.session) {
    throw new HttpProblem(
      401,
      'Unauthorized',
      'this needs a console session (POST /api/v1/session), not an API key',
      {},
      {
        'WWW-Authenticate': 'Bearer realm="diemcau"',
      },
    );
  }
  return caller.session;
}

function tooMany(ms: number, what: string): HttpProblem {
  const seconds = Math.ceil(ms / 1000);
  return new HttpProblem(429, 'Too Many Requests', `too many failed sign-ins ${what}; try again in ${seconds} s`, {}, { 'Retry-After': String(seconds) });
}

export function sessionRoutes({ accounts: { operators, sessions, signIn }, timeZone }: ApiDeps) {
  const maxAgeSeconds = sessions.policy.maxMs / 1000;
  const unauthorized = { 401: problems[401] };
  return [
    route({
      method: 'post',
      path: '/session',
      tag: 'session',
      summary: 'Sign in to the console: sets the session cookie',
      permission: 'public',
      body: credentials,
      responses: {
        201: { description: 'Signed in; the diemcau_session cookie is set', schema: sessionOut },
        ...writeProblems,
        401: { ...problems[401], description: 'Wrong username or password' },
        403: { ...problems[403], description: 'Sent from another site' },
      },
      async handler(ctx: Context, { body }) {
        // Signing a victim in to the attacker's account is a forgery too.
        const origin = ctx.get('origin');
        if (origin && !isOwnOrigin(ctx, origin)) throw new HttpProblem(403, 'Forbidden', `a sign-in from ${origin} is refused`);
        const result = await signIn.attempt(body.username, body.password, ctx.ip);
        if (!result.ok && result.reason === 'blocked') throw tooMany(result.retryAfterMs, 'for this account or from this address');
        if (!result.ok) throw new HttpProblem(401, 'Unauthorized', WRONG);
        ctx.set('Set-Cookie', sessionCookie(result.token, maxAgeSeconds, ctx.secure));
        ctx.set('Cache-Control', 'no-store');
        ctx.status = 201;
        ctx.body = presentSession(result.session, timeZone);
      },
    }),
    route({
      method: 'get',
      path: '/session',
      tag: 'session',
      summary: 'Who is signed in, and the CSRF token of the session',
      permission: 'read',
      responses: { 200: { description: 'The session', schema: sessionOut }, ...authProblems },
      handler(ctx, { caller }) {
        ctx.set('Cache-Control', 'no-store');
        ctx.body = presentSession(sessionOf(caller), timeZone);
      },
    }),
    route({
      method: 'delete',
      path: '/session',
      tag: 'session',
      summary: 'Sign out: ends the session and clears the cookie',
      permission: 'read',
      responses: { 204: { description: 'Signed out' }, ...authProblems, ...unauthorized },
      async handler(ctx, { caller }) {
        await sessions.end(sessionOf(caller));
        ctx.set('Set-Cookie', clearedSessionCookie(ctx.secure));
        ctx.status = 204;
      },
    }),
    route({
      method: 'post',
      path: '/session/password',
      tag: 'session',
      summary: 'Change your own password; your other sessions end',
      permission: 'read',
      body: passwordChange,
      responses: { 204: { description: 'Changed' }, ...writeProblems },
      async handler(ctx, { body, caller }) {
        const session = sessionOf(caller);
        const { username, id } = session.operator;
        // The current password is a password guess like any other: limited and counted alike.
        const blocked = signIn.blockedFor(username, ctx.ip);
        if (blocked > 0) throw tooMany(blocked, 'for this account');
        if (!(await operators.passwordMatches(id, body.currentPassword))) {
          await signIn.failed(username, ctx.ip);
          throw new ValidationError([{ field: 'currentPassword', message: 'is not your current password' }]);
        }
        await operators.setPassword(id, body.newPassword, caller!.actor, { field: 'newPassword', keepSessionId: session.id });
        ctx.status = 204;
      },
    }),
  ];
}
