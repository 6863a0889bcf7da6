import { createSocket, type Socket } from 'node:dgram';
import type Srf from 'drachtio-srf';
import { cliActor } from '../src/audit/audit';
import type { BfcpMessage } from '../src/bfcp/codec';
import { RequestStatus } from '../src/bfcp/constants';
import { conferenceName, contentConferenceName, parseMemberList } from '../src/media/freeswitch/conference';
import { MeetingBook } from '../src/meetings/meeting-book';
import { BfcpClient } from '../test/support/bfcp-client';
import { startCaller } from '../test/support/bridge';
import { contentTarget, parseBfcpAnswer } from '../test/support/content-room';
import { waitFor } from '../test/support/stack';
import { APP_DOMAIN, type AppProcess, startApp } from './lib/app-process';
import { type Delivery, type Receivers, startReceivers } from './lib/content-receivers';
import { dialSites, hangUp, siteOffer } from './lib/content-sites';
import { type Clip, ClipPlayer, recordClip } from './lib/h264-clip';
import { requireBinaries, requireFfmpeg, runMain, sleep, startPostgres, Teardown } from './lib/harness';
import { printMachine } from './lib/machine';
import { CpuMeter, findPid } from './lib/proc';
import { monotonicMs } from './lib/rtp-clock';
import { createBenchSites } from './lib/sites';
import { startFanout } from './lib/udp-fanout';
import { fmt, percentile, ratio, table } from './lib/stats';

/**
 * Content fan-out (issue 14): one presenter to N receiving sites at 1 Mbit/s, through the real bridge
 * (`diemcau serve` in its own process with BFCP, drachtio-server, FreeSWITCH with the project's
 * configuration), beside plain forwarding of the same stream to the same sockets (bench/lib/udp-fanout.ts)
 * as the floor of what is possible. Per step: CPU of every process, delivery and the delay from the
 * presenter's send to each receiver's arrival (payload hash match, CLOCK_MONOTONIC on both ends).
 * The stream is ffmpeg's H.264 recorded once and replayed (bench/lib/h264-clip.ts): no encoder runs
 * while measuring. One step also adds a site without a content line, so that the bridge links content
 * into the main canvas, and shows what that costs FreeSWITCH.
 * Env: BENCH_SITES (10,50,100), BENCH_WINDOW_SECONDS (10), BENCH_IDLE_SECONDS (5), BENCH_KBPS (1000), BENCH_FPS (15),
 * BENCH_GRACE_SECONDS (3: how long after a window its packets may still arrive), BENCH_MAIN_PICTURE_SITES (the first of BENCH_SITES; 0: no main-picture step), BENCH_DIAL_CONCURRENCY (10),
 * BENCH_RECEIVER_MAIN_VIDEO (0; 1: receivers take the main picture too), BENCH_APP_LOG_LEVEL (warn).
 */

const hour = 3600_000;
const ROOM = 2001;
const CONTENT_PT = 97;

type Path = 'idle' | 'bridge' | 'bridge + main picture' | 'plain forwarding';

interface Row {
  path: Path;
  sites: number;
  cpu: Record<string, number>;
  delivery: Delivery | null;
  /** content packets a second at the median receiver while recording, and sent a second */
  receivedPerS?: number;
  sentPerS?: number;
}

interface Bench {
  app: AppProcess;
  srf: Srf;
  receivers: Receivers;
  presenter: Socket;
  clip: Clip;
  meetingId: string;
  pids: Record<string, number | 'self'>;
  windowS: number;
  graceS: number;
  idleS: number;
  concurrency: number;
  /** receivers take the main picture too (FreeSWITCH encodes the canvas for them) */
  receiverMainVideo: boolean;
  baselineChannels: number;
}

const isStatus = (st: number) => (m: BfcpMessage) =>
  m.primitive === 'FloorRequestStatus' && !m.responder && m.floorRequestInformation.overallRequestStatus?.requestStatus?.status === st;

async function takeFloor(answer: string): Promise<BfcpClient> {
  const b = parseBfcpAnswer(answer);
  if (!b) throw new Error(`the presenter's answer has no BFCP line:\n${answer}`);
  const client = await BfcpClient.udp(b.host, b.port, { conferenceId: b.conferenceId, userId: b.userId });
  try {
    if ((await client.request({ primitive: 'Hello' })).primitive !== 'HelloAck') throw new Error('BFCP Hello not acknowledged');
    await client.request({ primitive: 'FloorRequest', floorIds: [b.floorId] });
    await client.next(isStatus(RequestStatus.Granted), 5000);
    return client;
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** CPU over the window, and what the receivers got of what was sent in it (late packets: BENCH_GRACE_SECONDS more). */
async function measure(
  b: Bench,
  player: ClipPlayer,
  pids: Record<string, number | 'self'>,
): Promise<Pick<Row, 'cpu' | 'delivery' | 'receivedPerS' | 'sentPerS'>> {
  const recordFrom = monotonicMs();
  await b.receivers.record(true);
  const meter = new CpuMeter(pids);
  meter.begin();
  const from = monotonicMs();
  await sleep(b.windowS * 1000);
  const to = monotonicMs();
  const cpu = meter.end();
  await sleep(b.graceS * 1000);
  await b.receivers.record(false);
  const recordS = (monotonicMs() - recordFrom) / 1000;
  const delivery = await b.receivers.report(player.sent, from, to);
  return { cpu, delivery, receivedPerS: percentile(delivery.arrived, 50) / recordS, sentPerS: delivery.sent / ((to - from) / 1000) };
}

/** Until every receiver has had `packets` content packets (keyframe requests and floor settled). */
async function warmUp(b: Bench, packets: number): Promise<void> {
  await waitFor(
    `content at every receiver`,
    async () => {
      const counts = await b.receivers.counts();
      return counts.every((c) => c >= packets) ? true : undefined;
    },
    30_000,
    250,
  ).catch(async (err: Error) => {
    const counts = await b.receivers.counts();
    console.log(`  warning: ${err.message} (${counts.filter((c) => c < packets).length} of ${counts.length} below ${packets} packets)`);
  });
}

async function step(b: Bench, n: number, mainPicture: boolean): Promise<Row[]> {
  const rows: Row[] = [];
  const log = (r: Row) => {
    rows.push(r);
    const d = r.delivery;
    const cpu = Object.entries(r.cpu)
      .map(([k, v]) => `${k} ${fmt(v)}%`)
      .join(', ');
    console.log(
      `  ${r.path}, ${n} sites: ${d ? `${fmt(Math.min(...d.delivered))}..${fmt(Math.max(...d.delivered))} of ${d.sent} packets (arrived ${fmt(Math.min(...d.arrived))}..${fmt(Math.max(...d.arrived))}, unknown payloads ${d.unknown}), delay p50 ${fmt(d.p50, 2)} p99 ${fmt(d.p99, 2)} ms; ` : ''}${cpu}`,
    );
  };
  const [presenterLines] = await b.receivers.open(1, ['audio']);
  const sites = await b.receivers.open(n, b.receiverMainVideo ? ['audio', 'main', 'content'] : ['audio', 'content']);
  const offers = [
    { n: 1, sdp: siteOffer(1, { ...presenterLines, content: b.presenter.address().port }) },
    ...sites.map((ports, i) => ({ n: i + 2, sdp: siteOffer(i + 2, ports) })),
  ];
  const t0 = Date.now();
  const dialogs = await dialSites(b.srf, { target: b.app.sipTarget, room: ROOM, sites: offers, concurrency: b.concurrency });
  const player = new ClipPlayer(b.clip, b.presenter);
  let floor: BfcpClient | undefined;
  try {
    await waitFor(
      `${n + 1} members in the content conference`,
      async () => (parseMemberList(await b.app.fs.fsCli(`conference ${contentConferenceName(b.meetingId)} list`)).size >= n + 1 ? true : undefined),
      60_000,
      500,
    );
    console.log(`  ${n + 1} sites in the meeting with their content legs in ${fmt((Date.now() - t0) / 1000, 1)} s`);
    const idle = new CpuMeter(b.pids);
    idle.begin();
    await sleep(b.idleS * 1000);
    log({ path: 'idle', sites: n, cpu: idle.end(), delivery: null });

    floor = await takeFloor(dialogs[0]!.remote.sdp);
    const target = contentTarget(dialogs[0]!.remote.sdp);
    if (!target) throw new Error(`the presenter's answer has no content line:\n${dialogs[0]!.remote.sdp}`);
    player.start(target);
    await warmUp(b, 30);
    log({ path: 'bridge', sites: n, ...(await measure(b, player, b.pids)) });

    if (mainPicture) {
      // A site with video and no content line: the bridge links the content conference into the main one.
      const [plainLines] = await b.receivers.open(1, ['audio', 'main']);
      dialogs.push(
        ...(await dialSites(b.srf, { target: b.app.sipTarget, room: ROOM, sites: [{ n: n + 2, sdp: siteOffer(n + 2, plainLines!) }], concurrency: 1 })),
      );
      await waitFor(
        'the content link in the main conference',
        async () => (/res-id:content/.test(await b.app.fs.fsCli(`conference ${conferenceName(b.meetingId)} list`)) ? true : undefined),
        30_000,
        500,
      );
      await sleep(3000);
      log({ path: 'bridge + main picture', sites: n, ...(await measure(b, player, b.pids)) });
    }
  } finally {
    player.stop();
    await floor?.close();
    await hangUp(dialogs);
  }
  await waitFor(
    'FreeSWITCH back to its channels before the step',
    async () => ((await b.app.fs.fsCli('show channels count')).match(/(\d+) total/)?.[1] === String(b.baselineChannels) ? true : undefined),
    60_000,
    500,
  );

  const fanout = await startFanout(sites.map((p) => p.content!));
  try {
    player.start({ host: '127.0.0.1', port: fanout.port });
    await warmUp(b, 30);
    log({ path: 'plain forwarding', sites: n, ...(await measure(b, player, { ...b.pids, relay: fanout.pid })) });
  } finally {
    player.stop();
    await fanout.close();
    await b.receivers.closeSites();
  }
  return rows;
}

const CPU_COLUMNS = ['freeswitch', 'drachtio', 'bridge', 'relay', 'receivers', 'driver', 'machine'] as const;

function report(rows: readonly Row[], clip: Clip, windowS: number): void {
  const pct = (v: number | undefined) => (v === undefined ? '–' : `${fmt(v)}%`);
  console.log(`\n## Per step (${windowS} s windows; CPU in % of one core, machine = every process on the box, 200 = both cores)\n`);
  console.log(
    "sent: packets of the window; received/s: content packets a second at the median receiver while recording (window and grace); delivered: share of the window's packets that arrived; delays over every packet recorded\n",
  );
  console.log(
    table(
      ['path', 'sites', 'sent', 'sent/s', 'received/s', 'delivered min', 'delivered median', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', ...CPU_COLUMNS],
      rows.map((r) => {
        const d = r.delivery;
        const share = (x: number) => (d?.sent ? `${fmt((x / d.sent) * 100, 1)}%` : '–');
        return [
          r.path,
          String(r.sites),
          d ? fmt(d.sent) : '–',
          fmt(r.sentPerS, 1),
          fmt(r.receivedPerS, 1),
          d ? share(Math.min(...d.delivered)) : '–',
          d ? share(percentile(d.delivered, 50)) : '–',
          fmt(d?.p50, 2),
          fmt(d?.p95, 2),
          fmt(d?.p99, 2),
          fmt(d?.max, 1),
          ...CPU_COLUMNS.map((c) => pct(r.cpu[c])),
        ];
      }),
    ),
  );

  const by = (path: Path, n: number) => rows.find((r) => r.path === path && r.sites === n);
  const steps = [...new Set(rows.map((r) => r.sites))];
  console.log('\n## Bridge against plain forwarding, same run\n');
  console.log(
    table(
      [
        'sites',
        'FreeSWITCH presenting',
        'FreeSWITCH idle',
        'content cost (presenting − idle)',
        'relay',
        'content cost / relay',
        'added p50 ms (bridge − relay)',
        'added p99 ms',
        'p50 bridge / relay',
      ],
      steps.map((n) => {
        const bridge = by('bridge', n);
        const idle = by('idle', n);
        const relay = by('plain forwarding', n);
        const cost = (bridge?.cpu['freeswitch'] ?? NaN) - (idle?.cpu['freeswitch'] ?? NaN);
        return [
          String(n),
          pct(bridge?.cpu['freeswitch']),
          pct(idle?.cpu['freeswitch']),
          pct(cost),
          pct(relay?.cpu['relay']),
          ratio(cost, relay?.cpu['relay'], 1),
          fmt((bridge?.delivery?.p50 ?? NaN) - (relay?.delivery?.p50 ?? NaN), 2),
          fmt((bridge?.delivery?.p99 ?? NaN) - (relay?.delivery?.p99 ?? NaN), 2),
          ratio(bridge?.delivery?.p50, relay?.delivery?.p50, 1),
        ];
      }),
    ),
  );

  const linked = rows.find((r) => r.path === 'bridge + main picture');
  if (linked) {
    const plain = by('bridge', linked.sites);
    console.log(`\n## Content in the main picture (${linked.sites} content receivers + 1 site without a content line)\n`);
    console.log(
      table(
        ['', 'FreeSWITCH', 'bridge', 'machine', 'delay p50 ms', 'p99 ms'],
        [
          [
            'content conference only',
            pct(plain?.cpu['freeswitch']),
            pct(plain?.cpu['bridge']),
            pct(plain?.cpu['machine']),
            fmt(plain?.delivery?.p50, 2),
            fmt(plain?.delivery?.p99, 2),
          ],
          [
            '+ link into the main canvas',
            pct(linked.cpu['freeswitch']),
            pct(linked.cpu['bridge']),
            pct(linked.cpu['machine']),
            fmt(linked.delivery?.p50, 2),
            fmt(linked.delivery?.p99, 2),
          ],
          ['ratio', ratio(linked.cpu['freeswitch'], plain?.cpu['freeswitch']), '', '', '', ''],
        ],
      ),
    );
  }
  console.log(
    `\nstream: ${clip.packets} RTP packets in a ${fmt(clip.durationMs / 1000, 1)} s loop, ${clip.kbps} kbit/s of RTP (ffmpeg sent ${clip.recordedKbps}), a frame every ${fmt(clip.durationMs / clip.frames.length, 1)} ms`,
  );
}

async function main(): Promise<void> {
  requireBinaries('content fan-out bench', { drachtio: true, freeswitch: true });
  const ffmpeg = requireFfmpeg('content fan-out bench');
  const steps = (process.env['BENCH_SITES'] ?? '10,50,100').split(',').map(Number);
  const windowS = Number(process.env['BENCH_WINDOW_SECONDS'] ?? 10);
  const idleS = Number(process.env['BENCH_IDLE_SECONDS'] ?? 5);
  const kbps = Number(process.env['BENCH_KBPS'] ?? 1000);
  const fps = Number(process.env['BENCH_FPS'] ?? 15);
  const mainPictureAt = Number(process.env['BENCH_MAIN_PICTURE_SITES'] ?? steps[0]);
  const concurrency = Number(process.env['BENCH_DIAL_CONCURRENCY'] ?? 10);
  const receiverMainVideo = process.env['BENCH_RECEIVER_MAIN_VIDEO'] === '1';
  printMachine('content fan-out');
  console.log(
    `sites ${steps.join(', ')}; ${kbps} kbit/s H.264 at ${fps} frames/s; windows of ${windowS} s; main-picture step at ${mainPictureAt || 'none'}; receivers' main video ${receiverMainVideo ? 'on (the canvas is encoded for them)' : 'declined (port 0)'}\n`,
  );

  const down = new Teardown();
  const rows: Row[] = [];
  let clip: Clip | undefined;
  try {
    clip = await recordClip(ffmpeg, { seconds: 20, kbps, fps, payloadType: CONTENT_PT });
    console.log(`clip: ${clip.packets} packets, ${fmt(clip.durationMs / 1000, 1)} s at ${kbps} kbit/s (ffmpeg sent ${clip.recordedKbps} kbit/s)`);
    const pg = await startPostgres();
    down.add('postgres', () => pg.stop());
    const app = await startApp({ ROOM_CAPACITY: '1000', BFCP_HOST: '127.0.0.1', BFCP_PORT: '0', LOG_LEVEL: process.env['BENCH_APP_LOG_LEVEL'] ?? 'warn' });
    down.add('app', () => app.stop());
    const caller = await startCaller();
    down.add('caller', () => caller.stop());
    const receivers = startReceivers();
    down.add('receivers', () => receivers.close());
    const presenter = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    await new Promise<void>((r) => presenter.bind(0, '127.0.0.1', () => r()));
    presenter.on('message', () => undefined);
    down.add('presenter socket', () => new Promise<void>((r) => presenter.close(() => r())));

    await createBenchSites(app.ds, APP_DOMAIN, Math.max(...steps) + 2);
    const start = new Date(Date.now() - hour);
    const { meeting } = await new MeetingBook(app.ds, { min: 2000, max: 2999 }).create(
      {
        title: 'Bench: trình chiếu',
        roomNumber: ROOM,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 4 * hour).toISOString(),
        invitedSites: [],
        dialOut: false,
        allowGuests: true,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    const bench: Bench = {
      app,
      srf: caller.srf,
      receivers,
      presenter,
      clip,
      meetingId: meeting.id,
      pids: {
        freeswitch: app.fs.pid,
        drachtio: findPid('drachtio', `--port ${app.drachtio.adminPort}`) ?? NaN,
        bridge: app.pid,
        receivers: receivers.pid,
        driver: 'self',
      },
      windowS,
      graceS: Number(process.env['BENCH_GRACE_SECONDS'] ?? 3),
      idleS,
      concurrency,
      receiverMainVideo,
      baselineChannels: Number((await app.fs.fsCli('show channels count')).match(/(\d+) total/)?.[1] ?? NaN),
    };
    for (const n of steps) {
      console.log(`\n${n} receiving sites`);
      rows.push(...(await step(bench, n, n === mainPictureAt)));
    }
  } finally {
    await down.run();
  }
  if (clip) report(rows, clip, windowS);
}

runMain(main);
