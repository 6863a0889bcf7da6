import { FailureLimiter } from './failure-limiter';
import type { Operator } from './operator.entity';
import { normalizeUsername, type Operators } from './operators';
import type { ActiveSession, Sessions } from './sessions';

/**
 * Failed sign-ins are counted per source address (one machine trying many accounts) and per
 * username (many machines trying one account), each shut out for a while once over the limit.
 */
export interface SignInLimiters {
  bySource: FailureLimiter;
  byUsername: FailureLimiter;
}

/** The API key policy, for sign-ins too: 10 failures within 5 minutes block for 15. */
export function signInLimiters(): SignInLimiters {
  const policy = { maxFailures: 10, windowMs: 5 * 60_000, blockMs: 15 * 60_000 };
  return { bySource: new FailureLimiter(policy), byUsername: new FailureLimiter(policy) };
}

export type SignInResult =
  | { ok: true; token: string; session: ActiveSession }
  /** Unknown user, wrong password and disabled account alike: the caller cannot tell which. */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'blocked'; retryAfterMs: number };

/** The console's door: limits checked before any hashing, failures counted and audited. */
export class SignIn {
  constructor(
    private readonly operators: Operators,
    private readonly sessions: Sessions,
    readonly limiters: SignInLimiters,
  ) {}

  async attempt(username: string, password: string, source: string): Promise<SignInResult> {
    const user = normalizeUsername(username);
    const blocked = this.blockedFor(user, source);
    if (blocked > 0) return { ok: false, reason: 'blocked', retryAfterMs: blocked };
    const operator = await this.operators.authenticate(user, password);
    if (!operator) {
      await this.failed(user, source);
      return { ok: false, reason: 'invalid' };
    }
    this.succeeded(operator, source);
    return { ok: true, ...(await this.sessions.start(operator, source)) };
  }

  /** Milliseconds until `username` may be tried from `source`; 0 when neither is blocked. */
  blockedFor(username: string, source: string): number {
    return Math.max(this.limiters.bySource.blockedFor(source), this.limiters.byUsername.blockedFor(normalizeUsername(username)));
  }

  /** A wrong password counts wherever it is typed: at sign-in, or as the current one when changing it. */
  async failed(username: string, source: string): Promise<void> {
    this.limiters.bySource.fail(source);
    this.limiters.byUsername.fail(normalizeUsername(username));
    await this.operators.recordFailedSignIn(username, source);
  }

  succeeded(operator: Operator, source: string): void {
    this.limiters.bySource.succeed(source);
    this.limiters.byUsername.succeed(operator.username);
  }
}
