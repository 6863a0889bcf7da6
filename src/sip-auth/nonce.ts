import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Self-describing, signed digest nonces (the Kamailio approach): the nonce carries its own issue
 * time and is authenticated with an HMAC, so any nonce can be validated without a server-side
 * table of issued nonces, and a restart does not invalidate outstanding challenges.
 *
 * Layout, base64url without padding (48 characters, never a quote or backslash, so it is a valid
 * quoted-string body and needs no escaping in a challenge):
 *
 *   issue time, ms since epoch (8 bytes BE) | random (12 bytes) | HMAC-SHA256 truncated (16 bytes)
 *
 * The MAC also covers the realm, so a nonce issued for one realm is rejected by another even when
 * they share a secret. 36 bytes is a multiple of 3, so every nonce has exactly one encoding: a
 * client cannot present a second spelling of the same nonce to dodge per-nonce replay tracking.
 */

export type NonceStatus = 'valid' | 'stale' | 'invalid';

export interface NonceIssuerOptions {
  /** HMAC key; at least 16 bytes. Nodes that share it accept each other's nonces. */
  secret: Buffer;
  realm: string;
  /** How long a nonce stays valid; older authentic nonces are 'stale' (re-challenge with stale=true). */
  ttlMs: number;
  /** Clock in ms since epoch; injectable for tests. */
  now?: () => number;
  /** How far in the future an issue time may be before the nonce is 'invalid'; default 2000 ms. */
  maxClockSkewMs?: number;
}

export interface NonceInspection {
  status: NonceStatus;
  /** Issue time of an authentic nonce (valid or stale); undefined for invalid ones. */
  issuedAt?: number;
}

const TIME_BYTES = 8;
const RANDOM_BYTES = 12;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;
const NONCE_CHARS = Math.ceil((NONCE_BYTES * 4) / 3);
const NONCE_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${NONCE_CHARS}}$`);
// Domain separation: the same secret might also key other HMACs in the application.
const MAC_LABEL = Buffer.from('diemcau/sip-digest-nonce/v1\0', 'utf8');

export class NonceIssuer {
  readonly realm: string;
  readonly ttlMs: number;
  private readonly secret: Buffer;
  private readonly now: () => number;
  private readonly maxClockSkewMs: number;
  private readonly realmBytes: Buffer;

  constructor(opts: NonceIssuerOptions) {
    if (opts.secret.length < 16) throw new Error('nonce secret must be at least 16 bytes');
    if (!(opts.ttlMs > 0)) throw new Error('nonce ttlMs must be positive');
    // Copy so a caller zeroing or reusing its buffer cannot change our key underneath us.
    this.secret = Buffer.from(opts.secret);
    this.realm = opts.realm;
    this.realmBytes = Buffer.from(opts.realm, 'utf8');
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? Date.now;
    this.maxClockSkewMs = opts.maxClockSkewMs ?? 2000;
  }

  issue(): string {
    const body = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.now()))), 0);
    randomBytes(RANDOM_BYTES).copy(body, TIME_BYTES);
    return Buffer.concat([body, this.mac(body)]).toString('base64url');
  }

  check(nonce: string): NonceStatus {
    return this.inspect(nonce).status;
  }

  /** Like check(), but also returns the authenticated issue time (the verifier needs it for replay bookkeeping). */
  inspect(nonce: string): NonceInspection {
    if (!NONCE_PATTERN.test(nonce)) return { status: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return { status: 'invalid' };
    const body = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    // Authenticate before trusting anything in the body, and compare in constant time so the MAC
    // cannot be recovered byte by byte from response timings.
    if (!timingSafeEqual(raw.subarray(TIME_BYTES + RANDOM_BYTES), this.mac(body))) return { status: 'invalid' };
    const issuedAt = Number(body.readBigUInt64BE(0));
    const age = this.now() - issuedAt;
    // A future issue time from our own key means a clock jump or a peer node with a skewed clock;
    // beyond a small tolerance it would extend the nonce's lifetime, so refuse it.
    if (age < -this.maxClockSkewMs) return { status: 'invalid' };
    if (age > this.ttlMs) return { status: 'stale', issuedAt };
    return { status: 'valid', issuedAt };
  }

  private mac(body: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(MAC_LABEL).update(body).update(this.realmBytes).digest().subarray(0, MAC_BYTES);
  }
}
