import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findSipp,
  parseSippTrace,
  receivedStatuses,
  requireSipp,
  runSipp,
  sippAuthField,
  sippCsv,
  sippScenario,
  startSippUas,
  type SippResult,
  type SippUas,
} from '../support/sipp';

/** sipp UAC scenarios against sipp UAS scenarios on loopback: proves the scenarios and the runner. */

function explain(r: SippResult): string {
  return `sipp exit ${r.exitCode}${r.timedOut ? ' (timed out)' : ''}\n${r.errors}\n${r.stderr}\n${r.messages.slice(-3000)}`;
}

function branchOf(text: string): string | undefined {
  return /^Via:[^\r\n]*;branch=([^;\s]+)/im.exec(text)?.[1];
}

describe('tooling: sipp runner and scenarios', function () {
  this.timeout(30_000);
  const uases: SippUas[] = [];

  before(function () {
    requireSipp(this, 'sipp scenarios');
  });

  afterEach(async function () {
    const results = await Promise.all(uases.splice(0).map((u) => u.stop()));
    // a UAS that died by a signal (sipp 3.6.1 segfaults on some scenario constructs) is a bug here
    for (const r of results) assert.ok(r.exitCode < 128, `a sipp UAS crashed: ${explain(r)}`);
  });

  async function uas(name: string, opts: { pauseMs?: number; vars?: Record<string, string>; calls?: number } = {}): Promise<SippUas> {
    const u = await startSippUas({ scenario: sippScenario(name), ...opts });
    uases.push(u);
    return u;
  }

  it('finds sipp, or reports it missing when SIPP_BIN points nowhere', function () {
    assert.ok(findSipp());
    const saved = process.env['SIPP_BIN'];
    process.env['SIPP_BIN'] = '/nonexistent/sipp';
    try {
      assert.equal(findSipp(), undefined);
    } finally {
      if (saved === undefined) delete process.env['SIPP_BIN'];
      else process.env['SIPP_BIN'] = saved;
    }
  });

  it('reports a UAS that cannot bind its port', async function () {
    const taken = createSocket('udp4');
    await new Promise<void>((r) => taken.bind(0, '127.0.0.1', () => r()));
    try {
      await assert.rejects(startSippUas({ scenario: sippScenario('uas-answer'), localPort: taken.address().port }), /did not start.*status 254/s);
    } finally {
      taken.close();
    }
  });

  it('refuses CSV fields sipp cannot carry', function () {
    assert.equal(sippAuthField('alice', 'pass word'), '[authentication username="alice" password="pass word"]');
    assert.throws(() => sippAuthField('alice', 'a;b'), /unusable/);
    assert.equal(sippCsv([['alice', 'x']]), 'SEQUENTIAL\nalice;x;\n');
    assert.throws(() => sippCsv([['a]b', 'c;d']]), /unusable/);
  });

  it('invite-call against uas-answer: INVITE, 200 with SDP, ACK, BYE, 200', async function () {
    const callee = await uas('uas-answer');
    const r = await runSipp({ scenario: sippScenario('invite-call'), target: `127.0.0.1:${callee.port}`, service: '2001', pauseMs: 200, timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, explain(r));
    const trace = parseSippTrace(r.messages);
    assert.deepEqual(
      trace.map((m) => `${m.direction} ${m.startLine.split(' ').slice(0, 2).join(' ')}`),
      [
        `sent INVITE sip:2001@127.0.0.1:${callee.port}`,
        'received SIP/2.0 100',
        'received SIP/2.0 180',
        'received SIP/2.0 200',
        `sent ACK sip:127.0.0.1:${callee.port};transport=UDP`,
        `sent BYE sip:127.0.0.1:${callee.port};transport=UDP`,
        'received SIP/2.0 200',
      ],
    );
    assert.match(trace[0]!.text, /^From: "SIPp" <sip:sipp@127\.0\.0\.1>;tag=/m);
    assert.match(trace[0]!.text, /^m=audio \d+ RTP\/AVP 0 101\r?$/m);
    assert.deepEqual(receivedStatuses(r.messages, 'INVITE'), [100, 180, 200]);
    assert.deepEqual(receivedStatuses(r.messages, 'BYE'), [200]);
    assert.match(callee.messages(), /^INVITE sip:2001@/m, 'the UAS trace is readable while it runs');
    const served = await callee.stop();
    assert.match(served.messages, /^BYE sip:/m);
  });

  it('runs several calls and takes keys (From identity) from the caller', async function () {
    const callee = await uas('uas-answer');
    const r = await runSipp({
      scenario: sippScenario('invite-call'),
      target: `127.0.0.1:${callee.port}`,
      service: '2002',
      calls: 3,
      rate: 20,
      keys: { from_user: 'chu-se', display: 'Xa Ia Pal' },
      timeoutMs: 10_000,
    });
    assert.equal(r.exitCode, 0, explain(r));
    const invites = parseSippTrace(r.messages).filter((m) => m.direction === 'sent' && m.startLine.startsWith('INVITE'));
    assert.equal(invites.length, 3);
    for (const m of invites) assert.match(m.text, /^From: "Xa Ia Pal" <sip:chu-se@127\.0\.0\.1>;tag=/m);
  });

  it('invite-reject against uas-busy: 486, ACKed in the INVITE transaction', async function () {
    const callee = await uas('uas-busy');
    const r = await runSipp({ scenario: sippScenario('invite-reject'), target: `127.0.0.1:${callee.port}`, service: '9999', timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, explain(r));
    assert.deepEqual(receivedStatuses(r.messages, 'INVITE'), [100, 486]);
    const trace = parseSippTrace(r.messages);
    const invite = trace.find((m) => m.startLine.startsWith('INVITE'))!;
    const ack = trace.find((m) => m.startLine.startsWith('ACK'))!;
    assert.equal(branchOf(ack.text), branchOf(invite.text), 'the ACK of a non-2xx shares the INVITE branch');
    assert.match(ack.text, /^To: <sip:9999@[^>]+>;tag=\S+/m);
    assert.match((await callee.stop()).messages, /^ACK sip:/m);
  });

  it('invite-reject fails (exit 1) when the call is answered instead', async function () {
    const callee = await uas('uas-answer');
    const r = await runSipp({ scenario: sippScenario('invite-reject'), target: `127.0.0.1:${callee.port}`, service: '2001', timeoutMs: 10_000 });
    assert.equal(r.exitCode, 1, explain(r));
    assert.deepEqual(receivedStatuses(r.messages, 'INVITE').slice(-1), [200]);
  });

  it('invite-cancel against uas-noanswer: CANCEL → 200, 487 → ACK', async function () {
    const callee = await uas('uas-noanswer');
    const r = await runSipp({ scenario: sippScenario('invite-cancel'), target: `127.0.0.1:${callee.port}`, service: '2001', timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, explain(r));
    assert.deepEqual(receivedStatuses(r.messages, 'INVITE'), [180, 487]);
    assert.deepEqual(receivedStatuses(r.messages, 'CANCEL'), [200]);
    const sent = parseSippTrace(r.messages).filter((m) => m.direction === 'sent');
    const [invite, cancel, ack] = ['INVITE', 'CANCEL', 'ACK'].map((method) => sent.find((m) => m.startLine.startsWith(method))!);
    assert.equal(branchOf(cancel!.text), branchOf(invite!.text), 'CANCEL shares the INVITE branch');
    assert.equal(branchOf(ack!.text), branchOf(invite!.text), 'the ACK of the 487 shares the INVITE branch');
    assert.match((await callee.stop()).messages, /^ACK sip:/m);
  });

  it('invite-hold against uas-answer: sendonly answered recvonly, then back to sendrecv', async function () {
    const callee = await uas('uas-answer');
    const r = await runSipp({ scenario: sippScenario('invite-hold'), target: `127.0.0.1:${callee.port}`, service: '2001', pauseMs: 100, timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, explain(r));
    const trace = parseSippTrace(r.messages);
    const invites = trace.filter((m) => m.direction === 'sent' && m.startLine.startsWith('INVITE'));
    assert.deepEqual(
      invites.map((m) => /^a=(sendrecv|sendonly)/m.exec(m.text)?.[1]),
      ['sendrecv', 'sendonly', 'sendrecv'],
    );
    const answers = trace.filter((m) => m.status === 200 && /^CSeq: \d+ INVITE/m.test(m.text));
    assert.deepEqual(
      answers.map((m) => /^a=(sendrecv|recvonly|inactive)/m.exec(m.text)?.[1]),
      ['sendrecv', 'recvonly', 'sendrecv'],
    );
  });

  it('invite-hold fails when the hold is not acknowledged in the answer', async function () {
    // uas-hangup answers and hangs up: no re-INVITE answer at all → the call fails
    const callee = await uas('uas-hangup', { pauseMs: 50 });
    const r = await runSipp({ scenario: sippScenario('invite-hold'), target: `127.0.0.1:${callee.port}`, service: '2001', pauseMs: 300, timeoutMs: 10_000 });
    assert.notEqual(r.exitCode, 0, explain(r));
  });

  it('invite-remote-bye against uas-hangup: the callee hangs up, the caller answers 200', async function () {
    const callee = await uas('uas-hangup', { pauseMs: 200 });
    const r = await runSipp({ scenario: sippScenario('invite-remote-bye'), target: `127.0.0.1:${callee.port}`, service: '2001', timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, explain(r));
    const bye = parseSippTrace(r.messages).find((m) => m.direction === 'received' && m.startLine.startsWith('BYE'))!;
    assert.ok(bye, 'a BYE arrived');
    const served = await callee.stop();
    assert.deepEqual(receivedStatuses(served.messages, 'BYE'), [200]);
  });

  it('kills sipp at timeoutMs and still returns the trace', async function () {
    const callee = await uas('uas-answer'); // answers, never hangs up
    const started = Date.now();
    const r = await runSipp({ scenario: sippScenario('invite-remote-bye'), target: `127.0.0.1:${callee.port}`, service: '2001', timeoutMs: 1500 });
    assert.ok(r.timedOut);
    assert.ok(Date.now() - started < 5000);
    assert.equal(r.exitCode, 124);
    assert.deepEqual(receivedStatuses(r.messages, 'INVITE'), [100, 180, 200]);
  });

  describe('REGISTER with digest against uas-registrar', function () {
    const vars = { reg_user: 'alice', reg_password: 's3cret' };

    it('register-digest: 401, then 200 with the right password', async function () {
      const registrar = await uas('uas-registrar', { vars });
      // a CSV file of one's own (csv), as opposed to csvRows below
      const dir = mkdtempSync(join(tmpdir(), 'diemcau-sipp-test-'));
      const csv = join(dir, 'users.csv');
      writeFileSync(csv, sippCsv([['alice', sippAuthField('alice', 's3cret')]]));
      const r = await runSipp({
        scenario: sippScenario('register-digest'),
        target: `127.0.0.1:${registrar.port}`,
        csv,
        keys: { domain: 'diemcau.test' },
        timeoutMs: 10_000,
      }).finally(() => rmSync(dir, { recursive: true, force: true }));
      assert.equal(r.exitCode, 0, explain(r));
      assert.deepEqual(receivedStatuses(r.messages, 'REGISTER'), [401, 200]);
      const second = parseSippTrace(r.messages).filter((m) => m.direction === 'sent')[1]!;
      assert.match(second.text, /^Authorization: Digest username="alice",realm="diemcau-test",uri="sip:127\.0\.0\.1:\d+",/m);
      assert.match(second.text, /^To: <sip:alice@diemcau\.test>/m);
    });

    it('register-digest with -set unregister: Expires: 0 → 200', async function () {
      const registrar = await uas('uas-registrar', { vars });
      const csvRows = [['alice', sippAuthField('alice', 's3cret')]];
      const r = await runSipp({
        scenario: sippScenario('register-digest'),
        target: `127.0.0.1:${registrar.port}`,
        csvRows,
        vars: { unregister: '1' },
        timeoutMs: 10_000,
      });
      assert.equal(r.exitCode, 0, explain(r));
      assert.deepEqual(receivedStatuses(r.messages, 'REGISTER'), [401, 200, 200]);
      const sent = parseSippTrace(r.messages).filter((m) => m.direction === 'sent');
      assert.match(sent[2]!.text, /^Expires: 0\r?$/m);
    });

    it('register-bad: a wrong password gets 403 (recorded in the trace)', async function () {
      const registrar = await uas('uas-registrar', { vars });
      const csvRows = [['alice', sippAuthField('alice', 'wrong')]];
      const r = await runSipp({ scenario: sippScenario('register-bad'), target: `127.0.0.1:${registrar.port}`, csvRows, timeoutMs: 10_000 });
      assert.equal(r.exitCode, 0, explain(r));
      assert.deepEqual(receivedStatuses(r.messages, 'REGISTER'), [401, 403]);
    });

    it('register-bad fails (exit 1) when the wrong password is accepted', async function () {
      const registrar = await uas('uas-registrar', { vars: { reg_user: 'alice', reg_password: 'wrong' } });
      const csvRows = [['alice', sippAuthField('alice', 'wrong')]];
      const r = await runSipp({ scenario: sippScenario('register-bad'), target: `127.0.0.1:${registrar.port}`, csvRows, timeoutMs: 10_000 });
      assert.equal(r.exitCode, 1, explain(r));
    });
  });
});
