import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, startBridge, type TestBridge } from '../support/bridge';
import { receivedStatuses, requireSipp, runSipp, sippAuthField, sippScenario } from '../support/sipp';
import { requireStack, waitFor } from '../support/stack';

const hour = 3600_000;

/** sipp playing a commune's room system against the bridge: register, dial in, refusals, CANCEL, hold, BYE both ways. */
describe('a sipp room system against the bridge', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let meetingId: string;
  const keys = { from_domain: BRIDGE_DOMAIN, domain: BRIDGE_DOMAIN };

  before(async function () {
    requireStack(this, 'sipp room system tests');
    requireSipp(this, 'sipp room system tests');
    bridge = await startBridge();
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    await sites.create(
      { code: 'ia-pal', name: 'Xã Ia Pal', protocol: 'sip', sipUsername: 'ia-pal', sipPassword: 'mat-khau-ia-pal', allowedNetworks: [], enabled: true },
      cliActor,
    );
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    const booking = async (room: number, from: number, to: number, extra: Record<string, unknown> = {}) =>
      (
        await book.create(
          {
            title: `Phòng ${room}`,
            roomNumber: room,
            startsAt: new Date(Date.now() + from * hour).toISOString(),
            endsAt: new Date(Date.now() + to * hour).toISOString(),
            invitedSites: [],
            dialOut: false,
            allowGuests: true,
            mode: 'discussion',
            language: 'vi',
            record: false,
            ...extra,
          },
          cliActor,
        )
      ).meeting.id;
    meetingId = await booking(2001, -1, 1);
    await booking(2002, 3, 4);
    await book.cancel(await booking(2003, -1, 2), cliActor);
    await booking(2004, -1, 1, { pin: '4321' });
  });

  after(async () => bridge?.stop());

  const openRows = async () =>
    (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [meetingId]))[0].n as number;
  const nothingLeft = () =>
    waitFor(
      'no call, channel or open participation left',
      async () => (bridge.calls.engine.calls.all().length === 0 && (await bridge.channels()) === 0 && (await openRows()) === 0 ? true : undefined),
      15_000,
    );

  it('registers with digest credentials, and is refused with the wrong password', async () => {
    const ok = await runSipp({
      scenario: sippScenario('register-digest'),
      target: bridge.target,
      csvRows: [['ia-pal', sippAuthField('ia-pal', 'mat-khau-ia-pal')]],
      keys,
      timeoutMs: 15_000,
    });
    assert.equal(ok.exitCode, 0, ok.errors || ok.stdout);
    assert.deepEqual(receivedStatuses(ok.messages, 'REGISTER'), [401, 200]);
    const [binding] = await bridge.ds.query(`SELECT user_agent FROM registration r JOIN site s ON s.id = r.site_id WHERE s.code = 'ia-pal'`);
    assert.equal(binding.user_agent, 'diemcau-sipp');
    const bad = await runSipp({
      scenario: sippScenario('register-bad'),
      target: bridge.target,
      csvRows: [['ia-pal', sippAuthField('ia-pal', 'wrong-password')]],
      keys,
      timeoutMs: 15_000,
    });
    assert.equal(bad.exitCode, 0, bad.errors);
    assert.deepEqual(receivedStatuses(bad.messages, 'REGISTER'), [401, 403]);
    bridge.calls.sip.auth.failures.succeed('127.0.0.1');
  });

  it('dials a booked meeting, is in the conference, hangs up, and leaves nothing', async () => {
    const call = runSipp({ scenario: sippScenario('invite-call'), target: bridge.target, service: '2001', keys, pauseMs: 3000, timeoutMs: 20_000 });
    await waitFor('the room system in the conference', async () => ((await openRows()) === 1 ? true : undefined), 10_000);
    const list = await bridge.fs.fsCli(`conference diemcau-${meetingId} list`);
    assert.match(list, /;hear\|speak/, 'a member of the FreeSWITCH conference');
    const result = await call;
    assert.equal(result.exitCode, 0, result.errors);
    await nothingLeft();
    const [row] = await bridge.ds.query(`SELECT end_reason FROM participation WHERE meeting_id = $1`, [meetingId]);
    assert.equal(row.end_reason, 'caller-hangup');
  });

  it('gets 404, 480 and 403 with a reason for rooms it may not enter', async () => {
    for (const [room, status] of [
      ['9999', 404],
      ['2002', 480],
      ['2003', 480],
      ['2004*1111', 403],
    ] as const) {
      const r = await runSipp({ scenario: sippScenario('invite-reject'), target: bridge.target, service: room, keys, timeoutMs: 15_000 });
      assert.equal(r.exitCode, 0, `${room}: ${r.errors}`);
      assert.deepEqual(
        receivedStatuses(r.messages, 'INVITE').filter((s) => s >= 200),
        [status],
        room,
      );
      assert.match(r.messages, /Warning: 399 diemcau "/);
    }
    await nothingLeft();
  });

  it('cancels before the answer and leaves nothing', async () => {
    // FreeSWITCH frozen: the bridge is still setting the call up when the CANCEL arrives.
    process.kill(bridge.fs.pid, 'SIGSTOP');
    try {
      const r = await runSipp({ scenario: sippScenario('invite-cancel'), target: bridge.target, service: '2001', keys, timeoutMs: 15_000 });
      assert.equal(r.exitCode, 0, r.errors);
      assert.ok(receivedStatuses(r.messages, 'INVITE').includes(487));
    } finally {
      process.kill(bridge.fs.pid, 'SIGCONT');
    }
    await nothingLeft();
  });

  it('goes on hold and back with re-INVITEs', async () => {
    const r = await runSipp({ scenario: sippScenario('invite-hold'), target: bridge.target, service: '2001', keys, pauseMs: 1000, timeoutMs: 20_000 });
    assert.equal(r.exitCode, 0, r.errors || r.stdout);
    await nothingLeft();
  });

  it('gets a BYE when the operator removes it', async () => {
    const call = runSipp({ scenario: sippScenario('invite-remote-bye'), target: bridge.target, service: '2001', keys, timeoutMs: 20_000 });
    const [participant] = await waitFor('the room system in the meeting', async () => {
      const r = bridge.calls.engine.live.participants(meetingId);
      return r.length ? r : undefined;
    });
    await bridge.calls.engine.live.kick(meetingId, participant!.id);
    const r = await call;
    assert.equal(r.exitCode, 0, r.errors);
    await nothingLeft();
    const [row] = await bridge.ds.query(`SELECT end_reason FROM participation WHERE id = $1`, [participant!.id]);
    assert.equal(row.end_reason, 'kicked');
  });

  it('answers 503 and reports the media server down when FreeSWITCH goes away (last: it stops FreeSWITCH)', async () => {
    await bridge.fs.stop();
    await waitFor(
      'the media server marked down',
      async () => (bridge.calls.states()[Object.keys(bridge.calls.engine.media.states())[0]!] === 'down' ? true : undefined),
      15_000,
    );
    const r = await runSipp({ scenario: sippScenario('invite-reject'), target: bridge.target, service: '2001', keys, timeoutMs: 15_000 });
    assert.deepEqual(
      receivedStatuses(r.messages, 'INVITE').filter((s) => s >= 200),
      [503],
    );
    assert.match(r.messages, /Retry-After: 10/);
  });
});
