import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type Srf from 'drachtio-srf';
import { conferenceName } from '../../src/media/freeswitch/conference';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { addDialInSite, BRIDGE_DOMAIN, bookLiveMeeting, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { findFfmpeg, sdpVideoTarget, sendH264, withH264Video } from '../support/h264-peer';
import { freeEvenPort, RtpPeer, type RtpRemote, sdpAudioTarget } from '../support/rtp-peer';
import { skipFor } from '../support/skip';
import { requireStack, startFreeswitch, waitFor, type FreeswitchServer } from '../support/stack';

/**
 * One meeting over three FreeSWITCH nodes (docs/scale.md): two sites a node, the second and third
 * nodes linked to the first. Real drachtio-server, three FreeSWITCH processes, callers with RTP.
 */
const nodeId = (n: FreeswitchServer) => `${n.host}:${n.eslPort}`;

describe('cascade: one meeting over three FreeSWITCH nodes', function () {
  this.timeout(120_000);
  let nodes: FreeswitchServer[] = [];
  let bridge: TestBridge;
  let caller: { srf: Srf; stop(): Promise<void> };
  let meeting: Meeting;
  let ffmpeg: string;
  const peers: RtpPeer[] = [];
  const cameras: ChildProcess[] = [];
  const dialogs: Srf.Dialog[] = [];

  before(async function () {
    requireStack(this, 'cascade tests');
    ffmpeg = findFfmpeg() ?? skipFor(this, 'cascade tests', 'ffmpeg not found (apt-get install ffmpeg, or set FFMPEG_BIN)');
    const started = await Promise.allSettled([startFreeswitch(), startFreeswitch(), startFreeswitch()]);
    nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    bridge = await startBridge({
      freeswitch: nodes[0],
      moreFreeswitches: nodes.slice(1),
      env: { FREESWITCH_MAX_MEMBERS: '2', FREESWITCH_REGIONS: `${nodeId(nodes[2]!)}=mien-nam` },
    });
    caller = await startCaller();
    meeting = await bookLiveMeeting(bridge, { title: 'Hội nghị toàn quốc', roomNumber: 2101, sites: [], allowGuests: true });
  });

  after(async () => {
    for (const c of cameras) c.kill('SIGKILL');
    for (const p of peers) p.close();
    await caller?.stop();
    await bridge?.stop();
    await Promise.allSettled(nodes.map((n) => n.stop()));
  });

  const openRows = async (m = meeting) =>
    (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [m.id]))[0].n as number;
  const channelsOn = async (n: FreeswitchServer) => Number((await n.fsCli('show channels count')).match(/(\d+) total/)?.[1] ?? NaN);

  /** A site dials in and sends silence; resolves once it is in the conference, with the node it is on. */
  async function join(
    name: string,
    m = meeting,
    colour?: string,
  ): Promise<{ peer: RtpPeer; node: string; participantId: string; memberId: number; target: RtpRemote }> {
    const peer = await RtpPeer.open();
    peers.push(peer);
    const before = await openRows(m);
    const videoPort = colour ? await freeEvenPort() : 0;
    const dialog = await caller.srf.createUAC(`sip:${m.roomNumber}@${bridge.target}`, {
      localSdp: colour ? withH264Video(peer.sdp(), { port: videoPort, fmtp: 'profile-level-id=42e01f;packetization-mode=1' }) : peer.sdp(),
      headers: { From: `"${name}" <sip:guest@caller.test>` },
    });
    dialogs.push(dialog);
    peer.startSilence(sdpAudioTarget(dialog.remote.sdp));
    if (colour) {
      const source = `color=c=${colour}:s=640x360:r=15`;
      cameras.push(sendH264(ffmpeg, sdpVideoTarget(dialog.remote.sdp), { localPort: videoPort, payloadType: 96, source }));
    }
    await waitFor(`${name} in the conference`, async () => ((await openRows(m)) === before + 1 ? true : undefined), 15_000);
    const call = bridge.calls.engine.calls.inMeeting(m.id).find((c) => c.info.displayName === name)!;
    return { peer, node: call.mediaServer!, participantId: call.participationId!, memberId: call.memberId!, target: sdpAudioTarget(dialog.remote.sdp) };
  }

  it('hears a site on the third node at the first, mutes it from the API there, and leaves nothing behind', async () => {
    const sites = [];
    for (const name of ['A1', 'A2', 'B1', 'B2', 'C1']) sites.push(await join(name));
    const [a1, , b1, , c1] = sites;
    assert.deepEqual(
      sites.map((s) => s.node),
      [nodes[0], nodes[0], nodes[1], nodes[1], nodes[2]].map((n) => nodeId(n!)),
      'two sites a node, the primary first',
    );
    const cascade = bridge.calls.engine.cascade!;
    await cascade.linked(meeting.id);
    const layout = cascade.nodesOf(meeting.id)!;
    assert.equal(layout.primary, nodeId(nodes[0]!));
    assert.deepEqual(
      layout.linked.map((l) => [l.node, l.channels !== null]),
      [
        [nodeId(nodes[1]!), true],
        [nodeId(nodes[2]!), true],
      ],
    );

    const target = sdpAudioTarget(dialogs[4]!.remote.sdp);
    c1!.peer.startTone(target, 1000);
    const heard = (p: RtpPeer) => async () => {
      const ratio = p.toneEnergy(1000, 1000);
      return ratio > 0.3 ? ratio : undefined;
    };
    await waitFor('A1 (primary) to hear C1\u2019s tone across the link', heard(a1!.peer), 15_000, 250);
    await waitFor('B1 (another secondary) to hear it through the primary', heard(b1!.peer), 15_000, 250);
    assert.ok(c1!.peer.toneEnergy(1000, 1000) < 0.2, 'C1 does not hear itself back over the links (no echo)');

    // Mute from the API: the member on node C is muted there, and the tone stops reaching node A.
    await bridge.calls.engine.live.mute(meeting.id, c1!.participantId, true);
    const list = await nodes[2]!.fsCli(`conference ${conferenceName(meeting.id)} list`);
    const c1Line = list.split('\n').find((l) => l.startsWith(`${c1!.memberId};`));
    assert.ok(c1Line && !c1Line.split(';')[5]!.split('|').includes('speak'), `C1 muted on node C: ${c1Line}`);
    await waitFor('A1 to stop hearing the muted tone', async () => (a1!.peer.toneEnergy(1000, 1000) < 0.05 ? true : undefined), 10_000, 250);

    await bridge.calls.lifecycle.ended(meeting);
    assert.equal(await openRows(), 0, 'every participation closed');
    assert.equal(cascade.nodesOf(meeting.id), null);
    assert.equal(bridge.calls.engine.media.leased(), 0, 'every lease released');
    for (const n of nodes) await waitFor(`no channel left on ${nodeId(n)}`, async () => ((await channelsOn(n)) === 0 ? true : undefined), 10_000);
  });
  it("puts a site on its region's node though the primary has room, and links that node", async () => {
    await addDialInSite(bridge, 'xa-nam');
    await bridge.ds.query(`UPDATE site SET region = 'mien-nam' WHERE code = 'xa-nam'`);
    const south = await bookLiveMeeting(bridge, { title: 'Giao ban miền Nam', roomNumber: 2103, sites: ['xa-nam'], allowGuests: true });
    const guest = await RtpPeer.open();
    const site = await RtpPeer.open();
    peers.push(guest, site);
    const inMeeting = () => bridge.calls.engine.calls.inMeeting(south.id).filter((c) => c.state === 'joined');
    const g = await caller.srf.createUAC(`sip:2103@${bridge.target}`, { localSdp: guest.sdp(), headers: { From: '"Khách" <sip:guest@caller.test>' } });
    dialogs.push(g);
    guest.startSilence(sdpAudioTarget(g.remote.sdp));
    await waitFor('the guest in', async () => (inMeeting().length === 1 ? true : undefined), 15_000);
    const s = await caller.srf.createUAC(`sip:2103@${bridge.target}`, {
      localSdp: site.sdp(),
      auth: { username: 'xa-nam', password: 'mat-khau-xa-nam' },
      headers: { From: `<sip:xa-nam@${BRIDGE_DOMAIN}>` },
    });
    dialogs.push(s);
    await waitFor('the site in', async () => (inMeeting().length === 2 ? true : undefined), 15_000);
    const on = Object.fromEntries(inMeeting().map((c) => [c.info.siteId ? 'site' : 'guest', c.mediaServer]));
    assert.deepEqual(on, { guest: nodeId(nodes[0]!), site: nodeId(nodes[2]!) }, 'the guest on the primary, the site on its region\u2019s node');
    const cascade = bridge.calls.engine.cascade!;
    await cascade.linked(south.id);
    assert.deepEqual(
      cascade.nodesOf(south.id)!.linked.map((l) => [l.node, l.channels !== null]),
      [[nodeId(nodes[2]!), true]],
    );
    site.startTone(sdpAudioTarget(s.remote.sdp), 1000);
    await waitFor('the guest on the primary to hear the regional site', async () => (guest.toneEnergy(1000, 1000) > 0.3 ? true : undefined), 15_000, 250);
    await bridge.calls.lifecycle.ended(south);
    assert.equal(bridge.calls.engine.media.leased(), 0);
  });

  /** Shares of an RGB picture that are red and blue. */
  function colourShares(rgb: Buffer): { red: number; blue: number } {
    let red = 0;
    let blue = 0;
    for (let i = 0; i + 2 < rgb.length; i += 3) {
      const [r, g, b] = [rgb[i]!, rgb[i + 1]!, rgb[i + 2]!];
      if (r > 180 && g < 80 && b < 80) red++;
      else if (b > 180 && r < 80 && g < 80) blue++;
    }
    const pixels = rgb.length / 3 || 1;
    return { red: red / pixels, blue: blue / pixels };
  }

  /** A node's (first) canvas, as FreeSWITCH writes it: what that node sends its sites and its links. */
  async function canvasShares(n: FreeswitchServer, m: Meeting): Promise<{ red: number; blue: number }> {
    const dir = mkdtempSync(joinPath(tmpdir(), 'diemcau-canvas-'));
    try {
      const png = joinPath(dir, 'canvas.png');
      const reply = await n.fsCli(`conference ${conferenceName(m.id)} vid-write-png ${png}`);
      assert.match(reply, /\+OK/, reply);
      await waitFor('the canvas picture', async () => (spawnSync('test', ['-s', png]).status === 0 ? true : undefined), 5000, 100);
      return colourShares(spawnSync(ffmpeg, ['-v', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 16 << 20 }).stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * A site that only watches: it dials in with a receive-only H.264 line, and ffmpeg decodes what
   * arrives there. Resolves with the picture's shares once one shows both colours, or the last.
   */
  async function watcher(name: string, m: Meeting): Promise<{ node: string; shares: () => Promise<{ red: number; blue: number }> }> {
    const port = await freeEvenPort();
    const dir = mkdtempSync(joinPath(tmpdir(), 'diemcau-watch-'));
    const sdp = joinPath(dir, 'in.sdp');
    writeFileSync(
      sdp,
      [
        'v=0',
        'o=- 0 0 IN IP4 127.0.0.1',
        's=-',
        'c=IN IP4 127.0.0.1',
        't=0 0',
        `m=video ${port} RTP/AVP 96`,
        'a=rtpmap:96 H264/90000',
        'a=fmtp:96 packetization-mode=1',
        '',
      ].join('\n'),
    );
    // One small frame a second, the newest: rgb24 at 160x90 is 43,200 bytes.
    const decoder = spawn(
      ffmpeg,
      ['-v', 'error', '-protocol_whitelist', 'file,udp,rtp', '-i', sdp, '-vf', 'fps=1,scale=160:90', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    cameras.push(decoder);
    let frame = Buffer.alloc(0);
    let pending = Buffer.alloc(0);
    decoder.stdout.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 160 * 90 * 3) {
        frame = pending.subarray(0, 160 * 90 * 3);
        pending = pending.subarray(160 * 90 * 3);
      }
    });
    decoder.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const peer = await RtpPeer.open();
    peers.push(peer);
    const before = await openRows(m);
    const dialog = await caller.srf.createUAC(`sip:${m.roomNumber}@${bridge.target}`, {
      localSdp: withH264Video(peer.sdp(), { port, fmtp: 'profile-level-id=42e01f;packetization-mode=1', direction: 'recvonly' }),
      headers: { From: `"${name}" <sip:guest@caller.test>` },
    });
    dialogs.push(dialog);
    peer.startSilence(sdpAudioTarget(dialog.remote.sdp));
    await waitFor(`${name} in the conference`, async () => ((await openRows(m)) === before + 1 ? true : undefined), 15_000);
    const call = bridge.calls.engine.calls.inMeeting(m.id).find((c) => c.info.displayName === name)!;
    return { node: call.mediaServer!, shares: async () => colourShares(frame) };
  }

  it('shows a secondary on the primary as one tile of its own sites, with no picture of the meeting inside it', async () => {
    // Node A: a blue camera (and a site without video, which has no tile); node B: a red camera. On
    // A's canvas the red site arrives as B's tile. Were B's canvas to show A's picture too (a link
    // member with a tile there), B's tile would hold a smaller copy of A's canvas, blue within red,
    // and so on down: red well under blue.
    const seen = await bookLiveMeeting(bridge, { title: 'Giao ban có hình', roomNumber: 2105, sites: [], allowGuests: true });
    const sites = [await join('V-A1', seen, 'blue'), await join('V-A2', seen), await join('V-B1', seen, 'red')];
    const onB = await watcher('V-B2', seen);
    assert.deepEqual(
      [...sites.map((s) => s.node), onB.node],
      [nodes[0], nodes[0], nodes[1], nodes[1]].map((n) => nodeId(n!)),
    );
    await bridge.calls.engine.cascade!.linked(seen.id);
    const shares = await waitFor(
      'both tiles on the primary’s canvas',
      async () => {
        const s = await canvasShares(nodes[0]!, seen);
        return s.red > 0.05 && s.blue > 0.05 ? s : undefined;
      },
      30_000,
      1000,
    );
    // Two tiles of one size, each a full-frame camera: as much red as blue.
    const ratio = shares.red / shares.blue;
    assert.ok(ratio > 0.8 && ratio < 1.25, `red ${shares.red.toFixed(3)}, blue ${shares.blue.toFixed(3)} of the canvas: ${ratio.toFixed(2)}`);
    // And a site on the secondary sees the whole meeting: the primary's picture, blue beside red, not
    // its own node's canvas (red alone).
    const watched = await waitFor(
      'the site on the secondary to see the primary’s picture',
      async () => {
        const s = await onB.shares();
        return s.red > 0.3 && s.blue > 0.3 ? s : undefined;
      },
      30_000,
      500,
    ).catch(async (err: Error) => assert.fail(`${err.message}: ${JSON.stringify(await onB.shares())}`));
    assert.ok(watched);

    // The operator pins the red site, on the secondary, in a layout with one large slot: its node's
    // tile takes the slot on the primary, the picture every site watches.
    const engine = bridge.calls.engine;
    await engine.live.layout(seen.id, '1up_top_left+5');
    await engine.live.floor(seen.id, sites[2]!.participantId);
    await waitFor(
      'the pinned site’s node large on the primary',
      async () => {
        const s = await canvasShares(nodes[0]!, seen);
        return s.red > 2 * s.blue && s.blue > 0.01 ? s : undefined;
      },
      20_000,
      1000,
    );
    await bridge.calls.lifecycle.ended(seen);
    for (const c of cameras.splice(0)) c.kill('SIGKILL');
    assert.equal(bridge.calls.engine.media.leased(), 0);
  });

  it('takes its links over across a restart: the same channels, still heard, killed when the node empties', async () => {
    const restarted = await bookLiveMeeting(bridge, { title: 'Giao ban sau khởi động lại', roomNumber: 2104, sites: [], allowGuests: true });
    const [a1, , b1] = [await join('R-A1', restarted), await join('R-A2', restarted), await join('R-B1', restarted)];
    assert.deepEqual([a1!.node, b1!.node], [nodeId(nodes[0]!), nodeId(nodes[1]!)]);
    const linkOf = () => bridge.calls.engine.cascade!.nodesOf(restarted.id)?.linked[0]?.channels ?? null;
    await bridge.calls.engine.cascade!.linked(restarted.id);
    const before = linkOf();
    assert.ok(before);
    const written = async () =>
      (await bridge.ds.query(`SELECT channel_a, channel_b FROM cascade_link WHERE meeting_id = $1`, [restarted.id])) as {
        channel_a: string;
        channel_b: string;
      }[];
    assert.deepEqual(await written(), [{ channel_a: before[0], channel_b: before[1] }]);

    await bridge.restart();
    const after = await waitFor('the link taken over', async () => linkOf() ?? undefined, 20_000, 100);
    assert.deepEqual(after, before, 'the same two channels: not hung up, not doubled');
    const members = (n: FreeswitchServer) =>
      n.fsCli(`conference ${conferenceName(restarted.id)} list`).then((l) => l.split('\n').filter((x) => /^\d+;/.test(x)).length);
    assert.deepEqual([await members(nodes[0]!), await members(nodes[1]!)], [3, 2], 'node A: two sites and the link; node B: its site and the link');
    b1!.peer.startTone(b1!.target, 1000);
    await waitFor('A1 to hear B1 across the link taken over', async () => (a1!.peer.toneEnergy(1000, 1000) > 0.3 ? true : undefined), 15_000, 250);

    // The calls taken over count: the primary is full, so a new site goes to the linked node.
    assert.equal((await join('R-B2', restarted)).node, nodeId(nodes[1]!));
    const engine = bridge.calls.engine;
    const onB = engine.live.participants(restarted.id).filter((p) => p.name.startsWith('R-B'));
    for (const p of onB) await engine.live.kick(restarted.id, p.id);
    await waitFor('the link killed once node B has no site', async () => ((await written()).length === 0 && linkOf() === null ? true : undefined), 15_000);
    await waitFor('no channel left on node B', async () => ((await channelsOn(nodes[1]!)) === 0 ? true : undefined), 10_000);
    await bridge.calls.lifecycle.ended(restarted);
    assert.equal(engine.media.leased(), 0);
  });
});
