import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { ApiKey, Role } from '../../access/api-key.entity';
import type { FailureLimiter } from '../../access/failure-limiter';
import { operatorActor } from '../../access/operators';
import { allows, type Permission } from '../../access/permissions';
import type { ActiveSession } from '../../access/sessions';
import type { Actor } from '../../audit/audit';
import { HttpProblem } from '../problem';
import { clearedSessionCookie, isOwnOrigin, readSessionCookie } from '../session-cookie';

/** Who made an authenticated request. */
export interface Caller {
  actor: Actor;
  role: Role;
  /** The console session the request came with; absent for an API key. */
  session?: ActiveSession;
}

export interface Authenticator {
  keys: { verify(token: string): Promise<ApiKey | null> };
  /** Sources that keep presenting bad keys are refused for a while without a database look-up. */
  failures: FailureLimiter;
  /** Console sessions; absent = API keys only (a cookie is then ignored). */
  sessions?: { resolve(token: string): Promise<ActiveSession | null> };
}

/** Methods that change nothing, and so need no CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves who is asking — a bearer key, or else the console's session cookie — and checks the role
 * grants `permission`. A cookie is sent by the browser on its own, so a state change made with one
 * must also prove it comes from our page: its CSRF token, and no foreign Origin.
 */
export async function authorize(ctx: Context, auth: Authenticator, permission: Permission): Promise<Caller> {
  const source = ctx.ip;
  const wait = auth.failures.blockedFor(source);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    throw new HttpProblem(
      429,
      'Too Many Requests',
      `too many failed authentications from ${source}; try again in ${seconds} s`,
      {},
      { 'Retry-After': String(seconds) },
    );
  }
  const header = ctx.get('authorization');
  const sessions = header ? undefined : auth.sessions;
  const cookie = sessions && readSessionCookie(ctx.get('cookie'));
  const caller = sessions && cookie !== undefined ? await bySession(ctx, sessions, cookie) : await byKey(ctx, auth, header);
  if (!allows(caller.role, permission)) {
    throw new HttpProblem(403, 'Forbidden', `a ${caller.role} ${caller.session ? 'account' : 'key'} may not do this (needs ${permission})`);
  }
  return caller;
}

async function byKey(ctx: Context, auth: Authenticator, header: string): Promise<Caller> {
  const source = ctx.ip;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const key = m ? await auth.keys.verify(m[1]!) : null;
  if (!key) {
    if (header) auth.failures.fail(source);
    throw new HttpProblem(
      401,
      'Unauthorized',
      header ? 'the API key is not valid or has been revoked' : 'send an API key as "Authorization: Bearer <key>", or sign in (POST /api/v1/session)',
      {},
      { 'WWW-Authenticate': 'Bearer realm="diemcau"' },
    );
  }
  auth.failures.succeed(source);
  return { actor: { name: `apikey:${key.name}`, apiKeyId: key.id, operatorId: null }, role: key.role };
}

async function bySession(ctx: Context, sessions: NonNullable<Authenticator['sessions']>, token: string): Promise<Caller> {
  // Not counted as a failure: 256 random bits are not guessed, and an ended session's cookie is
  // what every open console presents after a timeout.
  const session = await sessions.resolve(token);
  if (!session) {
    throw new HttpProblem(
      401,
      'Unauthorized',
      'the session has ended; sign in again',
      {},
      { 'WWW-Authenticate': 'Bearer realm="diemcau"', 'Set-Cookie': clearedSessionCookie(ctx.secure) },
    );
  }
  if (!SAFE_METHODS.has(ctx.method)) {
    const origin = ctx.get('origin');
    if (origin && !isOwnOrigin(ctx, origin)) {
      throw new HttpProblem(403, 'Forbidden', `a request from ${origin} may not change anything with this session`);
    }
    if (!sameSecret(ctx.get('x-csrf-token'), session.csrfToken)) {
      throw new HttpProblem(403, 'Forbidden', 'send the session\u2019s csrfToken in X-CSRF-Token with every change');
    }
  }
  return { actor: operatorActor(session.operator), role: session.operator.role, session };
}

/** Constant-time equality of two strings of any length (their digests are compared). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return given.length > 0 && timingSafeEqual(digest(given), digest(expected));
}
