import { randomBytes } from 'node:crypto';
import type { FailureLimiter } from '../../access/failure-limiter';
import { ipInNetworks } from '../../directory/networks';
import type { SiteCredentials } from '../../directory/site-credentials';
import type { Site } from '../../directory/site.entity';
import { challengeHeader, DigestVerifier, digestUriMatches, NonceIssuer, parseAuthorization } from '../../sip-auth';

export type AuthOutcome =
  /** Credentials proved who the caller is. */
  | { kind: 'site'; site: Readonly<Site> }
  /** No credentials were sent. */
  | { kind: 'none' }
  /** Answer 401/407 with this challenge (`stale`: the credentials were right but the nonce expired). */
  | { kind: 'challenge'; header: string }
  /** Answer 403: wrong credentials, a disabled site, a foreign network, or a source shut out for failing. */
  | { kind: 'forbidden'; why: string };

/** Nonces live this long; a REGISTER refresh after that is re-challenged with stale=true. */
const NONCE_TTL_MS = 5 * 60_000;

/**
 * Digest authentication against the directory's HA1s (held in memory by SiteCredentials) with nonces we signed ourselves, and the
 * per-source failure limiter. REGISTER reads `Authorization`, INVITE `Proxy-Authorization`.
 */
export class SipAuthenticator {
  readonly #nonces: NonceIssuer;
  readonly #verifier: DigestVerifier;
  /** Compared against when the username is unknown, so that case costs and answers the same. */
  readonly #decoyHa1 = randomBytes(16).toString('hex');

  constructor(
    private readonly sites: Pick<SiteCredentials, 'bySipUsername'>,
    readonly realm: string,
    readonly failures: FailureLimiter,
  ) {
    this.#nonces = new NonceIssuer({ secret: randomBytes(32), realm, ttlMs: NONCE_TTL_MS });
    this.#verifier = new DigestVerifier({ realm, nonces: this.#nonces });
  }

  challenge(stale = false): string {
    return challengeHeader(this.realm, this.#nonces.issue(), { stale });
  }

  /** Whether `source` is shut out for now. */
  blocked(source: string): boolean {
    return this.failures.blockedFor(source) > 0;
  }

  /** `requestUri`: the request's Request-URI, which the credentials' digest-uri must name. */
  async authenticate(method: string, header: string | undefined, source: string, requestUri: string): Promise<AuthOutcome> {
    if (this.blocked(source)) return { kind: 'forbidden', why: 'too many failed authentications from this address' };
    if (!header) return { kind: 'none' };
    const creds = parseAuthorization(header);
    if (!creds) return this.#fail(source, 'unreadable credentials');
    if (!digestUriMatches(creds.uri, requestUri)) return this.#fail(source, 'the digest uri is not the Request-URI');
    const site = await this.sites.bySipUsername(creds.username);
    const usable = site?.enabled && site.sipHa1 && site.sipRealm === this.realm ? site : null;
    const result = this.#verifier.verify(method, creds, usable?.sipHa1 ?? this.#decoyHa1);
    if (!result.ok) {
      if (result.reason === 'nonce-stale' || result.reason === 'nonce-invalid') {
        // A nonce from before our restart, or simply old: ask again without counting a failure.
        return { kind: 'challenge', header: this.challenge(result.reason === 'nonce-stale') };
      }
      return this.#fail(source, `digest ${result.reason}`);
    }
    if (!usable) return this.#fail(source, 'unknown or disabled user');
    if (usable.allowedNetworks.length && !ipInNetworks(source, usable.allowedNetworks)) {
      return { kind: 'forbidden', why: `site ${usable.code} may not connect from ${source}` };
    }
    this.failures.succeed(source);
    return { kind: 'site', site: usable };
  }

  #fail(source: string, why: string): AuthOutcome {
    this.failures.fail(source);
    return { kind: 'forbidden', why };
  }
}
