import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BfcpMessage } from '../../src/bfcp/codec';
import { RequestStatus } from '../../src/bfcp/constants';
import { conferenceName, contentConferenceName } from '../../src/media/freeswitch/conference';
import type { MeetingEvent } from '../../src/meetings/meeting-events';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { addDialInSite, BRIDGE_DOMAIN, bookLiveMeeting, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { BfcpClient } from '../support/bfcp-client';
import { ContentRoom, type BfcpTransport } from '../support/content-room';
import { findFfmpeg, type H264Receiver } from '../support/h264-peer';
import { skipFor } from '../support/skip';
import { requireStack, waitFor } from '../support/stack';

const RED = 'color=c=red:s=640x360:r=15';
const BLUE = 'color=c=blue:s=640x360:r=15';

/**
 * Content sharing on the real stack (docs/content-sharing.md): room systems scripted the way Poly and
 * Cisco units share (a content line and BFCP over UDP or TCP) and one without content. The presenter's
 * H.264 must reach the other content line as NAL units, the site without content must see it in its main
 * picture (FreeSWITCH's canvas), the floor must move between presenters and be freed when the presenter
 * hangs up, and nothing may be left in FreeSWITCH or the BFCP server.
 */
describe('content sharing: BFCP room systems present to the meeting', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let caller: Awaited<ReturnType<typeof startCaller>>;
  let ffmpeg: string;
  let meeting: Meeting;
  let events: MeetingEvent[];
  let baseline: number;
  const rooms: ContentRoom[] = [];
  let stopEvents: () => void = () => undefined;

  before(async function () {
    requireStack(this, 'content sharing tests');
    ffmpeg = findFfmpeg() ?? skipFor(this, 'content sharing tests', 'ffmpeg not found (apt-get install ffmpeg, or set FFMPEG_BIN)');
    bridge = await startBridge({ env: { BFCP_HOST: '127.0.0.1', BFCP_PORT: '0' } });
    caller = await startCaller();
    for (const code of ['xa-udp', 'xa-tcp', 'xa-none']) await addDialInSite(bridge, code);
    meeting = await bookLiveMeeting(bridge, { title: 'Giao ban có trình chiếu', roomNumber: 2201, sites: ['xa-udp', 'xa-tcp', 'xa-none'] });
    events = [];
    stopEvents = bridge.calls.engine.events.subscribe(meeting.id, (e) => events.push(e));
    baseline = await bridge.channels();
  });

  after(async () => {
    stopEvents();
    for (const r of rooms) await r.close();
    await caller?.stop();
    await bridge?.stop();
  });

  const dial = async (code: string, bfcp: BfcpTransport | null) => {
    const room = await ContentRoom.dialIn(caller.srf, { target: bridge.target, room: 2201, username: code, password: `mat-khau-${code}`, bfcp });
    rooms.push(room);
    return room;
  };

  const isStatus = (st: number) => (m: BfcpMessage) =>
    m.primitive === 'FloorRequestStatus' && !m.responder && m.floorRequestInformation.overallRequestStatus?.requestStatus?.status === st;

  async function takeFloor(room: ContentRoom): Promise<{ client: BfcpClient; requestId: number }> {
    const client = await room.floorClient();
    const first = await client.request({ primitive: 'FloorRequest', floorIds: [room.floorId] });
    assert.equal(first.primitive, 'FloorRequestStatus');
    const granted = await client.next(isStatus(RequestStatus.Granted), 5000);
    assert.ok(granted.primitive === 'FloorRequestStatus');
    return { client, requestId: granted.floorRequestInformation.floorRequestId };
  }

  /** Packets on a receiver's line in the next `ms`. */
  async function flowing(rx: H264Receiver, ms = 3000): Promise<{ packets: number; nalTypes: Record<number, number> }> {
    await sleep(ms);
    const s = rx.stats(ms);
    return { packets: s.packets, nalTypes: s.nalTypes };
  }

  /** The main canvas's colour at a point of the presentation layout's large slot (x, y of 1280x720). */
  async function canvasColour(x: number, y: number): Promise<[number, number, number]> {
    const dir = mkdtempSync(join(tmpdir(), 'diemcau-canvas-'));
    try {
      const png = join(dir, 'canvas.png');
      const reply = await bridge.fs.fsCli(`conference ${conferenceName(meeting.id)} vid-write-png ${png}`);
      assert.match(reply, /\+OK/, reply);
      await waitFor('the canvas picture', async () => (spawnSync('test', ['-s', png]).status === 0 ? true : undefined), 5000, 100);
      const raw = spawnSync(ffmpeg, ['-v', 'error', '-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 16 << 20 }).stdout;
      const at = (y * 1280 + x) * 3;
      return [raw[at]!, raw[at + 1]!, raw[at + 2]!];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Waits until the presentation layout's large slot (a point well inside it) shows the presenter's colour. */
  const contentInCanvas = (colour: 'red' | 'blue') =>
    waitFor(
      `${colour} content in the main canvas`,
      async () => {
        const [r, , b] = await canvasColour(400, 300);
        const [main, other] = colour === 'red' ? [r, b] : [b, r];
        return main > 180 && other < 80 ? true : undefined;
      },
      20_000,
      1000,
    );

  it('answers BFCP over UDP and TCP as the floor control server, and refuses nothing a plain site offers', async () => {
    const udp = await dial('xa-udp', 'udp');
    const tcp = await dial('xa-tcp', 'tcp');
    const none = await dial('xa-none', null);
    for (const [room, proto, setup] of [
      [udp, 'UDP/BFCP', null],
      [tcp, 'TCP/BFCP', 'passive'],
    ] as const) {
      const b = room.bfcpAnswer();
      assert.ok(b, `${room.name}: no BFCP line in\n${room.answer}`);
      assert.equal(b.proto, proto);
      assert.equal(b.floorctrl, 's-only');
      assert.equal(b.setup, setup);
      assert.equal(b.floorId, 1);
      assert.match(room.answer, /^a=content:slides/m);
      // Every offered line answered, in the offer's order.
      assert.deepEqual(room.answer.match(/^m=\w+/gm), room.offer.match(/^m=\w+/gm));
    }
    assert.equal(udp.bfcpAnswer()!.conferenceId, tcp.bfcpAnswer()!.conferenceId, 'one BFCP conference per meeting');
    assert.notEqual(udp.bfcpAnswer()!.userId, tcp.bfcpAnswer()!.userId);
    assert.deepEqual(none.answer.match(/^m=\w+/gm), ['m=audio', 'm=video']);
    await waitFor('three participants', async () =>
      bridge.calls.engine.calls.inMeeting(meeting.id).filter((c) => c.state === 'joined').length === 3 ? true : undefined,
    );
  });

  it('a presenter over UDP reaches the other content line as H.264 and the plain site in its main picture', async () => {
    const [udp, tcp] = rooms;
    await takeFloor(udp!);
    await waitFor('content.started', async () => (events.some((e) => e.type === 'content.started') ? true : undefined));
    const started = events.find((e) => e.type === 'content.started');
    assert.ok(started?.type === 'content.started');
    assert.equal(started.presenter.name, 'xa-udp');
    assert.equal(bridge.calls.engine.content.presenter(meeting.id)?.name, 'xa-udp');

    await udp!.startContent(ffmpeg, RED);
    await waitFor('content at the TCP site', async () => (tcp!.content!.count() > 30 ? true : undefined), 15_000, 250);
    const got = await flowing(tcp!.content!);
    // A still picture is one packet a frame at 15 frames a second.
    assert.ok(got.packets >= 30, `content packets in 3 s: ${got.packets}`);
    // Forwarded as ffmpeg cut it: fragments (FU-A) and the SPS/PPS/IDR units of its keyframes.
    assert.ok((got.nalTypes[28] ?? 0) + (got.nalTypes[24] ?? 0) + (got.nalTypes[5] ?? 0) > 0, JSON.stringify(got.nalTypes));

    // The plain site has no content line: the main canvas shows the content large.
    await contentInCanvas('red');
  });

  it("a receiver's keyframe request (SIP INFO) reaches the presenter at once", async () => {
    // FreeSWITCH also asks the presenter for a keyframe every few seconds on its own: each request
    // must be followed by one within 250 ms, three times in a row, to count as passed on.
    const [udp, tcp] = rooms;
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await sleep(700);
      const before = udp!.keyframeRequests();
      const t0 = Date.now();
      await tcp!.requestKeyframeByInfo();
      await waitFor('a keyframe request at the presenter', async () => (udp!.keyframeRequests() > before ? true : undefined), 2000, 10);
      delays.push(Date.now() - t0);
    }
    assert.ok(
      delays.every((d) => d < 250),
      `keyframe request delays: ${delays.join(', ')} ms`,
    );
  });

  it('hands the floor over to a presenter over TCP: the first is told it was revoked', async () => {
    const [udp, tcp] = rooms;
    const first = await udp!.floorClient();
    await takeFloor(tcp!);
    await first.next(isStatus(RequestStatus.Revoked), 5000);
    await waitFor('the hand-over events', async () =>
      events.some((e) => e.type === 'content.stopped' && e.reason === 'taken-over' && e.presenter.name === 'xa-udp') &&
      events.filter((e) => e.type === 'content.started').at(-1)?.presenter.name === 'xa-tcp'
        ? true
        : undefined,
    );
    udp!.stopContent();
    await tcp!.startContent(ffmpeg, BLUE);
    const before = udp!.content!.count();
    await waitFor('content back at the UDP site', async () => (udp!.content!.count() - before > 30 ? true : undefined), 15_000, 250);
    await contentInCanvas('blue');
  });

  it('frees the floor when the presenter hangs up mid-share, and the main picture goes back', async () => {
    const tcp = rooms[1]!;
    await tcp.close();
    await waitFor('content.stopped (left)', async () =>
      events.some((e) => e.type === 'content.stopped' && e.reason === 'left' && e.presenter.name === 'xa-tcp') ? true : undefined,
    );
    assert.equal(bridge.calls.engine.content.presenter(meeting.id), null);
    // The link into the main conference is gone with the presentation.
    await waitFor('no content member in the main conference', async () =>
      /res-id:content/.test(await bridge.fs.fsCli(`conference ${conferenceName(meeting.id)} list`)) ? undefined : true,
    );
    const rows = (await bridge.ds.query(`SELECT name, end_reason FROM content_share WHERE meeting_id = $1 ORDER BY started_at`, [meeting.id])) as {
      name: string;
      end_reason: string;
    }[];
    assert.deepEqual(
      rows.map((r) => [r.name, r.end_reason]),
      [
        ['xa-udp', 'taken-over'],
        ['xa-tcp', 'left'],
      ],
    );
  });

  it('leaves nothing behind: no content conference, no channel, no BFCP user', async () => {
    const udp = rooms[0]!;
    const b = udp.bfcpAnswer()!;
    for (const r of rooms) await r.close();
    await waitFor('every call gone', async () => (bridge.calls.engine.calls.inMeeting(meeting.id).length ? undefined : true));
    await waitFor('FreeSWITCH back to its channels before the test', async () => ((await bridge.channels()) === baseline ? true : undefined), 15_000);
    assert.match(await bridge.fs.fsCli(`conference ${contentConferenceName(meeting.id)} list`), /not found/i);
    // The server no longer knows the user: a request with its ids gets Error 2 (User does not Exist).
    const stray = await BfcpClient.udp(b.host, b.port, { conferenceId: b.conferenceId, userId: b.userId });
    try {
      const answer = await stray.request({ primitive: 'Hello' });
      assert.equal(answer.primitive, 'Error');
    } finally {
      await stray.close();
    }
  });

  it('dialling a room system out offers it content and BFCP: it presents to a site that dialled in; the operator stops it', async () => {
    let dialled: ContentRoom | undefined;
    caller.srf.invite((req, res) => {
      void ContentRoom.answering('xa-goi', req.body, true)
        .then(async ({ answer, room }) => {
          dialled = room(await caller.srf.createUAS(req, res, { localSdp: answer }));
          rooms.push(dialled);
        })
        .catch(() => res.send(500));
    });
    await new SiteDirectory(bridge.ds, BRIDGE_DOMAIN).create(
      { code: 'xa-goi', name: 'xa-goi', protocol: 'sip', sipUri: `sip:xa-goi@${caller.target}`, allowedNetworks: [], enabled: true },
      cliActor,
    );
    await addDialInSite(bridge, 'xa-vao');
    const out = await bookLiveMeeting(bridge, { title: 'Gọi ra có trình chiếu', roomNumber: 2202, sites: ['xa-goi', 'xa-vao'], dialOut: true });
    const seen: MeetingEvent[] = [];
    const stop = bridge.calls.engine.events.subscribe(out.id, (e) => seen.push(e));
    try {
      await bridge.calls.lifecycle.live(out);
      await waitFor(
        'the dialled room in the meeting',
        async () => (dialled && bridge.calls.engine.calls.inMeeting(out.id).some((c) => c.state === 'joined') ? true : undefined),
        20_000,
      );
      const offer = dialled!.answer;
      assert.match(offer, /^m=application \d+ UDP\/BFCP \*/m, offer);
      assert.match(offer, /^a=floorctrl:s-only/m);
      assert.match(offer, /^a=content:slides/m);
      const receiver = await ContentRoom.dialIn(caller.srf, {
        target: bridge.target,
        room: 2202,
        username: 'xa-vao',
        password: 'mat-khau-xa-vao',
        bfcp: 'udp',
      });
      rooms.push(receiver);
      await takeFloor(dialled!);
      await dialled!.startContent(ffmpeg, RED);
      await waitFor("the dialled room's content at the dial-in site", async () => (receiver.content!.count() > 30 ? true : undefined), 15_000, 250);
      assert.ok(seen.some((e) => e.type === 'content.started' && e.presenter.name === 'xa-goi'));

      // The operator takes the floor away (POST /meetings/{id}/content/stop calls this).
      const floor = await dialled!.floorClient();
      const stopped = await bridge.calls.engine.content.stop(out.id);
      assert.equal(stopped?.name, 'xa-goi');
      await floor.next(isStatus(RequestStatus.Revoked), 5000);
      assert.ok(seen.some((e) => e.type === 'content.stopped' && e.reason === 'revoked'));
      assert.equal(bridge.calls.engine.content.presenter(out.id), null);
      assert.equal(await bridge.calls.engine.content.stop(out.id), null, 'stopping twice: nobody presents');
    } finally {
      stop();
      for (const r of rooms.splice(0)) await r.close();
    }
  });
});
