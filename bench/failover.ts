import { BRIDGE_DOMAIN, bookLiveMeeting, startBridge } from '../test/support/bridge';
import { waitFor } from '../test/support/stack';
import { benchScenario, requireBinaries, runMain, startNodes, startPostgres, Teardown } from './lib/harness';
import { printMachine } from './lib/machine';
import { createBenchSites } from './lib/sites';
import { startUas, type LoadProcess } from './lib/sipp-load';
import { fmt, table } from './lib/stats';

/**
 * Time to recovery when the FreeSWITCH carrying a meeting dies (docs/scale.md, "Failover"): N sipp
 * sites dialled into a meeting on two nodes (no member limit: the default), then SIGKILL to the node
 * the meeting is on. Each call moves to the node left by a re-INVITE (sipp answers it); one that
 * cannot is called back. Measures, from the kill, when the bridge knew (no call left on the dead
 * node), when the first site was back in and when the last was, beside the meeting's first join of
 * the same sites in the same run (the same dialer and DIAL_CONCURRENCY: what calling everyone back
 * would take at best).
 * Env: BENCH_SITES (50), BENCH_UAS (2 sipp answering), DIAL_CONCURRENCY (the bridge's default, 10).
 */

async function main(): Promise<void> {
  requireBinaries('failover bench', { drachtio: true, freeswitch: true, sipp: true });
  const n = Number(process.env['BENCH_SITES'] ?? 50);
  const uasCount = Number(process.env['BENCH_UAS'] ?? 2);
  printMachine('failover');
  const down = new Teardown();
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const nodes = await startNodes(2, down);
    const uas: LoadProcess[] = [];
    for (let i = 0; i < uasCount; i++) uas.push(await startUas({ scenario: benchScenario('uas-answer'), calls: 1_000_000, timeoutMs: 20 * 60_000 }));
    down.add('sipp UAS', () => {
      for (const u of uas) u.stop();
    });
    const bridge = await startBridge({
      freeswitch: nodes[0]!,
      moreFreeswitches: nodes.slice(1),
      env: { RING_TIMEOUT_SECONDS: '30', ROOM_CAPACITY: '1000', ...(process.env['DIAL_CONCURRENCY'] && { DIAL_CONCURRENCY: process.env['DIAL_CONCURRENCY'] }) },
    });
    down.add('bridge', () => bridge.stop());
    console.log(
      `${n} sipp sites dialled out, 2 FreeSWITCH nodes, no member limit, DIAL_CONCURRENCY ${bridge.config.dialOut.concurrency}, profile ${bridge.config.media.conferenceProfile}`,
    );
    await createBenchSites(bridge.ds, BRIDGE_DOMAIN, n, (k) => ({ sipUri: `sip:bench-${k}@127.0.0.1:${uas[k % uasCount]!.port}` }));
    const meeting = await bookLiveMeeting(bridge, {
      title: 'Giao ban trực tuyến',
      roomNumber: 2910,
      sites: Array.from({ length: n }, (_, i) => `bench-${i + 1}`),
      dialOut: true,
    });
    const engine = bridge.calls.engine;
    const joinedOn = (server?: string) =>
      engine.calls.inMeeting(meeting.id).filter((c) => c.state === 'joined' && (!server || c.mediaServer === server)).length;

    const t0 = performance.now();
    await bridge.calls.lifecycle.live(meeting);
    const firstJoinMs = await waitFor('every site in', async () => (joinedOn() >= n ? performance.now() - t0 : undefined), 120_000, 20);
    const servers = new Set(engine.calls.inMeeting(meeting.id).map((c) => c.mediaServer));
    const deadId = [...servers][0]!;
    const dead = nodes.find((f) => `${f.host}:${f.eslPort}` === deadId)!;
    const left = nodes.find((f) => f !== dead)!;
    const leftId = `${left.host}:${left.eslPort}`;

    const kill = performance.now();
    process.kill(dead.pid, 'SIGKILL');
    let noticedMs = Number.NaN;
    let firstBackMs = Number.NaN;
    const allBackMs = await waitFor(
      'every site back, on the node left',
      async () => {
        const now = performance.now() - kill;
        if (Number.isNaN(noticedMs) && !engine.calls.inMeeting(meeting.id).some((c) => c.mediaServer === deadId)) noticedMs = now;
        const back = joinedOn(leftId);
        if (Number.isNaN(firstBackMs) && back > 0) firstBackMs = now;
        return back >= n ? now : undefined;
      },
      120_000,
      10,
    ).catch(() => Number.NaN);
    const backIn = joinedOn(leftId);
    const attempts = (await bridge.ds.query(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE outcome = 'answered')::int AS answered FROM dial_attempt WHERE meeting_id = $1`,
      [meeting.id],
    )) as { n: number; answered: number }[];
    const failed = (await bridge.ds.query(
      `SELECT outcome, coalesce(sip_status::text, '-') AS status, coalesce(detail, '') AS detail, count(*)::int AS n FROM dial_attempt WHERE meeting_id = $1 AND outcome <> 'answered' GROUP BY 1, 2, 3`,
      [meeting.id],
    )) as { outcome: string; status: string; detail: string; n: number }[];
    const lost = (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND end_reason = 'media-server-lost'`, [
      meeting.id,
    ])) as {
      n: number;
    }[];
    const leasedBefore = engine.media.leased();
    await bridge.calls.lifecycle.ended(meeting);
    const channels = () => left.fsCli('show channels count').then((r) => Number(/(\d+) total/.exec(r)?.[1] ?? NaN));
    await waitFor('no channel left', async () => ((await channels()) === 0 ? true : undefined), 10_000).catch(() => undefined);

    console.log('\n## Failover\n');
    console.log(
      table(
        ['what', 'ms', 'vs the first join'],
        [
          [`first join: all ${n} sites in (dial-out from the meeting's start)`, fmt(firstJoinMs), '1.00×'],
          ['kill → no call left on the dead node (the bridge knew)', fmt(noticedMs), '–'],
          ['kill → the first site back in, on the node left', fmt(firstBackMs), '–'],
          [`kill → all ${n} sites back in (time to recovery)`, fmt(allBackMs), `${fmt(allBackMs / firstJoinMs, 2)}×`],
        ],
      ),
    );
    for (const f of failed) console.log(`attempts not answered: ${f.n} × ${f.outcome} ${f.status} ${f.detail}`);
    console.log(
      `\n${backIn}/${n} back on ${leftId}; ${lost[0]!.n} participations ended media-server-lost; dial attempts ${attempts[0]!.n} (${attempts[0]!.answered} answered: ${n} first, ${attempts[0]!.answered - n} called back); leases held before the end ${leasedBefore} (one per call); after the end ${engine.media.leased()} leases, ${await channels()} channels on the node left`,
    );
  } finally {
    await down.run();
  }
}

runMain(main);
