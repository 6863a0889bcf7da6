import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { findFfmpeg, H264Receiver, sdpVideoTarget, sendH264, withH264Video, type H264Stats } from '../support/h264-peer';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { requireStack, waitFor } from '../support/stack';
import { skipFor } from '../support/skip';

const hour = 3600_000;
/** Largest UDP payload a 1500-byte Ethernet MTU carries over IPv4 (20) + UDP (8). */
const MTU_PAYLOAD = 1500 - 28;

/**
 * Device profiles on real media: a camera site sends H.264 into the conference, FreeSWITCH mixes
 * it, and what each watching site receives is captured packet by packet. A site whose directory
 * entry says packetization mode 0 must get single NAL units only (RFC 6184 types 1–23), each within
 * the MTU; a site capped at N kbit/s must get video at or below N; a site without a profile gets
 * what it always got.
 */
describe('device profiles: packetization mode and bandwidth on the wire', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let caller: { srf: Srf; stop(): Promise<void> };
  let ffmpeg: string;
  const closers: (() => void)[] = [];
  const dialogs: Srf.Dialog[] = [];
  const CAP_KBPS = 384;

  before(async function () {
    requireStack(this, 'device profile media tests');
    ffmpeg = findFfmpeg() ?? skipFor(this, 'device profile media tests', 'ffmpeg not found (apt-get install ffmpeg, or set FFMPEG_BIN)');
    bridge = await startBridge();
    caller = await startCaller();
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    const site = (code: string, profile: { bandwidthKbps?: number; h264PacketizationMode?: 0 | 1 }) =>
      sites.create({ code, name: code, protocol: 'sip', sipUsername: code, sipPassword: `mat-khau-${code}`, allowedNetworks: [], enabled: true, ...profile }, cliActor);
    await site('camera', {});
    await site('plain', {});
    await site('mode0', { h264PacketizationMode: 0 });
    await site('capped', { bandwidthKbps: CAP_KBPS });
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    const start = new Date(Date.now() - hour);
    await book.create(
      { title: 'Hồ sơ thiết bị', roomNumber: 2101, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3 * hour).toISOString(), invitedSites: ['camera', 'plain', 'mode0', 'capped'], dialOut: false, allowGuests: false, mode: 'discussion', language: 'vi' },
      cliActor,
    );
  });

  after(async () => {
    for (const d of dialogs) await Promise.resolve(d.destroy()).catch(() => undefined);
    for (const close of closers) close();
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

  it('sends a mode-0 site single NAL units within the MTU, and a capped site at most its bandwidth', async () => {
    // The camera's own port: reserved by a socket closed just before ffmpeg binds it.
    const reserve = await H264Receiver.open();
    const cameraPort = reserve.port;
    reserve.close();
    const camera = await dialIn('camera', cameraPort, 'profile-level-id=42801f;packetization-mode=1');
    const sender: ChildProcess = sendH264(ffmpeg, sdpVideoTarget(camera.dialog.remote.sdp), { localPort: cameraPort, payloadType: 96 });
    closers.push(() => sender.kill('SIGKILL'));

    const plain = await watcher('plain', 'profile-level-id=42801f;packetization-mode=1');
    const mode0 = await watcher('mode0', 'profile-level-id=42801f;packetization-mode=0');
    const capped = await watcher('capped', 'profile-level-id=42801f;packetization-mode=1');

    await waitFor('video at every watching site', async () => ([plain, mode0, capped].every((w) => w.rx.count() > 50) ? true : undefined), 30_000, 500);
    // Past the first keyframes and the encoders' start-up, then a steady window.
    await new Promise((r) => setTimeout(r, 4000));
    const windowMs = 10_000;
    await new Promise((r) => setTimeout(r, windowMs));
    const figures: Record<string, H264Stats> = { plain: plain.rx.stats(windowMs), mode0: mode0.rx.stats(windowMs), capped: capped.rx.stats(windowMs) };
    console.log(`      measured over ${windowMs / 1000} s:\n${Object.entries(figures).map(([k, s]) => `        ${k}: ${JSON.stringify(s)}`).join('\n')}`);
    console.log(`      answers (video):\n${[['mode0', mode0.answer], ['capped', capped.answer]].map(([k, a]) => `        ${k}: ${videoLines(a!)}`).join('\n')}`);

    const m0 = figures['mode0']!;
    const other = Object.keys(m0.nalTypes).map(Number).filter((t) => t < 1 || t > 23);
    assert.deepEqual(other, [], `mode 0: only single NAL units, got ${JSON.stringify(m0.nalTypes)}`);
    assert.ok(m0.maxPacketBytes <= MTU_PAYLOAD, `mode 0: largest packet ${m0.maxPacketBytes} bytes`);
    assert.match(mode0.answer, /packetization-mode=0/);

    const cap = figures['capped']!;
    assert.ok(cap.packets > 100, 'the capped site still gets video');
    // Over the window; single seconds may carry a keyframe burst (README: x264's VBV buffer).
    assert.ok(cap.ipKbps <= CAP_KBPS, `capped at ${CAP_KBPS} kbit/s, received ${cap.ipKbps} kbit/s on the wire`);
    assert.match(capped.answer, /^b=AS:\d+/m);
    assert.ok(figures['plain']!.packets > 100, 'the unprofiled site still gets video');
  });
});

function videoLines(sdp: string): string {
  const block = sdp.split(/\r?\n(?=m=)/).find((b) => b.startsWith('m=video')) ?? '';
  return block.split(/\r?\n/).filter((l) => /^(m=|b=|a=fmtp)/.test(l)).join(' | ');
}
