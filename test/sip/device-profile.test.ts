import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { videoKbps } from '../../src/calls/device-profile';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { BRIDGE_DOMAIN, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { findFfmpeg, H264Receiver, sdpVideoTarget, sendH264, withH264Video, type H264Stats } from '../support/h264-peer';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { requireStack, waitFor } from '../support/stack';
import { skipFor } from '../support/skip';

const hour = 3600_000;
/** Largest UDP payload a 1500-byte Ethernet MTU carries over IPv4 (20) + UDP (8). */
const MTU_PAYLOAD = 1500 - 28;
const CAP_KBPS = 384;
const FMTP_MODE1 = 'profile-level-id=42801f;packetization-mode=1';

/**
 * Device profiles on real media: a camera site sends H.264 into the conference, FreeSWITCH mixes
 * it, and what each watching site receives is captured packet by packet. A site whose directory
 * entry says packetization mode 0 must get single NAL units only (RFC 6184 types 1–23), each within
 * the MTU; a site capped at N kbit/s must get video at or below N; a site without a profile gets
 * what it always got. Both ways into a meeting: the sites dial in, or the bridge dials them out.
 */
describe('device profiles: packetization mode and bandwidth on the wire', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let caller: Awaited<ReturnType<typeof startCaller>>;
  let ffmpeg: string;
  let dialOutMeeting: Meeting;
  const closers: (() => void)[] = [];
  const dialogs: Srf.Dialog[] = [];
  /** Room systems the bridge dials, by the user part of their URI: each answers the offer it gets. */
  const rooms = new Map<string, (offer: string) => Promise<string>>();
  const offers = new Map<string, string>();

  before(async function () {
    requireStack(this, 'device profile media tests');
    ffmpeg = findFfmpeg() ?? skipFor(this, 'device profile media tests', 'ffmpeg not found (apt-get install ffmpeg, or set FFMPEG_BIN)');
    bridge = await startBridge();
    caller = await startCaller();
    caller.srf.invite((req, res) => {
      const user = /^sips?:([^@;]+)@/.exec(req.uri)?.[1] ?? '';
      const answer = rooms.get(user);
      if (!answer) return void res.send(404);
      offers.set(user, req.body);
      void answer(req.body)
        .then((localSdp) => caller.srf.createUAS(req, res, { localSdp }))
        .then((d) => void dialogs.push(d))
        .catch(() => undefined);
    });
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    type Profile = { bandwidthKbps?: number; h264PacketizationMode?: 0 | 1 };
    const site = (code: string, profile: Profile) =>
      sites.create(
        { code, name: code, protocol: 'sip', sipUsername: code, sipPassword: `mat-khau-${code}`, allowedNetworks: [], enabled: true, ...profile },
        cliActor,
      );
    const room = (code: string, profile: Profile) =>
      sites.create({ code, name: code, protocol: 'sip', sipUri: `sip:${code}@${caller.target}`, allowedNetworks: [], enabled: true, ...profile }, cliActor);
    await site('camera', {});
    await site('plain', {});
    await site('mode0', { h264PacketizationMode: 0 });
    await site('capped', { bandwidthKbps: CAP_KBPS });
    await room('room-camera', {});
    await room('room-mode0', { h264PacketizationMode: 0 });
    await room('room-capped', { bandwidthKbps: CAP_KBPS });
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    const start = new Date(Date.now() - hour);
    const booking = (title: string, roomNumber: number, invitedSites: string[], dialOut: boolean) =>
      book.create(
        {
          title,
          roomNumber,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3 * hour).toISOString(),
          invitedSites,
          dialOut,
          allowGuests: false,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      );
    await booking('Hồ sơ thiết bị', 2101, ['camera', 'plain', 'mode0', 'capped'], false);
    dialOutMeeting = (await booking('Hồ sơ thiết bị, gọi ra', 2102, ['room-camera', 'room-mode0', 'room-capped'], true)).meeting;
  });

  // Each test's calls and media end with it: two cores do not carry two meetings' encoders at once.
  afterEach(async () => {
    for (const d of dialogs.splice(0)) await Promise.resolve(d.destroy()).catch(() => undefined);
    for (const close of closers.splice(0)) close();
    rooms.clear();
  });

  after(async () => {
    await caller?.stop();
    await bridge?.stop();
  });

  /** Dials room 2101 as a directory site (digest credentials), audio PCMU + H.264 video. */
  async function dialIn(code: string, videoPort: number, fmtp: string): Promise<{ dialog: Srf.Dialog; audio: RtpPeer }> {
    const audio = await RtpPeer.open();
    closers.push(() => audio.close());
    const dialog = await caller.srf.createUAC(`sip:2101@${bridge.target}`, {
      localSdp: withH264Video(audio.sdp(), { port: videoPort, fmtp }),
      headers: { From: `"${code}" <sip:${code}@caller.test>`, 'User-Agent': 'diemcau-test-room' },
      auth: { username: code, password: `mat-khau-${code}` },
    });
    dialogs.push(dialog);
    audio.startSilence(sdpAudioTarget(dialog.remote.sdp));
    return { dialog, audio };
  }

  async function watcher(code: string, fmtp: string): Promise<{ rx: H264Receiver; answer: string }> {
    const rx = await H264Receiver.open();
    closers.push(() => rx.close());
    const { dialog } = await dialIn(code, rx.port, fmtp);
    return { rx, answer: dialog.remote.sdp };
  }

  /** A free even UDP port for the camera: reserved by a socket closed just before ffmpeg binds it. */
  async function cameraPort(): Promise<number> {
    const reserve = await H264Receiver.open();
    reserve.close();
    return reserve.port;
  }

  /** ffmpeg sending H.264 from `localPort` to the video address in FreeSWITCH's SDP. */
  function startCamera(freeswitchSdp: string, localPort: number): void {
    const sender: ChildProcess = sendH264(ffmpeg, sdpVideoTarget(freeswitchSdp), { localPort, payloadType: 96 });
    closers.push(() => sender.kill('SIGKILL'));
  }

  /** A room system the bridge dials: answers with audio and H.264 (`fmtp`, as it would write it); `video` receives. */
  async function room(code: string, fmtp: string, video: (offer: string) => Promise<number>): Promise<void> {
    const audio = await RtpPeer.open();
    closers.push(() => audio.close());
    rooms.set(code, async (offer) => {
      audio.startSilence(sdpAudioTarget(offer));
      return withH264Video(audio.sdp(), { port: await video(offer), fmtp });
    });
  }

  async function roomWatcher(code: string, fmtp: string): Promise<H264Receiver> {
    const rx = await H264Receiver.open();
    closers.push(() => rx.close());
    await room(code, fmtp, async () => rx.port);
    return rx;
  }

  /** Once video reaches every watcher: past the first keyframes and the encoders' start-up, a steady window. */
  async function measure(watchers: Record<string, H264Receiver>): Promise<Record<string, H264Stats>> {
    await waitFor('video at every watching site', async () => (Object.values(watchers).every((rx) => rx.count() > 50) ? true : undefined), 30_000, 500);
    await sleep(4000);
    const windowMs = 10_000;
    await sleep(windowMs);
    const figures = Object.fromEntries(Object.entries(watchers).map(([k, rx]) => [k, rx.stats(windowMs)]));
    console.log(
      `      measured over ${windowMs / 1000} s:\n${Object.entries(figures)
        .map(([k, s]) => `        ${k}: ${JSON.stringify(s)}`)
        .join('\n')}`,
    );
    return figures;
  }

  function assertSingleNalUnits(s: H264Stats): void {
    const other = Object.keys(s.nalTypes)
      .map(Number)
      .filter((t) => t < 1 || t > 23);
    assert.ok(s.packets > 100, 'the mode-0 site gets video');
    assert.deepEqual(other, [], `mode 0: only single NAL units, got ${JSON.stringify(s.nalTypes)}`);
    assert.ok(s.maxPacketBytes <= MTU_PAYLOAD, `mode 0: largest packet ${s.maxPacketBytes} bytes`);
  }

  function assertCapped(s: H264Stats): void {
    assert.ok(s.packets > 100, 'the capped site still gets video');
    // Over the window; single seconds may carry a keyframe burst (README: x264's VBV buffer).
    assert.ok(s.ipKbps <= CAP_KBPS, `capped at ${CAP_KBPS} kbit/s, received ${s.ipKbps} kbit/s on the wire`);
  }

  it('dial-in: sends a mode-0 site single NAL units within the MTU, and a capped site at most its bandwidth', async () => {
    const port = await cameraPort();
    const camera = await dialIn('camera', port, FMTP_MODE1);
    startCamera(camera.dialog.remote.sdp, port);

    const plain = await watcher('plain', FMTP_MODE1);
    const mode0 = await watcher('mode0', 'profile-level-id=42801f;packetization-mode=0');
    const capped = await watcher('capped', FMTP_MODE1);

    const figures = await measure({ plain: plain.rx, mode0: mode0.rx, capped: capped.rx });
    console.log(
      `      answers (video):\n${[
        ['mode0', mode0.answer],
        ['capped', capped.answer],
      ]
        .map(([k, a]) => `        ${k}: ${videoLines(a!)}`)
        .join('\n')}`,
    );

    assertSingleNalUnits(figures['mode0']!);
    assert.match(mode0.answer, /packetization-mode=0/);
    assertCapped(figures['capped']!);
    assert.match(capped.answer, /^b=AS:\d+/m);
    assert.ok(figures['plain']!.packets > 100, 'the unprofiled site still gets video');
  });

  it('dial-out: the bridge calls a mode-0 and a capped room system and holds the video it sends each to its profile', async () => {
    // The camera is a room system too: it sends to wherever FreeSWITCH's offer says.
    await room('room-camera', FMTP_MODE1, async (offer) => {
      const port = await cameraPort();
      startCamera(offer, port);
      return port;
    });
    // An older room system: no packetization-mode in its answer (RFC 6184: mode 0).
    const mode0 = await roomWatcher('room-mode0', 'profile-level-id=42801f');
    // It answers mode 1 without a b= line: only its directory entry knows its line rate.
    const capped = await roomWatcher('room-capped', FMTP_MODE1);

    await bridge.calls.lifecycle.live(dialOutMeeting);
    try {
      await waitFor(
        'the three room systems in the meeting',
        async () => (bridge.calls.engine.live.participants(dialOutMeeting.id).length === 3 ? true : undefined),
        30_000,
        250,
      );
      const figures = await measure({ mode0, capped });
      console.log(`      offers (video):\n${['room-mode0', 'room-capped'].map((k) => `        ${k}: ${videoLines(offers.get(k)!)}`).join('\n')}`);

      const m0Offer = videoBlock(offers.get('room-mode0')!);
      assert.match(m0Offer, /packetization-mode=0/);
      assert.doesNotMatch(m0Offer, /packetization-mode=1/, 'the offer to a mode-0 site proposes no mode 1');
      assertSingleNalUnits(figures['mode0']!);

      const video = videoKbps(CAP_KBPS);
      assert.match(offers.get('room-capped')!, new RegExp(`^b=AS:${CAP_KBPS}\\r?$`, 'm'), 'the line rate at session level');
      assert.match(videoBlock(offers.get('room-capped')!), new RegExp(`^b=AS:${video}\\r?$`, 'm'), 'the video share on the video line');
      assertCapped(figures['capped']!);
    } finally {
      await bridge.calls.lifecycle.ended(dialOutMeeting);
    }
  });
});

function videoBlock(sdp: string): string {
  return sdp.split(/\r?\n(?=m=)/).find((b) => b.startsWith('m=video')) ?? '';
}

function videoLines(sdp: string): string {
  return videoBlock(sdp)
    .split(/\r?\n/)
    .filter((l) => /^(m=|b=|a=fmtp)/.test(l))
    .join(' | ');
}
