import type Srf from 'drachtio-srf';
import { cliActor } from '../src/audit/audit';
import { MeetingBook } from '../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, startBridge, startCaller } from '../test/support/bridge';
import { RtpPeer, sdpAudioTarget } from '../test/support/rtp-peer';
import { waitFor, type FreeswitchServer } from '../test/support/stack';
import { benchScenario, requireBinaries, runMain, sleep, startNodes, startPostgres, Teardown } from './lib/harness';
import { printMachine } from './lib/machine';
import { CpuMeter } from './lib/proc';
import { createBenchSites } from './lib/sites';
import { startUas, type LoadProcess } from './lib/sipp-load';
import { fmt, table } from './lib/stats';

/**
 * One meeting over three FreeSWITCH nodes (docs/scale.md): N invited sipp sites dialled out at once
 * with FREESWITCH_MAX_MEMBERS = ceil((N + 3) / 3), plus three callers of our own with RTP, two on the
 * primary and the last on another node. Measures the time until all are in, each link's setup, how
 * long a tone takes to be heard on the same node and across a link, and each node's CPU with
 * everyone in.
 * Env: BENCH_SITES (150), BENCH_UAS (4 sipp answering), BENCH_CONFERENCE_PROFILE (diemcau-video).
 */

const hour = 3600_000;
const STEADY_MS = 10_000;

async function main(): Promise<void> {
  requireBinaries('cascade bench', { drachtio: true, freeswitch: true, sipp: true });
  const n = Number(process.env['BENCH_SITES'] ?? 150);
  const uasCount = Number(process.env['BENCH_UAS'] ?? 4);
  const max = Math.ceil((n + 3) / 3);
  printMachine('cascade');
  const down = new Teardown();
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const nodes = await startNodes(3, down);
    const uas: LoadProcess[] = [];
    for (let i = 0; i < uasCount; i++) uas.push(await startUas({ scenario: benchScenario('uas-answer'), calls: 1_000_000, timeoutMs: 20 * 60_000 }));
    down.add('sipp UAS', () => {
      for (const u of uas) u.stop();
    });
    const profile = process.env['BENCH_CONFERENCE_PROFILE'];
    const bridge = await startBridge({
      freeswitch: nodes[0]!,
      moreFreeswitches: nodes.slice(1),
      env: {
        FREESWITCH_MAX_MEMBERS: String(max),
        RING_TIMEOUT_SECONDS: '30',
        REDIAL_DROPPED: 'false',
        ROOM_CAPACITY: '1000',
        ...(profile && { CONFERENCE_PROFILE: profile }),
      },
    });
    down.add('bridge', () => bridge.stop());
    const caller = await startCaller();
    down.add('caller', () => caller.stop());
    console.log(`${n} sipp sites + 3 RTP callers, 3 nodes, FREESWITCH_MAX_MEMBERS ${max}, profile ${bridge.config.media.conferenceProfile}`);
    await createBenchSites(bridge.ds, BRIDGE_DOMAIN, n, (k) => ({ sipUri: `sip:bench-${k}@127.0.0.1:${uas[k % uasCount]!.port}` }));
    const start = new Date(Date.now() - hour);
    const { meeting } = await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
      {
        title: 'Hội nghị trực tuyến toàn quốc',
        roomNumber: 2900,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3 * hour).toISOString(),
        invitedSites: Array.from({ length: n }, (_, i) => `bench-${i + 1}`),
        dialOut: true,
        allowGuests: true,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    const engine = bridge.calls.engine;
    const joined = () => engine.calls.inMeeting(meeting.id).filter((c) => c.participationId).length;
    const peers: RtpPeer[] = [];
    down.add('RTP peers', () => {
      for (const p of peers) p.close();
    });
    const dialIn = async (name: string): Promise<{ peer: RtpPeer; dialog: Srf.Dialog; node: string }> => {
      const peer = await RtpPeer.open();
      peers.push(peer);
      const before = joined();
      const dialog = await caller.srf.createUAC(`sip:2900@${bridge.target}`, { localSdp: peer.sdp(), headers: { From: `"${name}" <sip:guest@caller.test>` } });
      peer.startSilence(sdpAudioTarget(dialog.remote.sdp));
      await waitFor(`${name} in`, async () => (joined() > before ? true : undefined), 20_000);
      const call = engine.calls.inMeeting(meeting.id).find((c) => c.info.displayName === name)!;
      return { peer, dialog, node: call.mediaServer! };
    };

    const first = await dialIn('first');
    const neighbour = await dialIn('neighbour');
    const t0 = performance.now();
    await bridge.calls.lifecycle.live(meeting);
    // Short of everyone in time, the rest is measured with those who are.
    const allIn = await waitFor('every site in', async () => (joined() >= n + 2 ? performance.now() - t0 : undefined), 120_000, 50).catch(() => NaN);
    const sitesIn = joined() - 2;
    // An overloaded node may not take the last caller: the rest is still measured.
    const last = await dialIn('last').catch((err: Error) => {
      console.log(`the last caller did not get in: ${err.message}`);
      return null;
    });
    await engine.cascade!.linked(meeting.id);
    const layout = engine.cascade!.nodesOf(meeting.id)!;
    const perNode = new Map<string, number>();
    for (const c of engine.calls.inMeeting(meeting.id)) if (c.mediaServer) perNode.set(c.mediaServer, (perNode.get(c.mediaServer) ?? 0) + 1);

    // The same detector both times: the difference is what the link adds.
    const toneDelay = async (from: { peer: RtpPeer; dialog: Srf.Dialog }): Promise<{ ms: number; echo: number }> => {
      await sleep(1000);
      from.peer.startTone(sdpAudioTarget(from.dialog.remote.sdp), 1000);
      const t = performance.now();
      const ms = await waitFor(
        'the first caller to hear the tone',
        async () => (first.peer.toneEnergy(1000, 200) > 0.3 ? performance.now() - t : undefined),
        15_000,
        5,
      ).catch(() => NaN);
      await sleep(500);
      const echo = from.peer.toneEnergy(1000, 500);
      from.peer.startSilence(sdpAudioTarget(from.dialog.remote.sdp));
      return { ms, echo };
    };
    const sameNode = await toneDelay(neighbour);
    const acrossLink = last ? await toneDelay(last) : { ms: NaN, echo: NaN };

    const meter = new CpuMeter(Object.fromEntries(nodes.map((f, i) => [`fs${i + 1}`, f.pid])));
    meter.begin();
    await sleep(STEADY_MS);
    const cpu = meter.end();
    const codecs: string[] = [];
    for (const l of layout.linked) {
      if (!l.channels) continue;
      const node = nodes.find((f) => `${f.host}:${f.eslPort}` === l.node)!;
      const dump = await node.fsCli(`uuid_dump ${l.channels[0]}`);
      const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(dump)?.[1] ?? '?';
      codecs.push(`${field('variable_rtp_use_codec_name')}/${field('variable_rtp_use_codec_rate')} + ${field('variable_rtp_use_video_codec_name')}`);
    }

    const t1 = performance.now();
    await bridge.calls.lifecycle.ended(meeting);
    const endMs = performance.now() - t1;
    // `show channels` reads FreeSWITCH's core database, which its SQL thread updates a moment later.
    const channels = (f: FreeswitchServer) => f.fsCli('show channels count').then((r) => Number(/(\d+) total/.exec(r)?.[1] ?? NaN));
    await waitFor('no channel left', async () => ((await Promise.all(nodes.map(channels))).every((c) => c === 0) ? true : undefined), 10_000).catch(
      () => undefined,
    );
    const left = await Promise.all(nodes.map(channels));

    console.log('\n## Cascade\n');
    console.log(
      table(
        ['node', 'role', 'sites', 'link setup (ms)', 'link codecs', 'FreeSWITCH CPU, all in (% of a core)', 'CPU per site (%)', 'channels left after the end'],
        nodes.map((f, i) => {
          const id = `${f.host}:${f.eslPort}`;
          const link = layout.linked.findIndex((l) => l.node === id);
          const sites = perNode.get(id) ?? 0;
          const c = cpu[`fs${i + 1}`] ?? NaN;
          return [
            `fs${i + 1}`,
            id === layout.primary ? 'primary' : 'secondary',
            fmt(sites),
            link < 0 ? '–' : fmt(layout.linked[link]!.openedInMs ?? NaN),
            link < 0 ? '–' : (codecs[link] ?? '?'),
            fmt(c),
            fmt(c / Math.max(sites, 1), 2),
            fmt(left[i]!),
          ];
        }),
      ),
    );
    console.log(
      `\n${sitesIn}/${n} sites in${Number.isNaN(allIn) ? ' after 120 s (not all)' : `, all in ${fmt(allIn / 1000, 2)} s`}; first and neighbour callers on ${first.node === layout.primary && neighbour.node === layout.primary ? 'the primary' : 'NOT the primary'}, last on ${!last ? 'no node' : last.node === layout.primary ? 'the primary' : 'a secondary'}: a tone is heard after ${fmt(sameNode.ms)} ms on the same node, ${fmt(acrossLink.ms)} ms across a link (echo ratio at the senders ${fmt(sameNode.echo, 3)}, ${fmt(acrossLink.echo, 3)}); meeting ended in ${fmt(endMs)} ms; machine ${fmt(cpu['machine'] ?? NaN)}%`,
    );
  } finally {
    await down.run();
  }
}

runMain(main);
