/**
 * What a failed dial-out attempt means and when to try again — pure, so the whole policy is unit-
 * tested with plain numbers.
 */

import type { DialOutcome } from '../../meetings/dial-attempts';

/**
 * Maps the end of an INVITE (final status, or none for a timeout or transport error) to an outcome.
 * `cancelled`: we called the attempt off ourselves (its meeting ended) — the 487 our CANCEL brings
 * back, or no answer at all, is then ours and not the site's, and must not be retried as no-answer.
 * Any other final answer that crossed our CANCEL still says what the site did.
 */
export function classify(result: { status?: number; timedOut?: boolean; transportError?: boolean; cancelled?: boolean }): DialOutcome {
  if (result.cancelled && (result.status === undefined || result.status === 487)) return 'cancelled';
  if (result.timedOut) return 'no-answer';
  if (result.transportError || result.status === undefined) return 'unreachable';
  const s = result.status;
  if (s >= 200 && s < 300) return 'answered';
  if (s === 486 || s === 600) return 'busy';
  if (s === 480 || s === 408 || s === 487) return 'no-answer';
  if (s === 603 || s === 403 || s === 401 || s === 407 || s === 404 || s === 604) return 'rejected';
  if (s === 488 || s === 606 || s === 415) return 'media-mismatch';
  if (s === 503 || s === 502 || s === 504 || s === 500) return 'unreachable';
  return 'failed';
}

export interface RetryRule {
  /** Attempts in all, including the first. */
  maxAttempts: number;
  /** Delay before the second attempt; later ones grow by `factor` up to `maxDelayMs`. */
  delayMs: number;
  factor: number;
  maxDelayMs: number;
}

export type RetryPolicy = Record<Exclude<DialOutcome, 'answered' | 'cancelled'>, RetryRule>;

/**
 * Defaults for commune room systems: a busy codec is usually in a local call and frees up soon; an
 * unanswered one may be switched off, an unreachable one is on a network that is down; a rejection
 * or a media mismatch is a configuration problem that repeating will not fix quickly.
 */
export const defaultRetryPolicy: RetryPolicy = {
  busy: { maxAttempts: 6, delayMs: 30_000, factor: 1.5, maxDelayMs: 120_000 },
  'no-answer': { maxAttempts: 5, delayMs: 60_000, factor: 2, maxDelayMs: 300_000 },
  unreachable: { maxAttempts: 5, delayMs: 60_000, factor: 2, maxDelayMs: 300_000 },
  rejected: { maxAttempts: 2, delayMs: 120_000, factor: 1, maxDelayMs: 120_000 },
  'media-mismatch': { maxAttempts: 2, delayMs: 60_000, factor: 1, maxDelayMs: 60_000 },
  // The site answered; the bridge's own media server did not take the call (overloaded, or busy
  // taking a failed node's sites): soon again, as nothing at the site needs to change.
  'bridge-error': { maxAttempts: 5, delayMs: 5_000, factor: 2, maxDelayMs: 60_000 },
  failed: { maxAttempts: 3, delayMs: 60_000, factor: 2, maxDelayMs: 240_000 },
};

/**
 * Milliseconds to wait before the next attempt after `attempt` attempts ended with `outcome`, or
 * null when the site should not be dialled again.
 */
export function nextDelay(policy: RetryPolicy, outcome: DialOutcome, attempt: number): number | null {
  if (outcome === 'answered' || outcome === 'cancelled') return null;
  const rule = policy[outcome];
  if (attempt >= rule.maxAttempts) return null;
  return Math.min(rule.delayMs * rule.factor ** (attempt - 1), rule.maxDelayMs);
}

/** Scales every delay, e.g. for tests that cannot wait a minute between attempts. */
export function scalePolicy(policy: RetryPolicy, scale: number): RetryPolicy {
  return Object.fromEntries(Object.entries(policy).map(([k, r]) => [k, { ...r, delayMs: r.delayMs * scale, maxDelayMs: r.maxDelayMs * scale }])) as RetryPolicy;
}
