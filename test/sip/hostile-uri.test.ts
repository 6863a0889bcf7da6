import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, startBridge, type TestBridge } from '../support/bridge';
import { parseSippTrace, receivedStatuses, requireSipp, runSipp, sippScenario, type SippResult } from '../support/sipp';
import { requireStack, waitFor } from '../support/stack';

const hour = 3600_000;

/**
 * Hostile user parts, sent byte for byte by sipp through the real drachtio-server to the bridge:
 * each gets a 4xx with a Warning, never a 5xx, and the bridge still takes a call afterwards.
 * (drachtio-server itself drops an INVITE whose Request-URI has a `%zz`-style escape and answers 400
 * to one in From or To, so those never reach the bridge; test/unit/dialled-uri.test.ts covers them.)
 */
describe('SIP: hostile user parts in the Request-URI, From and To', function () {
  this.timeout(180_000);
  let bridge: TestBridge;
  let meetingId: string;
  const keys = { from_domain: BRIDGE_DOMAIN, domain: BRIDGE_DOMAIN };

  before(async function () {
    requireStack(this, 'hostile URI tests');
    requireSipp(this, 'hostile URI tests');
    bridge = await startBridge();
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    await sites.create(
      { code: 'ia-pal', name: 'Xã Ia Pal', protocol: 'sip', sipUsername: 'ia-pal', sipPassword: 'mat-khau-ia-pal', allowedNetworks: [], enabled: true },
      cliActor,
    );
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    const start = new Date(Date.now() - hour);
    const m = await book.create(
      {
        title: 'Giao ban',
        roomNumber: 2001,
        pin: '1234',
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3 * hour).toISOString(),
        invitedSites: [],
        dialOut: false,
        allowGuests: true,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    meetingId = m.meeting.id;
  });

  after(async () => bridge?.stop());

  /** The final statuses sipp got for `method`, the Warning of the last one, and the request line it really sent. */
  function answer(r: SippResult, method: string): { statuses: number[]; warning: string; requestLine: string } {
    const trace = parseSippTrace(r.messages);
    const finals = trace.filter((m) => m.direction === 'received' && (m.status ?? 0) >= 200);
    return {
      statuses: receivedStatuses(r.messages, method).filter((s) => s >= 200),
      warning: /^Warning:\s*(.*)$/im.exec(finals.at(-1)?.text ?? '')?.[1] ?? '',
      requestLine: trace.find((m) => m.direction === 'sent' && m.startLine.startsWith(method))?.startLine ?? '',
    };
  }

  const nothingLeft = () =>
    waitFor(
      'no call or channel left',
      async () => (bridge.calls.engine.calls.all().length === 0 && (await bridge.channels()) === 0 ? true : undefined),
      15_000,
    );

  it('answers 404 with a Warning to malformed, double-escaped and non-ASCII-digit Request-URIs, never 5xx', async () => {
    const notARoom = /^399 diemcau "dial a room number/;
    const malformed = (why: string) => new RegExp(`^399 diemcau "the dialled user part is malformed \\(${why}\\)`);
    const cases: [user: string, status: number, warning: RegExp][] = [
      ['2001%252A1234', 404, notARoom], // one decode: the text %2A, not '*'
      ['2001%2523%2531%2532%2533%2534', 404, notARoom],
      ['2001%2A9999', 403, /PIN/], // a single escape is '*': the PIN is read, and this one is wrong
      ['20%FF', 404, malformed('an escape that is not UTF-8')],
      ['2001*%FF1234', 404, malformed('an escape that is not UTF-8')],
      ['2001%C0%B2', 404, malformed('an escape that is not UTF-8')], // overlong '2'
      ['%ED%A0%80', 404, malformed('an escape that is not UTF-8')], // a lone surrogate
      ['20%00', 404, malformed('a control character')],
      ['2001%0D%0AX-Injected:%201', 404, malformed('a control character')],
      ['', 404, malformed('the user part is empty')],
      ['%D9%A2%D9%A0%D9%A0%D9%A1', 404, notARoom], // Arabic-Indic ٢٠٠١
      ['%EF%BC%92%EF%BC%90%EF%BC%90%EF%BC%91', 404, notARoom], // fullwidth ２００１
      ['2001%20', 404, notARoom],
      ['2001;x=y', 404, notARoom],
      ['2001?x=y', 404, notARoom],
      ['2'.repeat(1000), 404, notARoom],
    ];
    for (const [user, status, warning] of cases) {
      const r = await runSipp({ scenario: sippScenario('invite-reject'), target: bridge.target, service: user, keys, timeoutMs: 15_000 });
      const label = user.slice(0, 40);
      const a = answer(r, 'INVITE');
      assert.equal(a.requestLine, `INVITE sip:${user}@${bridge.target} SIP/2.0`, `${label}: sipp sent it as given`);
      assert.equal(r.exitCode, 0, `${label}: ${r.errors}`);
      assert.deepEqual(a.statuses, [status], label);
      assert.match(a.warning, warning, label);
    }
    await nothingLeft();
  });

  it('answers 400 with a Warning to an INVITE whose From user is malformed (a NUL used to fail the database lookup: 500)', async () => {
    for (const fromUser of ['gu%FFest', 'gu%00est', '%C0%AE']) {
      const r = await runSipp({
        scenario: sippScenario('invite-reject'),
        target: bridge.target,
        service: '2001',
        keys: { ...keys, from_user: fromUser },
        timeoutMs: 15_000,
      });
      const a = answer(r, 'INVITE');
      assert.equal(r.exitCode, 0, `${fromUser}: ${r.errors}`);
      assert.deepEqual(a.statuses, [400], fromUser);
      assert.match(a.warning, /^399 diemcau "the From user part is malformed \((an escape that is not UTF-8|a control character)\)"$/, fromUser);
    }
    await nothingLeft();
  });

  it('answers 400 with a Warning to a REGISTER whose To user is malformed, before any challenge', async () => {
    const cases: [user: string, status: number][] = [
      ['ia%FFpal', 400],
      ['ia%00pal', 400],
      ['ia%2Dpal', 401],
    ];
    for (const [user, status] of cases) {
      const r = await runSipp({ scenario: sippScenario('register-reject'), target: bridge.target, csvRows: [[user]], keys, timeoutMs: 15_000 });
      const a = answer(r, 'REGISTER');
      assert.equal(r.exitCode, 0, `${user}: ${r.errors}`);
      assert.deepEqual(a.statuses, [status], user);
      if (status === 400) assert.match(a.warning, /^399 diemcau "the To user part is malformed \(/, user);
    }
  });

  it('still puts a room system dialling normally into the conference afterwards', async () => {
    const openRows = async () =>
      (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [meetingId]))[0].n as number;
    const call = runSipp({ scenario: sippScenario('invite-call'), target: bridge.target, service: '2001*1234', keys, pauseMs: 2000, timeoutMs: 20_000 });
    await waitFor('the room system in the conference', async () => ((await openRows()) === 1 ? true : undefined), 10_000);
    const r = await call;
    assert.equal(r.exitCode, 0, r.errors);
    assert.deepEqual(
      receivedStatuses(r.messages, 'INVITE').filter((s) => s >= 200),
      [200],
    );
    await nothingLeft();
  });
});
