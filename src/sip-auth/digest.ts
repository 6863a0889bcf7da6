import { createHash, timingSafeEqual } from 'node:crypto';
import type { NonceIssuer } from './nonce';

/**
 * SIP digest authentication (RFC 2617 / RFC 3261 §22), MD5 with qop=auth or no qop (RFC 2069
 * style). Pure: no I/O and no drachtio types, so the SIP layer can wrap it and it can be unit-tested
 * exhaustively. Unlike the stock drachtio digest middleware, nonces are verified (see nonce.ts) and
 * replays are refused.
 */

/** An Authorization / Proxy-Authorization header, parsed and validated. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  /** 32 hex digits as sent (compared case-insensitively). */
  response: string;
  /** Only MD5 is supported; an absent algorithm means MD5, so this is always set. */
  algorithm: 'MD5';
  qop?: 'auth';
  /** Nonce count, 8 hex digits exactly as sent (the response hash covers the literal text). Set iff qop is. */
  nc?: string;
  /** Set iff qop is. */
  cnonce?: string;
  opaque?: string;
}

export type DigestFailure = 'realm' | 'nonce-invalid' | 'nonce-stale' | 'response' | 'replay';
export type DigestResult = { ok: true } | { ok: false; reason: DigestFailure };

export interface DigestVerifierOptions {
  /** Must equal the realm the NonceIssuer signs for. */
  realm: string;
  nonces: NonceIssuer;
  /**
   * How many nonces to remember for replay detection (default 10 000). Size it well above the
   * number of distinct nonces that authenticate during one challenge round trip at peak load;
   * too small only costs extra stale=true round trips, never a replay.
   */
  maxTrackedNonces?: number;
}

// ---------------------------------------------------------------------------------------------
// Parsing

const WS = new Set([' ', '\t', '\r', '\n']);
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const HEX32 = /^[0-9a-fA-F]{32}$/;
const NC = /^[0-9a-fA-F]{8}$/;

/** Parses `key=value, key="quoted", …` into lower-cased names; undefined on any syntax error or duplicate. */
function parseAuthParams(s: string, start: number): Map<string, string> | undefined {
  const params = new Map<string, string>();
  let i = start;
  const skipWs = (): void => {
    while (i < s.length && WS.has(s[i]!)) i++;
  };
  for (;;) {
    // Empty list elements (",,") are legal in the #rule syntax.
    while (i < s.length && (WS.has(s[i]!) || s[i] === ',')) i++;
    if (i >= s.length) return params;

    const nameStart = i;
    while (i < s.length && TOKEN_CHAR.test(s[i]!)) i++;
    if (i === nameStart) return undefined;
    const name = s.slice(nameStart, i).toLowerCase();
    skipWs();
    if (s[i] !== '=') return undefined;
    i++;
    skipWs();

    let value = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) return undefined; // unterminated quoted-string
        const c = s[i++]!;
        if (c === '"') break;
        if (c === '\\') {
          if (i >= s.length) return undefined;
          value += s[i++];
        } else {
          value += c;
        }
      }
    } else {
      // Be lenient about what some UAs leave unquoted (e.g. a bare URI), but never accept quote
      // characters outside a quoted-string: that would make the split ambiguous.
      const valueStart = i;
      while (i < s.length && !WS.has(s[i]!) && s[i] !== ',') {
        if (s[i] === '"' || s[i] === '\\') return undefined;
        i++;
      }
      if (i === valueStart) return undefined;
      value = s.slice(valueStart, i);
    }

    // Duplicate parameters could be read differently by different parsers; refuse rather than pick one.
    if (params.has(name)) return undefined;
    params.set(name, value);
    skipWs();
    if (i < s.length && s[i] !== ',') return undefined;
  }
}

/**
 * Parses an Authorization or Proxy-Authorization header value. Returns undefined for other
 * schemes, syntax errors, missing required parameters, or anything this module cannot verify
 * (algorithms other than MD5, qop other than auth) — the caller should answer with a fresh challenge.
 */
export function parseAuthorization(header: string): DigestCredentials | undefined {
  const m = /^[ \t]*digest(?=[ \t\r\n])/i.exec(header);
  if (!m) return undefined;
  const p = parseAuthParams(header, m[0].length);
  if (!p) return undefined;

  const username = p.get('username');
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  if (!username || realm === undefined || !nonce || !uri || response === undefined) return undefined;
  if (!HEX32.test(response)) return undefined;

  const algorithm = p.get('algorithm');
  if (algorithm !== undefined && algorithm.toLowerCase() !== 'md5') return undefined;

  const creds: DigestCredentials = { username, realm, nonce, uri, response, algorithm: 'MD5' };
  const qop = p.get('qop');
  if (qop !== undefined) {
    if (qop.toLowerCase() !== 'auth') return undefined;
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    // nc counts from 1; 00000000 could never be "strictly increasing" and would only confuse replay checks.
    if (nc === undefined || !NC.test(nc) || parseInt(nc, 16) === 0 || !cnonce) return undefined;
    creds.qop = 'auth';
    creds.nc = nc;
    creds.cnonce = cnonce;
  }
  const opaque = p.get('opaque');
  if (opaque !== undefined) creds.opaque = opaque;
  return creds;
}

// ---------------------------------------------------------------------------------------------
// Challenge and response

function quote(value: string): string {
  // CR/LF or other controls in a header value would let a bad realm inject header lines.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\x00-\x1f\x7f]/.test(value)) throw new Error('control character in digest challenge parameter');
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Value for WWW-Authenticate (401) or Proxy-Authenticate (407). */
export function challengeHeader(realm: string, nonce: string, opts?: { stale?: boolean }): string {
  const base = `Digest realm=${quote(realm)}, nonce=${quote(nonce)}, qop="auth", algorithm=MD5`;
  return opts?.stale ? `${base}, stale=true` : base;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** HA1 = MD5(username:realm:password), what a credential store should keep instead of the password. */
export function digestHa1(username: string, realm: string, password: string): string {
  return md5(`${username}:${realm}:${password}`);
}

/** request-digest of RFC 2617 §3.2.2.1 for MD5 (not MD5-sess) and qop auth or absent. */
export function digestResponse(ha1: string, method: string, uri: string, c: { nonce: string; qop?: string; nc?: string; cnonce?: string }): string {
  // HA1 enters the hash as text, and RFC 2617 defines it as lower-case hex.
  const h1 = ha1.toLowerCase();
  const ha2 = md5(`${method}:${uri}`);
  if (c.qop === undefined) return md5(`${h1}:${c.nonce}:${ha2}`);
  if (c.qop !== 'auth') throw new Error(`unsupported qop ${c.qop}`);
  if (c.nc === undefined || c.cnonce === undefined) throw new Error('qop=auth requires nc and cnonce');
  return md5(`${h1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`);
}

/** scheme, optional user, then host (a bracketed IPv6 reference or a name/IPv4) and optional port. */
const SIP_URI = /^(sips?):(?:([^@;?]*)@)?(\[[0-9a-f:.]+\]|[^:;?]+)(?::(\d{1,5}))?(?:[;?].*)?$/i;

/**
 * Whether a digest-uri names the same target as the Request-URI (RFC 2617 §3.2.2.5), so that a
 * response computed for one request cannot be spent on another: scheme, user and host must match
 * (host case-insensitively) and the port, where both give one. Parameters are ignored: UAs differ in
 * whether they copy `;transport=` into the digest. A proxy that rewrites the Request-URI's user or
 * host between the UA and the bridge breaks this, as it would for any registrar.
 */
export function digestUriMatches(digestUri: string, requestUri: string): boolean {
  const a = SIP_URI.exec(digestUri.trim());
  const b = SIP_URI.exec(requestUri.trim());
  if (!a || !b) return false;
  return (
    a[1]!.toLowerCase() === b[1]!.toLowerCase() &&
    (a[2] ?? '') === (b[2] ?? '') &&
    a[3]!.toLowerCase() === b[3]!.toLowerCase() &&
    (a[4] === undefined || b[4] === undefined || Number(a[4]) === Number(b[4]))
  );
}

// ---------------------------------------------------------------------------------------------
// Verification

interface TrackedNonce {
  issuedAt: number;
  /** Highest nc accepted; Infinity once used without qop (single use). */
  lastNc: number;
}

const fail = (reason: DigestFailure): DigestResult => ({ ok: false, reason });

export class DigestVerifier {
  private readonly realm: string;
  private readonly nonces: NonceIssuer;
  private readonly maxTracked: number;
  /** Insertion order doubles as recency order: entries are re-inserted on every accepted use. */
  private readonly seen = new Map<string, TrackedNonce>();
  /** Latest issue time of any nonce dropped from `seen`; see verify() for why it matters. */
  private evictedHorizon = -Infinity;

  constructor(opts: DigestVerifierOptions) {
    if (opts.realm !== opts.nonces.realm) throw new Error('DigestVerifier realm differs from its NonceIssuer realm');
    const max = opts.maxTrackedNonces ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw new Error('maxTrackedNonces must be a positive integer');
    this.realm = opts.realm;
    this.nonces = opts.nonces;
    this.maxTracked = max;
  }

  /**
   * Checks credentials against the user's HA1 (look it up by creds.username; if the user is unknown
   * pass a random HA1 so the failure looks like a wrong password). On nonce-stale, re-challenge with
   * stale=true so the UA retries with the same password without prompting; on anything else send a
   * plain fresh challenge. Checking creds.uri against the Request-URI is the caller's (digestUriMatches).
   */
  verify(method: string, creds: DigestCredentials, ha1: string): DigestResult {
    if (creds.realm !== this.realm) return fail('realm');

    const nonce = this.nonces.inspect(creds.nonce);
    if (nonce.status === 'invalid' || nonce.issuedAt === undefined) return fail('nonce-invalid');
    if (nonce.status === 'stale') return fail('nonce-stale');

    const withQop = creds.qop === 'auth';
    if (creds.qop !== undefined && !withQop) return fail('response');
    if (withQop && (creds.nc === undefined || !NC.test(creds.nc) || creds.cnonce === undefined)) return fail('response');
    const expected = digestResponse(ha1, method, creds.uri, creds);
    if (!HEX32.test(creds.response)) return fail('response');
    // Constant time, so the expected digest cannot be learned a byte at a time.
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(creds.response, 'hex'))) return fail('response');

    const nc = withQop ? parseInt(creds.nc!, 16) : Infinity;
    const tracked = this.seen.get(creds.nonce);
    if (tracked) {
      // Proven replay: this nonce already authenticated with this nc or a higher one, or once without qop.
      if (!withQop || nc <= tracked.lastNc) return fail('replay');
    } else if (nonce.issuedAt <= this.evictedHorizon) {
      // Not tracked, but it could have been evicted: every evicted nonce was issued at or before the
      // horizon. Accepting could let a captured request be replayed; calling it a replay could be a
      // false accusation (it may be a first use). The safe answer is neither: stale=true makes the UA
      // fetch a fresh nonce (issued after the horizon, so unambiguous) and retry without prompting.
      return fail('nonce-stale');
    }

    this.seen.delete(creds.nonce);
    this.seen.set(creds.nonce, { issuedAt: nonce.issuedAt, lastNc: nc });
    if (this.seen.size > this.maxTracked) this.evictOldest();
    return { ok: true };
  }

  private evictOldest(): void {
    const oldest = this.seen.entries().next();
    if (oldest.done) return;
    const [key, entry] = oldest.value;
    this.seen.delete(key);
    if (entry.issuedAt > this.evictedHorizon) this.evictedHorizon = entry.issuedAt;
  }
}
