import type { Binding, BindingChange, Registrations } from '../../directory/registrations';
import type { Logger } from '../../log';
import { isScanner } from '../scanners';
import { parseContacts } from './contact-header';
import type { SipAuthenticator } from './sip-authenticator';
import type { SipRequest, SipResponse } from './srf-types';
import { addressUser } from './uri-user';

const DEFAULT_EXPIRES = 3600;
const MAX_EXPIRES = 3600;
/** Shorter registrations are refused with 423 (RFC 3261 §10.3 step 7): refreshes every few seconds are load, not liveness. */
export const MIN_EXPIRES = 60;

/** REGISTER from a room system: digest against the directory, bindings in Postgres. */
export function registerHandler(deps: { auth: SipAuthenticator; registrations: Registrations; log: Logger }) {
  const { auth, registrations } = deps;
  return async (req: SipRequest, res: SipResponse): Promise<void> => {
    const callId = req.get('Call-ID') ?? '';
    const log = deps.log.child({ callId, method: 'REGISTER', source: `${req.source_address}:${req.source_port}` });
    const reject = (status: number, reason: string, why: string, headers: Record<string, string> = {}) => {
      log.info({ status, why }, 'REGISTER refused');
      res.send(status, reason, { headers: { ...headers, ...(status >= 400 ? { Warning: `399 diemcau "${why}"` } : {}) } });
    };
    try {
      if (isScanner(req.get('User-Agent'))) {
        auth.failures.fail(req.source_address);
        return reject(403, 'Forbidden', 'scanner');
      }
      // Syntax before credentials: no nonce is spent on a request that could never succeed.
      const aor = addressUser(req.get('To'));
      if (aor.kind === 'malformed') return reject(400, 'Bad Request', `the To user part is malformed (${aor.why})`);
      const outcome = await auth.authenticate('REGISTER', req.get('Authorization'), req.source_address, req.uri);
      if (outcome.kind === 'none' || outcome.kind === 'challenge') {
        const header = outcome.kind === 'challenge' ? outcome.header : auth.challenge();
        res.send(401, 'Unauthorized', { headers: { 'WWW-Authenticate': header } });
        return;
      }
      if (outcome.kind === 'forbidden') return reject(403, 'Forbidden', outcome.why);
      const site = outcome.site;
      if (aor.kind !== 'user' || aor.user !== site.sipUsername) {
        return reject(403, 'Forbidden', 'the address-of-record is not this user\u2019s');
      }

      const contacts = parseContacts(req.get('Contact'));
      const expiresHeader = req.has('Expires') ? Number(req.get('Expires')) : undefined;
      const cseq = Number((req.get('CSeq') ?? '').split(/\s+/)[0]);
      const ctx = {
        callId,
        cseq,
        userAgent: req.get('User-Agent') ?? null,
        sourceAddress: req.source_address,
        sourcePort: req.source_port,
        transport: req.protocol,
      };
      let changes: BindingChange[] | 'remove-all';
      if (contacts.kind === 'invalid') return reject(400, 'Bad Request', 'unreadable Contact header');
      if (contacts.kind === 'wildcard') {
        if (expiresHeader !== 0) return reject(400, 'Bad Request', 'Contact: * needs Expires: 0');
        changes = 'remove-all';
      } else {
        changes = [];
        for (const c of contacts.contacts) {
          const asked = c.expires ?? expiresHeader ?? DEFAULT_EXPIRES;
          if (!Number.isFinite(asked) || asked < 0) return reject(400, 'Bad Request', 'unreadable expiry');
          if (asked > 0 && asked < MIN_EXPIRES) {
            return reject(423, 'Interval Too Brief', `register for at least ${MIN_EXPIRES} s`, { 'Min-Expires': String(MIN_EXPIRES) });
          }
          changes.push({ contact: c.uri, expires: Math.min(asked, MAX_EXPIRES) });
        }
      }
      // A room system renewing its one binding: one statement, and done.
      const attempt = changes !== 'remove-all' && changes.length === 1 ? await registrations.refresh(site.id, changes[0]!, ctx) : null;
      let bindings: Binding[];
      if (attempt && 'bindings' in attempt) bindings = attempt.bindings;
      else {
        const late = attempt ? attempt.outOfOrder : changes !== 'remove-all' && changes.length > 0 && (await registrations.outOfOrder(site.id, callId, cseq));
        if (late) return reject(500, 'Server Internal Error', 'REGISTER out of order (CSeq not higher than the last one)');
        bindings = changes === 'remove-all' || changes.length ? await registrations.apply(site.id, changes, ctx) : await registrations.current(site.id);
      }
      const now = Date.now();
      const contactHeader = bindings.map((b) => `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt.getTime() - now) / 1000))}`).join(', ');
      log.info({ site: site.code, bindings: bindings.length }, changes === 'remove-all' ? 'unregistered' : 'registered');
      res.send(200, 'OK', { headers: { ...(contactHeader ? { Contact: contactHeader } : {}), Date: new Date(now).toUTCString() } });
    } catch (err) {
      log.error({ err }, 'REGISTER failed');
      if (!res.finalResponseSent) res.send(500, 'Server Internal Error');
    }
  };
}
