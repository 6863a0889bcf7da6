import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { defaultRetryPolicy, scalePolicy } from '../../src/calls/dial-out/retry-policy';
import { SiteDirectory } from '../../src/directory/sites';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { addDialInSite, BRIDGE_DOMAIN, bookLiveMeeting, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueJoinToken } from '../../src/access/join-tokens';
import { RequestStatus } from '../../src/bfcp/constants';
import { Baresip, findBaresip } from '../support/baresip';
import { ContentRoom } from '../support/content-room';
import { findLinphonec, Linphonec } from '../support/linphonec';
import { findFfmpeg } from '../support/h264-peer';
import { RtpPeer, sdpAudioTarget, toneRatio } from '../support/rtp-peer';
import { requireRtpengine, startRtpengine } from '../support/rtpengine';
import { skipFor } from '../support/skip';
import { chromeOffer } from '../support/webrtc-sdp';
import { firstChannel, parseWav, sineWav } from '../support/wav';
import { requireStack, startFreeswitch, waitFor, type FreeswitchServer } from '../support/stack';

/**
 * A FreeSWITCH node dies mid-meeting (docs/scale.md, "Failover"): SIGKILL, as a crash or a pulled
 * cable would. Its sites are called back onto the nodes left — dialled-out sites at their address, a
 * registered site that had dialled in at its registration — and the meeting is one conference again.
 * Real drachtio-server, real FreeSWITCH processes, room systems answering with RTP.
 */

const nodeId = (n: FreeswitchServer) => `${n.host}:${n.eslPort}`;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An answer to `offer` with our audio and every other stream refused (port 0), as a room system without a camera would. */
function audioAnswer(offer: string, peer: RtpPeer): string {
  const ours = peer.sdp().trimEnd();
  const others = offer
    .split(/\r?\n/)
    .filter((l) => l.startsWith('m=') && !l.startsWith('m=audio'))
    .map((l) => {
      const [kind, , proto, ...fmts] = l.slice(2).split(' ');
      return `m=${kind} 0 ${proto} ${fmts[0] ?? '0'}`;
    });
  return `${[ours, ...others].join('\r\n')}\r\n`;
}

/** Room systems on a drachtio-server of the test's own: each answers every call the bridge makes to it. */
class Rooms {
  readonly peers = new Map<string, RtpPeer>();
  readonly dialogs = new Map<string, Srf.Dialog>();
  /** INVITEs each room received. */
  readonly invites = new Map<string, number>();
  /** The Reason header of each BYE the bridge sent a room. */
  readonly byeReasons = new Map<string, (string | undefined)[]>();
  /** re-INVITEs each room received in a call it had. */
  readonly reinvites = new Map<string, number>();
  /** Rooms that answer a re-INVITE with 488, as a room system that cannot change its media would. */
  readonly refuseReinvites = new Set<string>();

  constructor(private readonly srf: Srf) {
    srf.invite((req, res) => {
      const user = /^sips?:([^@;]+)@/.exec(req.uri)?.[1] ?? '';
      const peer = this.peers.get(user);
      if (!peer) return void res.send(404);
      this.invites.set(user, (this.invites.get(user) ?? 0) + 1);
      peer.startSilence(sdpAudioTarget(req.body));
      srf
        .createUAS(req, res, { localSdp: audioAnswer(req.body, peer) })
        .then((d) => this.#hold(user, d))
        .catch(() => undefined);
    });
  }

  async add(user: string): Promise<RtpPeer> {
    const peer = await RtpPeer.open();
    this.peers.set(user, peer);
    return peer;
  }

  /** The room dials the bridge itself: a site with credentials, or a guest (`name`) without. */
  async dialIn(user: string, room: number, target: string, guest?: { name: string }): Promise<void> {
    const peer = this.peers.get(user)!;
    const dialog = await this.srf.createUAC(`sip:${room}@${target}`, {
      localSdp: peer.sdp(),
      ...(guest
        ? { headers: { From: `"${guest.name}" <sip:${user}@${BRIDGE_DOMAIN}>` } }
        : { auth: { username: user, password: `mat-khau-${user}` }, headers: { From: `<sip:${user}@${BRIDGE_DOMAIN}>` } }),
    });
    peer.startSilence(sdpAudioTarget(dialog.remote.sdp));
    this.#hold(user, dialog);
  }

  /** REGISTER with digest: the bridge then reaches the room at this drachtio-server. */
  register(user: string, target: string, contactHost: string): Promise<number> {
    return new Promise((resolve, reject) => {
      type Req = { on(e: 'response', f: (res: { status: number }) => void): void };
      (this.srf.request as unknown as (u: string, o: unknown, cb: (err: Error | null, req: Req) => void) => void)(
        `sip:${target}`,
        {
          method: 'REGISTER',
          headers: { From: `<sip:${user}@${BRIDGE_DOMAIN}>`, To: `<sip:${user}@${BRIDGE_DOMAIN}>`, Contact: `<sip:${user}@${contactHost}>`, Expires: '600' },
          auth: { username: user, password: `mat-khau-${user}` },
        },
        (err, req) => (err ? reject(err) : req.on('response', (res) => res.status >= 200 && resolve(res.status))),
      );
    });
  }

  #hold(user: string, dialog: Srf.Dialog): void {
    this.dialogs.set(user, dialog);
    // The bridge moves the call to another FreeSWITCH: the RTP goes where the new offer says.
    dialog.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
      this.reinvites.set(user, (this.reinvites.get(user) ?? 0) + 1);
      if (this.refuseReinvites.has(user)) return void res.send(488);
      const peer = this.peers.get(user)!;
      peer.startSilence(sdpAudioTarget(req.body));
      res.send(200, { body: audioAnswer(req.body, peer) });
    });
    dialog.on('destroy', (bye?: { get(h: string): string | undefined }) => {
      this.byeReasons.set(user, [...(this.byeReasons.get(user) ?? []), bye?.get('Reason')]);
      if (this.dialogs.get(user) === dialog) this.dialogs.delete(user);
    });
  }

  close(): void {
    for (const d of this.dialogs.values()) d.destroy();
    for (const p of this.peers.values()) p.close();
  }
}

describe('failover: a FreeSWITCH node dies mid-meeting', function () {
  this.timeout(150_000);
  const nodes: FreeswitchServer[] = [];
  let bridge: TestBridge | undefined;
  let caller: { srf: Srf; target: string; stop(): Promise<void> };
  let rooms: Rooms;

  before(async function () {
    requireStack(this, 'failover tests');
    caller = await startCaller();
    rooms = new Rooms(caller.srf);
  });

  afterEach(async () => {
    await bridge?.stop();
    bridge = undefined;
  });

  after(async () => {
    rooms?.close();
    await caller?.stop();
    await Promise.allSettled(nodes.map((n) => n.stop()));
  });

  async function startNodes(n: number): Promise<FreeswitchServer[]> {
    const started = await Promise.allSettled(Array.from({ length: n }, () => startFreeswitch()));
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    nodes.push(...ok);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return ok;
  }

  async function dialledSite(b: TestBridge, code: string): Promise<void> {
    await rooms.add(code);
    await new SiteDirectory(b.ds, BRIDGE_DOMAIN).create(
      { code, name: code, protocol: 'sip', sipUri: `sip:${code}@${caller.target}`, allowedNetworks: [], enabled: true },
      cliActor,
    );
  }

  const joinedOn = (b: TestBridge, meeting: Meeting) =>
    Object.fromEntries(
      b.calls.engine.calls
        .inMeeting(meeting.id)
        .filter((c) => c.state === 'joined')
        .map((c) => [c.info.displayName, c.mediaServer]),
    );

  /** Waits for `n` calls joined, all on one server when `on` is given; resolves with where each is. */
  const joinedAll = (b: TestBridge, meeting: Meeting, n: number, on?: FreeswitchServer, timeoutMs = 20_000) =>
    waitFor(
      on ? `${n} in, on the server left` : `${n} in`,
      async () => {
        const where = joinedOn(b, meeting);
        return Object.keys(where).length === n && (!on || Object.values(where).every((s) => s === nodeId(on))) ? where : undefined;
      },
      timeoutMs,
      100,
    );

  const channelsOn = async (n: FreeswitchServer) => Number((await n.fsCli('show channels count')).match(/(\d+) total/)?.[1] ?? NaN);

  const heard = (p: RtpPeer) => async () => {
    const ratio = p.toneEnergy(1000, 1000);
    return ratio > 0.3 ? ratio : undefined;
  };

  it('without a member limit: every SIP call moves to the server left in its own dialog (dialled out, a dial-in site, a guest), one that refuses is called back, and all hear each other', async () => {
    const [n1, n2] = await startNodes(2);
    bridge = await startBridge({ freeswitch: n1, moreFreeswitches: [n2!], retryPolicy: scalePolicy(defaultRetryPolicy, 1 / 60) });
    const b = bridge;
    await dialledSite(b, 'xa-a');
    await dialledSite(b, 'xa-b');
    await addDialInSite(b, 'xa-c');
    await rooms.add('xa-c');
    await rooms.add('khach');
    assert.equal(await rooms.register('xa-c', b.target, caller.target), 200);
    const meeting = await bookLiveMeeting(b, { title: 'Giao ban', roomNumber: 2301, sites: ['xa-a', 'xa-b', 'xa-c'], dialOut: true, allowGuests: true });
    // xa-c and a guest dial in first, then the meeting starts and the dialer calls the other two.
    await rooms.dialIn('xa-c', 2301, b.target);
    await rooms.dialIn('khach', 2301, b.target, { name: 'Khach huyen' });
    await b.calls.lifecycle.live(meeting);
    const first = await joinedAll(b, meeting, 4);
    const servers = new Set(Object.values(first));
    assert.equal(servers.size, 1, `one meeting, one server: ${JSON.stringify(first)}`);
    const dead = [n1!, n2!].find((n) => servers.has(nodeId(n)))!;
    const left = dead === n1 ? n2! : n1!;
    const callIds = () => new Set(b.calls.engine.calls.inMeeting(meeting.id).map((c) => c.info.callId));
    const leftEvents: { reason: string }[] = [];
    b.events.subscribe(meeting.id, (e) => void (e.type === 'participant.left' && leftEvents.push(e)));
    const moving = ['xa-a', 'xa-c', 'khach'].map((code) => rooms.dialogs.get(code)!.sip.callId);
    rooms.refuseReinvites.add('xa-b');

    const killedAt = Date.now();
    process.kill(dead.pid, 'SIGKILL');
    const after = await joinedAll(b, meeting, 4, left, 30_000);
    const recoveryMs = Date.now() - killedAt;
    assert.deepEqual(Object.keys(after).sort(), ['Khach huyen', 'xa-a', 'xa-b', 'xa-c']);
    console.log(`      recovery: 4 calls back on ${nodeId(left)} ${recoveryMs} ms after the kill`);
    // xa-b refuses the re-INVITE: its call ends as it did before calls could move, and it is called back.
    assert.equal(rooms.reinvites.get('xa-b'), 1);
    assert.equal(rooms.invites.get('xa-b'), 2, 'xa-b: called again');
    assert.deepEqual(rooms.byeReasons.get('xa-b'), ['Q.850;cause=41;text="media server lost"'], 'xa-b: told why its first call ended');
    for (const code of ['xa-a', 'xa-c', 'khach']) {
      assert.equal(rooms.invites.get(code), code === 'xa-a' ? 1 : undefined, `${code}: not called again`);
      assert.equal(rooms.reinvites.get(code), 1, `${code}: one re-INVITE moved it`);
      assert.equal(rooms.byeReasons.get(code), undefined, `${code}: never hung up`);
    }
    for (const id of moving) assert.ok(callIds().has(id), `the call ${id} goes on under its own Call-ID`);

    const rows = (await b.ds.query(
      `SELECT coalesce(s.code, p.display_name) AS code, p.end_reason, p.direction, p.media_server
         FROM participation p LEFT JOIN site s ON s.id = p.site_id WHERE p.meeting_id = $1 ORDER BY 1, p.joined_at`,
      [meeting.id],
    )) as { code: string; end_reason: string | null; direction: string; media_server: string }[];
    assert.deepEqual(
      rows.map((r) => [r.code, r.end_reason, r.direction, r.media_server]),
      [
        ['Khach huyen', 'media-server-lost', 'in', nodeId(dead)],
        ['Khach huyen', null, 'in', nodeId(left)],
        ['xa-a', 'media-server-lost', 'out', nodeId(dead)],
        ['xa-a', null, 'out', nodeId(left)],
        ['xa-b', 'media-server-lost', 'out', nodeId(dead)],
        ['xa-b', null, 'out', nodeId(left)],
        ['xa-c', 'media-server-lost', 'in', nodeId(dead)],
        ['xa-c', null, 'in', nodeId(left)],
      ],
      'attendance: a segment on each server, the first ended with its server',
    );
    assert.deepEqual(
      leftEvents.map((e) => e.reason),
      ['media-server-lost', 'media-server-lost', 'media-server-lost', 'media-server-lost'],
      'each first segment announced as left, once',
    );

    // One conference again: xa-a's tone reaches the site and the guest that moved.
    const target = sdpAudioTarget(rooms.dialogs.get('xa-a')!.remote.sdp);
    rooms.peers.get('xa-a')!.startTone(target, 1000);
    await waitFor('xa-c to hear xa-a after the failover', heard(rooms.peers.get('xa-c')!), 15_000, 250);
    await waitFor('the guest to hear xa-a after the failover', heard(rooms.peers.get('khach')!), 15_000, 250);
    rooms.peers.get('xa-a')!.startSilence(target);

    assert.equal(b.calls.engine.media.leased(), 4, 'one lease a call: nothing held for the calls lost');
    await b.calls.lifecycle.ended(meeting);
    assert.equal(b.calls.engine.media.leased(), 0);
    assert.deepEqual(b.calls.dialer.pending(meeting.id), []);
    await waitFor('no channel left on the server left', async () => ((await channelsOn(left)) === 0 ? true : undefined), 10_000);
  });

  it('real softphones (baresip, linphonec) keep their calls: re-INVITEd onto the server left, they are heard there and hear', async function () {
    const bins = { baresip: findBaresip(), linphonec: findLinphonec() };
    if (!bins.baresip || !bins.linphonec)
      return skipFor(this, 'failover with softphones', 'baresip or linphonec not found (apt-get install baresip linphone-cli)');
    const [n1, n2] = await startNodes(2);
    bridge = await startBridge({ freeswitch: n1, moreFreeswitches: [n2!], retryPolicy: scalePolicy(defaultRetryPolicy, 1 / 60) });
    const b = bridge;
    for (const code of ['ia-pal', 'ia-ko']) await addDialInSite(b, code);
    await dialledSite(b, 'xa-x');
    const meeting = await bookLiveMeeting(b, { title: 'Giao ban', roomNumber: 2304, sites: ['ia-pal', 'ia-ko', 'xa-x'], dialOut: true });
    const dir = mkdtempSync(join(tmpdir(), 'diemcau-failover-softphones-'));
    // Longer than the test: baresip hangs up when its file ends.
    const tone = { baresip: 440, linphonec: 660, site: 1000 };
    writeFileSync(join(dir, 'baresip.wav'), sineWav(tone.baresip, 60, 8000));
    writeFileSync(join(dir, 'linphonec.wav'), sineWav(tone.linphonec, 60, 8000));
    const account = (user: string) => ({ user, password: `mat-khau-${user}`, domain: BRIDGE_DOMAIN, proxy: b.target });
    const [baresip, linphonec] = await Promise.all([
      Baresip.start(bins.baresip, { ...account('ia-pal'), audioIn: join(dir, 'baresip.wav'), audioCodecs: ['PCMU'] }),
      Linphonec.start(bins.linphonec, { ...account('ia-ko'), audioIn: join(dir, 'linphonec.wav') }),
    ]);
    try {
      const room = `sip:2304@${BRIDGE_DOMAIN}`;
      await Promise.all([baresip.command('dial', room).then(() => baresip.event('CALL_ESTABLISHED', 20_000)), linphonec.call(room, 20_000)]);
      await b.calls.lifecycle.live(meeting);
      const first = await joinedAll(b, meeting, 3);
      const dead = [n1!, n2!].find((n) => nodeId(n) === first['ia-pal'])!;
      const left = dead === n1 ? n2! : n1!;
      process.kill(dead.pid, 'SIGKILL');
      await joinedAll(b, meeting, 3, left, 30_000);
      // Both softphones' tones reach the other site through the server left, and its tone reaches both.
      const site = rooms.peers.get('xa-x')!;
      for (const [who, hz] of [
        ['baresip', tone.baresip],
        ['linphonec', tone.linphonec],
      ] as const)
        await waitFor(`the other site to hear ${who} after the move`, async () => (site.toneEnergy(hz, 1000) > 0.15 ? true : undefined), 15_000, 250);
      const target = sdpAudioTarget(rooms.dialogs.get('xa-x')!.remote.sdp);
      site.startTone(target, tone.site);
      await sleep(3000);
      site.startSilence(target);
      await Promise.all([baresip.command('hangup').then(() => baresip.event('CALL_CLOSED')), linphonec.terminate()]);
      assert.equal(baresip.messages.filter((m) => m.event && m.type === 'CALL_CLOSED').length, 1, 'one call, ended by baresip itself');
      for (const [who, wav] of [
        ['baresip', parseWav(readFileSync(baresip.receivedWav()))],
        ['linphonec', parseWav(readFileSync(linphonec.recording), { trustFileLength: true })],
      ] as const) {
        const ratio = toneRatio(firstChannel(wav).slice(-2 * wav.sampleRate), tone.site, wav.sampleRate);
        assert.ok(ratio > 0.2, `${who} heard the other site after the move: ${tone.site} Hz ratio ${ratio.toFixed(3)} in its last 2 s`);
      }
      const segments = async () =>
        (await b.ds.query(
          `SELECT s.code, p.end_reason, p.direction, p.media_server FROM participation p JOIN site s ON s.id = p.site_id
            WHERE p.meeting_id = $1 AND s.code IN ('ia-pal', 'ia-ko') ORDER BY s.code, p.joined_at`,
          [meeting.id],
        )) as { code: string; end_reason: string | null; direction: string; media_server: string }[];
      const rows = await waitFor('the segments closed', async () => ((await segments()).every((r) => r.end_reason) ? segments() : undefined), 10_000, 100);
      assert.deepEqual(
        rows.map((r) => [r.code, r.end_reason, r.direction, r.media_server]),
        [
          ['ia-ko', 'media-server-lost', 'in', nodeId(dead)],
          ['ia-ko', 'caller-hangup', 'in', nodeId(left)],
          ['ia-pal', 'media-server-lost', 'in', nodeId(dead)],
          ['ia-pal', 'caller-hangup', 'in', nodeId(left)],
        ],
      );
      await b.calls.lifecycle.ended(meeting);
      assert.equal(b.calls.engine.media.leased(), 0);
    } finally {
      await baresip.stop();
      await linphonec.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a room system sharing content keeps its call: the re-INVITE offers content and BFCP again, and it presents on the server left', async function () {
    const ffmpeg = findFfmpeg() ?? skipFor(this, 'failover with content', 'ffmpeg not found (apt-get install ffmpeg, or set FFMPEG_BIN)');
    const [n1, n2] = await startNodes(2);
    bridge = await startBridge({ freeswitch: n1, moreFreeswitches: [n2!], env: { BFCP_HOST: '127.0.0.1', BFCP_PORT: '0' } });
    const b = bridge;
    for (const code of ['xa-trinh', 'xa-xem']) await addDialInSite(b, code);
    const meeting = await bookLiveMeeting(b, { title: 'Giao ban có trình chiếu', roomNumber: 2305, sites: ['xa-trinh', 'xa-xem'] });
    const dial = (code: string) => ContentRoom.dialIn(caller.srf, { target: b.target, room: 2305, username: code, password: `mat-khau-${code}`, bfcp: 'udp' });
    const [presenter, viewer] = [await dial('xa-trinh'), await dial('xa-xem')];
    try {
      for (const r of [presenter, viewer]) r.followMoves();
      const first = await joinedAll(b, meeting, 2);
      const dead = [n1!, n2!].find((n) => nodeId(n) === first['xa-trinh'])!;
      const left = dead === n1 ? n2! : n1!;
      process.kill(dead.pid, 'SIGKILL');
      await joinedAll(b, meeting, 2, left, 30_000);
      for (const r of [presenter, viewer]) {
        assert.equal(r.reinvites, 1, `${r.name}: moved by one re-INVITE`);
        assert.match(r.answer, /^m=video [1-9]\d* RTP\/AVP \d+[\s\S]*^a=content:slides/m, `${r.name}: the content line offered again`);
        assert.ok(r.bfcpAnswer(), `${r.name}: a BFCP line offered again`);
      }
      const client = await presenter.floorClient();
      await client.request({ primitive: 'FloorRequest', floorIds: [presenter.floorId] });
      await client.next(
        (m) => m.primitive === 'FloorRequestStatus' && m.floorRequestInformation.overallRequestStatus?.requestStatus?.status === RequestStatus.Granted,
        5000,
      );
      await presenter.startContent(ffmpeg, 'color=c=red:s=640x360:r=15');
      await waitFor("the presenter's content at the other site, after the move", async () => (viewer.content!.count() > 30 ? true : undefined), 15_000, 250);
      await b.calls.lifecycle.ended(meeting);
      assert.equal(b.calls.engine.media.leased(), 0);
      await waitFor('no channel left on the server left', async () => ((await channelsOn(left)) === 0 ? true : undefined), 10_000);
    } finally {
      await presenter.close();
      await viewer.close();
    }
  });

  it('a browser keeps its call and its rtpengine session: the re-INVITE comes through the same relay, with the same ICE and DTLS', async function () {
    requireRtpengine(this, 'failover of a browser call');
    const rtpengine = await startRtpengine();
    try {
      const [n1, n2] = await startNodes(2);
      const secret = 'join-token-secret-for-failover';
      bridge = await startBridge({
        freeswitch: n1,
        moreFreeswitches: [n2!],
        env: { RTPENGINE_SERVERS: `${rtpengine.host}:${rtpengine.port}`, JOIN_TOKEN_SECRET: secret },
      });
      const b = bridge;
      await addDialInSite(b, 'xa-y');
      await rooms.add('xa-y');
      const meeting = await bookLiveMeeting(b, { title: 'Giao ban', roomNumber: 2306, sites: ['xa-y'], allowGuests: true });
      await rooms.dialIn('xa-y', 2306, b.target);
      const token = issueJoinToken(secret, { meetingId: meeting.id, room: 2306, name: 'Chủ tịch xã', expiresAt: new Date(Date.now() + 60_000) });
      const browser = await caller.srf.createUAC(`sip:2306@${b.target}`, {
        localSdp: chromeOffer(),
        headers: { From: '"Browser" <sip:guest@browser.invalid>', 'X-Join-Token': token },
      });
      const firstAnswer = browser.remote.sdp;
      const offers: string[] = [];
      let hungUp = false;
      browser.on('modify', (req: Srf.SrfRequest, res: Srf.SrfResponse) => {
        offers.push(req.body);
        res.send(200, { body: chromeOffer(3 + offers.length, 'active') });
      });
      browser.on('destroy', () => {
        hungUp = true;
      });
      try {
        const first = await joinedAll(b, meeting, 2);
        const dead = [n1!, n2!].find((n) => nodeId(n) === first['Chủ tịch xã'])!;
        const left = dead === n1 ? n2! : n1!;
        process.kill(dead.pid, 'SIGKILL');
        await joinedAll(b, meeting, 2, left, 30_000);
        assert.equal(offers.length, 1, 'one re-INVITE moved the browser');
        const ice = (sdp: string) => [/a=ice-ufrag:(\S+)/.exec(sdp)?.[1], /a=fingerprint:(.+)/.exec(sdp)?.[1]?.trim()];
        assert.match(offers[0]!, /m=audio [1-9]\d* UDP\/TLS\/RTP\/SAVPF/);
        assert.deepEqual(ice(offers[0]!), ice(firstAnswer), 'rtpengine kept its ICE credentials and certificate');
        assert.equal((await rtpengine.list()).length, 1, 'the same rtpengine session');
        assert.equal(hungUp, false, 'never hung up');
        const row = (await b.ds.query(
          `SELECT end_reason, protocol, media_server FROM participation WHERE meeting_id = $1 AND site_id IS NULL ORDER BY joined_at`,
          [meeting.id],
        )) as { end_reason: string | null; protocol: string; media_server: string }[];
        assert.deepEqual(
          row.map((r) => [r.end_reason, r.protocol, r.media_server]),
          [
            ['media-server-lost', 'webrtc', nodeId(dead)],
            [null, 'webrtc', nodeId(left)],
          ],
        );
        await b.calls.lifecycle.ended(meeting);
        await waitFor('rtpengine session deleted', async () => ((await rtpengine.list()).length === 0 ? true : undefined), 10_000);
        assert.equal(b.calls.engine.media.leased(), 0);
      } finally {
        if (!hungUp) await Promise.resolve(browser.destroy()).catch(() => undefined);
      }
    } finally {
      await bridge?.stop();
      bridge = undefined;
      await rtpengine.stop();
    }
  });

  it('notices a node that stops answering without closing anything (frozen, as behind a broken network) and moves its sites', async () => {
    const [n1, n2] = await startNodes(2);
    bridge = await startBridge({
      freeswitch: n1,
      moreFreeswitches: [n2!],
      env: { FREESWITCH_HEALTH_SECONDS: '1' },
      retryPolicy: scalePolicy(defaultRetryPolicy, 1 / 60),
    });
    const b = bridge;
    await dialledSite(b, 'xa-d');
    await dialledSite(b, 'xa-e');
    const meeting = await bookLiveMeeting(b, { title: 'Giao ban', roomNumber: 2303, sites: ['xa-d', 'xa-e'], dialOut: true });
    await b.calls.lifecycle.live(meeting);
    const first = await waitFor('both sites in', async () => (Object.keys(joinedOn(b, meeting)).length === 2 ? joinedOn(b, meeting) : undefined), 20_000);
    const frozen = [n1!, n2!].find((n) => nodeId(n) === first['xa-d'])!;
    const left = frozen === n1 ? n2! : n1!;
    const stoppedAt = Date.now();
    process.kill(frozen.pid, 'SIGSTOP');
    try {
      await waitFor(
        'both sites back on the node that answers',
        async () => {
          const on = joinedOn(b, meeting);
          return Object.keys(on).length === 2 && Object.values(on).every((s) => s === nodeId(left)) ? on : undefined;
        },
        45_000,
        250,
      );
      // Three `status` requests 1 s apart (FREESWITCH_HEALTH_SECONDS) go unanswered before the node counts as down.
      const ms = Date.now() - stoppedAt;
      console.log(`      frozen node noticed and both sites back ${ms} ms after SIGSTOP`);
      assert.ok(ms >= 2_000, 'not before the health check gave up');
      assert.equal(b.calls.engine.media.states()[`freeswitch ${nodeId(frozen)}`], 'down');
      await b.calls.lifecycle.ended(meeting);
      assert.equal(b.calls.engine.media.leased(), 0);
    } finally {
      process.kill(frozen.pid, 'SIGKILL');
    }
  });

  it('cascaded: the primary dies; the secondary with most sites becomes the primary, the others link to it, and a tone crosses the new link', async () => {
    const [n1, n2, n3] = await startNodes(3);
    bridge = await startBridge({
      freeswitch: n1,
      moreFreeswitches: [n2!, n3!],
      env: { FREESWITCH_MAX_MEMBERS: '3' },
      retryPolicy: scalePolicy(defaultRetryPolicy, 1 / 60),
    });
    const b = bridge;
    const codes = ['tb-1', 'tb-2', 'tb-3', 'tb-4', 'tb-5'];
    for (const code of codes) await dialledSite(b, code);
    const meeting = await bookLiveMeeting(b, { title: 'Hội nghị tỉnh', roomNumber: 2302, sites: codes, dialOut: true, record: true });
    await b.calls.lifecycle.live(meeting);
    const first = await waitFor('five sites in', async () => (Object.keys(joinedOn(b, meeting)).length === 5 ? joinedOn(b, meeting) : undefined), 30_000);
    const cascade = b.calls.engine.cascade!;
    await cascade.linked(meeting.id);
    const primary = cascade.nodesOf(meeting.id)!.primary!;
    const dead = [n1!, n2!, n3!].find((n) => nodeId(n) === primary)!;
    const count = (on: Record<string, string | null>, node: string) => Object.values(on).filter((s) => s === node).length;
    assert.equal(count(first, primary), 3, `the primary full: ${JSON.stringify(first)}`);
    const secondary = cascade.nodesOf(meeting.id)!.linked[0]!.node;
    const third = [n1!, n2!, n3!].map(nodeId).find((id) => id !== primary && id !== secondary)!;

    process.kill(dead.pid, 'SIGKILL');
    const after = await waitFor(
      'all five back: the old secondary full, the rest on the third node',
      async () => {
        const on = joinedOn(b, meeting);
        return Object.keys(on).length === 5 && count(on, secondary) === 3 && count(on, third) === 2 ? on : undefined;
      },
      40_000,
      100,
    );
    assert.equal(count(after, primary), 0);
    await cascade.linked(meeting.id);
    const nodesNow = cascade.nodesOf(meeting.id)!;
    assert.equal(nodesNow.primary, secondary, 'the secondary carrying most sites took over');
    assert.deepEqual(
      nodesNow.linked.map((l) => [l.node, l.channels !== null]),
      [[third, true]],
      'the third node linked to the new primary',
    );

    // A site on the third node is heard on the new primary.
    const speaker = Object.entries(after).find(([, s]) => s === third)![0];
    const listener = Object.entries(after).find(([, s]) => s === secondary)![0];
    const target = sdpAudioTarget(rooms.dialogs.get(speaker)!.remote.sdp);
    rooms.peers.get(speaker)!.startTone(target, 1000);
    await waitFor(`${listener} (new primary) to hear ${speaker} across the new link`, heard(rooms.peers.get(listener)!), 15_000, 250);
    rooms.peers.get(speaker)!.startSilence(target);

    // The recording was the lost primary's conference: it ended with it and went on in a new file on the new primary.
    const files = async () =>
      (await b.ds.query(`SELECT ended_at IS NOT NULL AS ended, size_bytes FROM recording WHERE meeting_id = $1 ORDER BY started_at`, [meeting.id])) as {
        ended: boolean;
        size_bytes: string | null;
      }[];
    await waitFor('a second recording on the new primary', async () => ((await files()).length === 2 ? true : undefined), 10_000);
    assert.deepEqual(
      (await files()).map((f) => f.ended),
      [true, false],
    );
    assert.equal(b.calls.recorder.state(meeting.id).current?.id !== undefined, true);

    await b.calls.lifecycle.ended(meeting);
    assert.ok(
      (await files()).every((f) => f.ended && Number(f.size_bytes) > 0),
      'both files closed, neither empty',
    );
    assert.equal(cascade.nodesOf(meeting.id), null);
    assert.equal(b.calls.engine.media.leased(), 0, 'every lease released, the lost node\u2019s too');
    for (const n of [n1!, n2!, n3!].filter((x) => x !== dead))
      await waitFor(`no channel left on ${nodeId(n)}`, async () => ((await channelsOn(n)) === 0 ? true : undefined), 10_000);
  });
});
