import Srf from 'drachtio-srf';
import { connectSrf, type DrachtioServer } from '../test/support/stack';

/**
 * The reference registrar for bench/registrations.ts: drachtio-srf with the stock
 * drachtio-mw-digest-auth middleware, users and bindings in memory. No database, no nonce signing
 * or replay tracking (the middleware has none), no failure limiter, no logging.
 * drachtio-mw-digest-auth is not a dependency of diemcau: `npm install --no-save drachtio-mw-digest-auth@0.3.3`.
 */

type PasswordLookup = (username: string, realm: string, cb: (err: Error | null, password?: string) => void) => void;
// biome-ignore lint/complexity/noBannedTypes: drachtio-srf types next so
type DigestAuth = (opts: { realm: string; passwordLookup: PasswordLookup }) => (req: Srf.SrfRequest, res: Srf.SrfResponse, next: Function) => void;

/** The middleware, or undefined when it is not installed. */
export function loadDigestAuth(): DigestAuth | undefined {
  try {
    return require('drachtio-mw-digest-auth') as DigestAuth;
  } catch {
    return undefined;
  }
}

export interface BareRegistrar {
  bindings(): number;
  stop(): void;
}

export async function startBareRegistrar(drachtio: DrachtioServer, realm: string, users: ReadonlyMap<string, string>): Promise<BareRegistrar> {
  const digestAuth = loadDigestAuth();
  if (!digestAuth) throw new Error('drachtio-mw-digest-auth is not installed (npm install --no-save drachtio-mw-digest-auth@0.3.3)');
  const srf = new Srf();
  await connectSrf(srf, drachtio);
  const bindings = new Map<string, { contact: string; expiresAt: number }>();
  srf.use('register', digestAuth({ realm, passwordLookup: (username, _realm, cb) => cb(null, users.get(username)) }));
  (srf as unknown as { register(h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void }).register((req, res) => {
    const user = /sip:([^@;>]+)@/.exec(req.get('To') ?? '')?.[1] ?? '';
    const contact = /<([^>]+)>/.exec(req.get('Contact') ?? '')?.[1] ?? '';
    const expires = Number(req.get('Expires') ?? 3600);
    if (expires === 0) bindings.delete(user);
    else bindings.set(user, { contact, expiresAt: Date.now() + expires * 1000 });
    res.send(200, { headers: { Contact: `<${contact}>;expires=${expires}`, Expires: String(expires) } });
  });
  return {
    bindings: () => bindings.size,
    stop: () => srf.disconnect(),
  };
}
