import type { Context } from 'koa';
import type { ApiKey } from '../../access/api-key.entity';
import type { FailureLimiter } from '../../access/failure-limiter';
import { allows, type Permission } from '../../access/permissions';
import { HttpProblem } from '../problem';
import type { Role } from '../../access/api-key.entity';
import type { Actor } from '../../audit/audit';

/** Who made an authenticated request. */
export interface Caller {
  actor: Actor;
  role: Role;
}

export interface Authenticator {
  keys: { verify(token: string): Promise<ApiKey | null> };
  /** Sources that keep presenting bad keys are refused for a while without a database look-up. */
  failures: FailureLimiter;
}

/** Resolves the bearer key of the request and checks it grants `permission`. */
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
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const key = m ? await auth.keys.verify(m[1]!) : null;
  if (!key) {
    if (header) auth.failures.fail(source);
    throw new HttpProblem(
      401,
      'Unauthorized',
      header ? 'the API key is not valid or has been revoked' : 'send an API key as "Authorization: Bearer <key>"',
      {},
      { 'WWW-Authenticate': 'Bearer realm="diemcau"' },
    );
  }
  auth.failures.succeed(source);
  if (!allows(key.role, permission)) {
    throw new HttpProblem(403, 'Forbidden', `a ${key.role} key may not do this (needs ${permission})`);
  }
  return { actor: { name: `apikey:${key.name}`, apiKeyId: key.id }, role: key.role };
}
