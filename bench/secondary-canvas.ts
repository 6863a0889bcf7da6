import type { ChildProcess } from 'node:child_process';
import { bookLiveMeeting, startBridge, startCaller } from '../test/support/bridge';
import { sdpVideoTarget, sendH264, withH264Video } from '../test/support/h264-peer';
import { freeEvenPort, RtpPeer, sdpAudioTarget } from '../test/support/rtp-peer';
import { waitFor, type FreeswitchServer } from '../test/support/stack';
import { requireBinaries, requireFfmpeg, runMain, sleep, startNodes, startPostgres, Teardown } from './lib/harness';
import { printMachine } from './lib/machine';
import { CpuMeter } from './lib/proc';
import { fmt, ratio, table } from './lib/stats';

/**
 * What a secondary node's two canvases cost (docs/scale.md, "Video"): one meeting over two
 * FreeSWITCH nodes, BENCH_VIDEO_SITES (2) sites a node sending H.264 (ffmpeg), each node's CPU over
 * 15 s once everyone is in. Side by side, rounds alternating: the secondary in
 * `diemcau-video-secondary` (two canvases) and in `diemcau-video` (one, the picture within a
 * picture). Env: BENCH_ROUNDS (3).
 */

const PROFILES = ['diemcau-video', 'diemcau-video-secondary'] as const;
const SETTLE_MS = 5_000;
const MEASURE_MS = 15_000;

async function main(): Promise<void> {
  requireBinaries('secondary canvas bench', { drachtio: true, freeswitch: true });
  const ffmpeg = requireFfmpeg('secondary canvas bench');
  const perNode = Number(process.env['BENCH_VIDEO_SITES'] ?? 2);
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
  printMachine('secondary canvas');
  const down = new Teardown();
  try {
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const [primary, secondary] = (await startNodes(2, down)) as [FreeswitchServer, FreeswitchServer];
    console.log(`${perNode} video sites a node (testsrc2 640x360, 15 fps), 2 nodes, ${rounds} rounds\n`);
    const cpu = new Map<string, { primary: number; secondary: number }[]>();
    let room = 2950;
    for (let round = 0; round < rounds; round++) {
      for (const profile of round % 2 ? [...PROFILES].reverse() : PROFILES) {
        const step = new Teardown();
        try {
          const bridge = await startBridge({
            freeswitch: primary,
            moreFreeswitches: [secondary],
            env: { FREESWITCH_MAX_MEMBERS: String(perNode), CONFERENCE_SECONDARY_PROFILE: profile },
          });
          step.add('bridge', () => bridge.stop());
          const caller = await startCaller();
          step.add('caller', () => caller.stop());
          const meeting = await bookLiveMeeting(bridge, { title: 'Giao ban có hình', roomNumber: room++, sites: [], allowGuests: true });
          step.add('meeting', () => bridge.calls.lifecycle.ended(meeting));
          const joined = () => bridge.calls.engine.calls.inMeeting(meeting.id).filter((c) => c.state === 'joined').length;
          for (let i = 0; i < 2 * perNode; i++) {
            const peer = await RtpPeer.open();
            step.add('RTP peer', () => peer.close());
            const port = await freeEvenPort();
            const dialog = await caller.srf.createUAC(`sip:${meeting.roomNumber}@${bridge.target}`, {
              localSdp: withH264Video(peer.sdp(), { port, fmtp: 'profile-level-id=42e01f;packetization-mode=1' }),
              headers: { From: `"Xã ${i + 1}" <sip:guest@caller.test>` },
            });
            peer.startSilence(sdpAudioTarget(dialog.remote.sdp));
            const camera: ChildProcess = sendH264(ffmpeg, sdpVideoTarget(dialog.remote.sdp), {
              localPort: port,
              payloadType: 96,
              source: 'testsrc2=s=640x360:r=15',
            });
            step.add('camera', () => camera.kill('SIGKILL'));
            await waitFor(`site ${i + 1} in`, async () => (joined() === i + 1 ? true : undefined), 20_000);
          }
          await bridge.calls.engine.cascade!.linked(meeting.id);
          await sleep(SETTLE_MS);
          const meter = new CpuMeter({ primary: primary.pid, secondary: secondary.pid });
          meter.begin();
          await sleep(MEASURE_MS);
          const used = meter.end();
          cpu.set(profile, [...(cpu.get(profile) ?? []), { primary: used['primary']!, secondary: used['secondary']! }]);
          console.log(
            `round ${round + 1}, secondary in ${profile}: primary ${fmt(used['primary']!, 1)}%, secondary ${fmt(used['secondary']!, 1)}%, machine ${fmt(used['machine']!, 0)}%`,
          );
        } finally {
          await step.run();
        }
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const of = (p: string, node: 'primary' | 'secondary') => mean((cpu.get(p) ?? []).map((x) => x[node]));
    const range = (p: string, node: 'primary' | 'secondary') => {
      const xs = (cpu.get(p) ?? []).map((x) => x[node]);
      return `${fmt(Math.min(...xs), 1)}–${fmt(Math.max(...xs), 1)}%`;
    };
    console.log(
      `\n${table(
        ['secondary profile', 'primary (% of a core)', 'secondary (% of a core)'],
        PROFILES.map((p) => [p, range(p, 'primary'), range(p, 'secondary')]),
      )}`,
    );
    console.log(`\nsecondary, two canvases / one: ${ratio(of(PROFILES[1], 'secondary'), of(PROFILES[0], 'secondary'))}`);
  } finally {
    await down.run();
  }
}

runMain(main);
