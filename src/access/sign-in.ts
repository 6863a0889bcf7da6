import { FailureLimiter } from './failure-limiter';
import type { Operator } from './operator.entity';
import { normalizeUsername, type Operators } from './operators';
import type { ActiveSession, Sessions } from './sessions';

/**
 * Failed sign-ins are counted per source (one machine trying many accounts) and per account from
 * that source. Not per account alone: then anyone anywhere could keep an admin shut out for good by
 * typing wrong passwords for their name. Guessing one account from many machines is left to the
 * password rules and scrypt's cost, and every failure is in the audit log.
 */
export interface SignInLimiters {
  bySource: FailureLimiter;
  byAccountFromSource: FailureLimiter;
}

/**
 * The API key policy for one account from one place (10 failures within 5 minutes block for 15);
 * a source gets three times that, as a whole district office may sit behind one address.
 */
export function signInLimiters(): SignInLimiters {
  const policy = { maxFailures: 10, windowMs: 5 * 60_000, blockMs: 15 * 60_000 };
  return { bySource: new FailureLimiter({ ...policy, maxFailures: 30 }), byAccountFromSource: new FailureLimiter(policy) };
}

/**
 * Where a sign-in comes from, as the limits count it: an IPv4 address, or an IPv6 /64 — one
 * machine is commonly handed a whole /64, and counting its addresses singly would count nothing.
 */
export function sourceKey(address: string): string {
  const ip = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(':')) return ip;
  const [head = '', tail] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

export type SignInResult =
  | { ok: true; token: string; session: ActiveSession }
  /** Unknown user, wrong password and disabled account alike: the caller cannot tell which. */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'blocked'; retryAfterMs: number };

/** Sources whose refused attempts are remembered at most; the oldest are forgotten first. */
const MAX_REFUSED_SOURCES = 10_000;

/** The console's door: limits checked before any hashing, failures counted and audited. */
export class SignIn {
  /**
   * Attempts refused while a source was shut out, per source: counted here, not written one row
   * each, so a flood cannot grow the audit log; the count goes into that source's next row.
   */
  readonly #refused = new Map<string, number>();

  constructor(
    private readonly operators: Operators,
    private readonly sessions: Sessions,
    readonly limiters: SignInLimiters,
  ) {}

  async attempt(username: string, password: string, source: string): Promise<SignInResult> {
    const user = normalizeUsername(username);
    const blocked = this.blockedFor(user, source);
    if (blocked > 0) {
      this.refused(source);
      return { ok: false, reason: 'blocked', retryAfterMs: blocked };
    }
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
    const from = sourceKey(source);
    return Math.max(this.limiters.bySource.blockedFor(from), this.limiters.byAccountFromSource.blockedFor(accountKey(username, from)));
  }

  /** An attempt turned away unheard because its source or account is shut out. */
  refused(source: string): void {
    const from = sourceKey(source);
    const count = (this.#refused.get(from) ?? 0) + 1;
    this.#refused.delete(from);
    this.#refused.set(from, count);
    if (this.#refused.size > MAX_REFUSED_SOURCES) this.#refused.delete(this.#refused.keys().next().value!);
  }

  /**
   * A wrong password counts wherever it is typed: at sign-in, or as the current one when changing it.
   * Each is one audit row; the limits bound how many a source can cause.
   */
  async failed(username: string, source: string): Promise<void> {
    const from = sourceKey(source);
    const blocks = [this.limiters.bySource.fail(from), this.limiters.byAccountFromSource.fail(accountKey(username, from))];
    const refused = this.#refused.get(from) ?? 0;
    this.#refused.delete(from);
    await this.operators.recordFailedSignIn(username, source, {
      ...(blocks.some(Boolean) && { blocked: true }),
      ...(refused > 0 && { refusedWhileBlocked: refused }),
    });
  }

  succeeded(operator: Operator, source: string): void {
    const from = sourceKey(source);
    this.limiters.bySource.succeed(from);
    this.limiters.byAccountFromSource.succeed(accountKey(operator.username, from));
  }
}

function accountKey(username: string, from: string): string {
  return `${normalizeUsername(username)} ${from}`;
}
