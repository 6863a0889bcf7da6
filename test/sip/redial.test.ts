import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { defaultRetryPolicy, scalePolicy } from '../../src/calls/dial-out/retry-policy';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { Scheduler } from '../../src/meetings/scheduler';
import { BRIDGE_DOMAIN, startBridge, type TestBridge } from '../support/bridge';
import { requireSipp, sippScenario, startSippUas, type SippUas } from '../support/sipp';
import { requireStack, waitFor } from '../support/stack';

/** A commune whose call drops in the middle of a live meeting is called back. */
describe('dial-out: a site that drops out is redialled', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let scheduler: Scheduler;
  let flaky: SippUas;

  before(async function () {
    requireStack(this, 'redial on drop');
    requireSipp(this, 'redial on drop');
    bridge = await startBridge({ env: { REDIAL_DROPPED: 'true', RING_TIMEOUT_SECONDS: '5' }, retryPolicy: scalePolicy(defaultRetryPolicy, 1 / 60) });
    // Answers, then hangs up a second later: a flaky link.
    flaky = await startSippUas({ scenario: sippScenario('uas-hangup'), pauseMs: 1000 });
    await new SiteDirectory(bridge.ds, BRIDGE_DOMAIN).create(
      { code: 'ia-hlop', name: 'Xã Ia Hlốp', protocol: 'sip', sipUri: `sip:room@127.0.0.1:${flaky.port}`, allowedNetworks: [], enabled: true },
      cliActor,
    );
    const start = new Date(Date.now() + 30_000);
    await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
      {
        title: 'Họp',
        roomNumber: 2060,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        invitedSites: ['ia-hlop'],
        dialOut: true,
        allowGuests: false,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    scheduler = new Scheduler(
      bridge.ds,
      bridge.calls.lifecycle,
      bridge.calls.engine.events,
      { leadMs: 120_000, readinessBeforeMs: 0, endWarningMs: 0, tickMs: 250 },
      bridge.log,
    );
  });

  after(async () => {
    await scheduler?.stop();
    await bridge?.stop();
    await flaky?.stop();
  });

  it('calls the site again each time its call drops, and records each end', async () => {
    scheduler.start();
    const rows = await waitFor(
      'two answered attempts with a drop between',
      async () => {
        const r = (await bridge.ds.query(`SELECT outcome FROM dial_attempt WHERE outcome = 'answered'`)) as { outcome: string }[];
        return r.length >= 2 ? r : undefined;
      },
      30_000,
      250,
    );
    assert.ok(rows.length >= 2);
    const ends = (await bridge.ds.query(`SELECT end_reason FROM participation WHERE left_at IS NOT NULL ORDER BY joined_at LIMIT 1`)) as {
      end_reason: string;
    }[];
    assert.equal(ends[0]!.end_reason, 'caller-hangup', 'the site hung up; the bridge called back');
  });
});
