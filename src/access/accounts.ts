import type { DataSource } from 'typeorm';
import { Operators } from './operators';
import type { ScryptParams } from './passwords';
import { Sessions, type SessionPolicy } from './sessions';
import { SignIn, signInLimiters, type SignInLimiters } from './sign-in';

/** Operator accounts, their sessions and the sign-in door, over one database. */
export interface Accounts {
  operators: Operators;
  sessions: Sessions;
  signIn: SignIn;
}

/** Eight hours idle (a working day), a week at most. */
export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 8 * 3_600_000, maxMs: 7 * 24 * 3_600_000 };

export function accounts(
  ds: DataSource,
  options: { policy?: SessionPolicy; now?: () => Date; limiters?: SignInLimiters; scrypt?: ScryptParams } = {},
): Accounts {
  const operators = new Operators(ds, options.scrypt ? { scrypt: options.scrypt } : {});
  const sessions = new Sessions(ds, options.policy ?? DEFAULT_SESSION_POLICY, options.now);
  return { operators, sessions, signIn: new SignIn(operators, sessions, options.limiters ?? signInLimiters()) };
}
