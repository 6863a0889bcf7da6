import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Browser join tokens: the public join API issues one after checking the meeting is open and the
 * PIN is right; the browser sends it in the INVITE (`X-Join-Token`) and the SIP side verifies it
 * instead of asking for the PIN again. A token names one meeting and one room and expires quickly,
 * so a leaked one is worth little.
 *
 * Format: `base64url(JSON payload) "." base64url(HMAC-SHA256(secret, first part))`. Pure: time
 * comes from the caller.
 */

export interface JoinTokenClaims {
  meetingId: string;
  room: number;
  /** Display name the guest typed (NFC); the SIP side records the participation under it. */
  name: string;
  expiresAt: Date;
}

/** What a verified token carries: the claims plus a random id, so the SIP side may refuse replays. */
export interface VerifiedJoinClaims extends JoinTokenClaims {
  tokenId: string;
}

export type JoinTokenFailure = 'malformed' | 'signature' | 'expired' | 'room';

export type JoinTokenResult = { ok: true; claims: VerifiedJoinClaims } | { ok: false; reason: JoinTokenFailure };

/** Long enough for a guest to click Join and the call to set up; not long enough to share around. */
export const JOIN_TOKEN_TTL_MS = 5 * 60_000;

/** Payload field names are short: the token travels in a SIP header on every INVITE. */
interface Payload {
  v: 1;
  /** meeting id */
  m: string;
  /** room number */
  r: number;
  /** display name */
  n: string;
  /** expiry, milliseconds since the epoch (exact, so a claim round-trips unchanged) */
  e: number;
  /** token id */
  j: string;
}

// A name is at most 60 characters; this bounds the work an attacker's huge header can cause.
const MAX_TOKEN_LENGTH = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function issueJoinToken(secret: Buffer | string, claims: JoinTokenClaims): string {
  const expires = claims.expiresAt.getTime();
  if (!Number.isFinite(expires)) throw new TypeError('expiresAt is not a valid date');
  if (!Number.isSafeInteger(claims.room) || claims.room < 0) throw new TypeError('room must be a non-negative integer');
  const payload: Payload = {
    v: 1,
    m: claims.meetingId,
    r: claims.room,
    n: claims.name,
    e: expires,
    j: randomBytes(9).toString('base64url'),
  };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${sign(secret, body).toString('base64url')}`;
}

export function verifyJoinToken(secret: Buffer | string, token: string, expected: { room: number; now: Date }): JoinTokenResult {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [body, signature] = parts as [string, string];
  if (!BASE64URL.test(body) || !BASE64URL.test(signature)) return { ok: false, reason: 'malformed' };

  // The signature is checked before the payload is parsed: nothing an attacker wrote is interpreted.
  const given = Buffer.from(signature, 'base64url');
  const wanted = sign(secret, body);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { ok: false, reason: 'signature' };

  const payload = parsePayload(body);
  if (!payload) return { ok: false, reason: 'malformed' };
  if (payload.e <= expected.now.getTime()) return { ok: false, reason: 'expired' };
  if (payload.r !== expected.room) return { ok: false, reason: 'room' };
  return {
    ok: true,
    claims: { meetingId: payload.m, room: payload.r, name: payload.n, expiresAt: new Date(payload.e), tokenId: payload.j },
  };
}

function sign(secret: Buffer | string, body: string): Buffer {
  if (secret.length === 0) throw new TypeError('the join token secret is empty');
  return createHmac('sha256', secret).update(body).digest();
}

function parsePayload(body: string): Payload | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const p = value as Record<string, unknown>;
  const ok =
    p['v'] === 1 &&
    typeof p['m'] === 'string' &&
    typeof p['r'] === 'number' &&
    Number.isSafeInteger(p['r']) &&
    typeof p['n'] === 'string' &&
    typeof p['e'] === 'number' &&
    Number.isFinite(p['e']) &&
    typeof p['j'] === 'string';
  return ok ? (p as unknown as Payload) : null;
}
