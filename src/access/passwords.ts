import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Operator passwords, hashed with scrypt (memory-hard: a GPU farm pays in RAM for every guess).
 * The stored form carries its own parameters and salt — `scrypt$N$r$p$salt$hash`, base64url — so
 * the cost can be raised later: old hashes still verify, and `needsRehash` says when to re-hash one
 * at the next successful sign-in.
 */

export interface ScryptParams {
  /** CPU/memory cost, a power of two: memory is 128 · N · r bytes. */
  N: number;
  r: number;
  p: number;
}

/**
 * One of OWASP's equivalent scrypt settings (N=2^15, r=8, p=3): 32 MiB per hash rather than the
 * 128 MiB of N=2^17, p=1, because the bridge runs on small district servers where a burst of
 * sign-ins must not take the memory its calls need.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };

/** Characters, after NFC. A floor a clerk can remember; a ceiling that bounds the work one request causes. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Hashes beyond this cost are refused rather than computed: a tampered row must not exhaust memory. */
const MAX_N = 2 ** 20;
const ENCODED = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{32,128})$/;

interface Decoded {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, KEY_BYTES);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** True when `password` is the one `encoded` was made from. A malformed `encoded` verifies nothing. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const d = decode(encoded);
  if (!d) return false;
  const given = await derive(password, d.salt, d.params, d.hash.length);
  return timingSafeEqual(given, d.hash);
}

/** True when `encoded` was made with weaker parameters than `params` (or is unreadable). */
export function needsRehash(encoded: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const d = decode(encoded);
  return !d || d.params.N < params.N || d.params.r < params.r || d.params.p < params.p;
}

/**
 * Why a new password is refused, or null. Passwords are compared after NFC normalization, so the
 * same Vietnamese word typed with precomposed or combining diacritics is the same password.
 */
export function passwordProblem(password: string): string | null {
  const length = [...password.normalize('NFC')].length;
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  return null;
}

function decode(encoded: string): Decoded | null {
  const m = ENCODED.exec(encoded);
  if (!m) return null;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  const powerOfTwo = params.N > 1 && (params.N & (params.N - 1)) === 0;
  if (!powerOfTwo || params.N > MAX_N || params.r < 1 || params.p < 1) return null;
  return { params, salt: Buffer.from(m[4]!, 'base64url'), hash: Buffer.from(m[5]!, 'base64url') };
}

function derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}
