import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliActor } from '../../src/audit/audit';
import { collectPin } from '../../src/calls/steps/collect-pin';
import { generatePrompts, missingPromptTools } from '../../src/media/prompts/generate';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { skipFor } from '../support/skip';
import { requireStack, waitFor } from '../support/stack';

type Dialog = Srf.Dialog;

const hour = 3600_000;

/** Room systems dialling in through the real drachtio-server into the real FreeSWITCH conference. */
describe('SIP dial-in: callers in a FreeSWITCH conference', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let caller: { srf: Srf; stop(): Promise<void> };
  let meetingId: string;
  let soundsRoot: string;
  let promptsReady = false;
  const peers: RtpPeer[] = [];

  before(async function () {
    requireStack(this, 'SIP dial-in and media tests');
    soundsRoot = mkdtempSync(join(tmpdir(), 'diemcau-sounds-'));
    promptsReady = (await missingPromptTools()).length === 0;
    if (promptsReady) await generatePrompts(soundsRoot);
    bridge = await startBridge({
      collectPin: (ep, meeting, signal) => collectPin(ep, { soundsRoot, language: meeting.language, expected: meeting.pin ?? '', signal }),
    });
    caller = await startCaller();
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    await sites.create({ code: 'chu-se', name: 'Thị trấn Chư Sê', protocol: 'sip', allowedNetworks: [], enabled: true }, cliActor);
    const start = new Date(Date.now() - hour);
    const m = await book.create(
      {
        title: 'Giao ban',
        roomNumber: 2001,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3 * hour).toISOString(),
        invitedSites: [],
        dialOut: false,
        allowGuests: true,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    meetingId = m.meeting.id;
    const booking = (room: number, from: number, to: number, extra: Record<string, unknown> = {}) =>
      book.create(
        {
          title: `Phòng ${room}`,
          roomNumber: room,
          startsAt: new Date(Date.now() + from * hour).toISOString(),
          endsAt: new Date(Date.now() + to * hour).toISOString(),
          invitedSites: [],
          dialOut: false,
          allowGuests: true,
          mode: 'discussion',
          language: 'vi',
          record: false,
          ...extra,
        },
        cliActor,
      );
    await booking(2002, 3, 4); // opens later
    const cancelled = await booking(2003, -1, 1);
    await book.cancel(cancelled.meeting.id, cliActor);
    await booking(2004, -1, 1, { pin: '4321' });
    await sites.create(
      { code: 'ia-pal', name: 'Xã Ia Pal', protocol: 'sip', sipUsername: 'ia-pal', sipPassword: 'mat-khau-ia-pal', allowedNetworks: [], enabled: true },
      cliActor,
    );
    await booking(2005, -1, 1, { allowGuests: false, invitedSites: ['ia-pal'], chairSite: 'ia-pal', mode: 'lecture' });
  });

  after(async () => {
    for (const p of peers) p.close();
    await caller?.stop();
    await bridge?.stop();
    if (soundsRoot) rmSync(soundsRoot, { recursive: true, force: true });
  });

  async function dial(user: string, peer: RtpPeer, name: string): Promise<Dialog> {
    return caller.srf.createUAC(`sip:${user}@${bridge.target}`, {
      localSdp: peer.sdp(),
      headers: { From: `"${name}" <sip:guest@caller.test>`, 'User-Agent': 'diemcau-test' },
    });
  }

  const openRows = async () =>
    (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [meetingId]))[0].n as number;

  it('mixes one caller\u2019s tone into the other\u2019s audio, then leaves nothing behind', async () => {
    const a = await RtpPeer.open();
    const b = await RtpPeer.open();
    peers.push(a, b);
    const dialogA = await dial('2001', a, 'Xã Ia Pal');
    const dialogB = await dial('2001', b, 'Xã Ia Ko');
    await waitFor('both callers in the conference', async () => ((await openRows()) === 2 ? true : undefined), 15_000);
    // Audio-only: FreeSWITCH must not send these legs a keyframe request (a SIP INFO) at every join.
    for (const call of bridge.calls.engine.calls.inMeeting(meetingId)) {
      const asks = await bridge.fs.fsCli(`uuid_getvar ${call.endpoint!.uuid} sofia_send_info_vid_refresh`);
      assert.doesNotMatch(asks, /true/, `${call.info.displayName}: sofia_send_info_vid_refresh=${asks.trim()}`);
    }

    a.startTone(sdpAudioTarget(dialogA.remote.sdp), 1000);
    b.startSilence(sdpAudioTarget(dialogB.remote.sdp));
    const heard = await waitFor(
      'B to hear A\u2019s 1 kHz tone through the mix',
      async () => {
        const ratio = b.toneEnergy(1000, 1000);
        return ratio > 0.3 ? ratio : undefined;
      },
      15_000,
      250,
    );
    assert.ok(heard > 0.3);
    assert.ok(a.toneEnergy(1000, 1000) < 0.2, 'a caller does not hear itself');

    const rows = await bridge.ds.query(
      `SELECT display_name, audio_codec, protocol, direction, media_server FROM participation WHERE meeting_id = $1 ORDER BY joined_at`,
      [meetingId],
    );
    assert.deepEqual(
      rows.map((r: { display_name: string }) => r.display_name),
      ['Xã Ia Pal', 'Xã Ia Ko'],
    );
    assert.equal(rows[0].audio_codec, 'PCMU');

    a.stop();
    b.stop();
    await dialogA.destroy();
    await dialogB.destroy();
    await waitFor('participations closed', async () => ((await openRows()) === 0 ? true : undefined), 10_000);
    const ends = await bridge.ds.query(`SELECT end_reason FROM participation WHERE meeting_id = $1`, [meetingId]);
    assert.deepEqual(
      ends.map((r: { end_reason: string }) => r.end_reason),
      ['caller-hangup', 'caller-hangup'],
    );
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.equal(bridge.calls.engine.calls.all().length, 0, 'no call left in the registry');
  });

  it('hangs up the caller when FreeSWITCH ends the call (BYE from the bridge side)', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    const dialog = await dial('2001', a, 'Xã Dun');
    const byeFromBridge = new Promise<void>((resolve) => dialog.on('destroy', () => resolve()));
    await waitFor('caller in the conference', async () => ((await openRows()) === 1 ? true : undefined), 15_000);
    const uuid = bridge.calls.engine.calls.inMeeting(meetingId)[0]!.endpoint!.uuid;
    await bridge.fs.fsCli(`uuid_kill ${uuid}`);
    await byeFromBridge;
    await waitFor('participation closed', async () => ((await openRows()) === 0 ? true : undefined), 10_000);
    const [row] = await bridge.ds.query(`SELECT end_reason FROM participation WHERE meeting_id = $1 AND display_name = 'Xã Dun'`, [meetingId]);
    assert.equal(row.end_reason, 'bridge-hangup');
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
  });

  it('refuses with the right final response and says why', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    const cases: [string, number, RegExp][] = [
      ['9999', 404, /no meeting is booked/],
      ['conference', 404, /dial a room number/],
      ['2002', 480, /opens at/],
      ['2003', 480, /was cancelled/],
      ['2004*1111', 403, /PIN/],
      ['2005', 407, /./],
    ];
    for (const [user, status, why] of cases) {
      await assert.rejects(dial(user, a, 'x'), (err: { status: number; res?: { get(h: string): string | undefined } }) => {
        assert.equal(err.status, status, user);
        if (status !== 407) assert.match(err.res?.get('Warning') ?? '', why, user);
        return true;
      });
    }
    assert.equal(bridge.calls.engine.calls.all().length, 0);
    assert.equal(await bridge.channels(), 0);
  });

  it('admits an invited site that proves itself with digest credentials, as moderator of a lecture', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    const dialog = await caller.srf.createUAC(`sip:2005@${bridge.target}`, {
      localSdp: a.sdp(),
      headers: { From: '<sip:ia-pal@bridge.test>' },
      auth: { username: 'ia-pal', password: 'mat-khau-ia-pal' },
    });
    const [row] = await waitFor('the participation', async () => {
      const rows = await bridge.ds.query(`SELECT p.moderator, s.code FROM participation p JOIN site s ON s.id = p.site_id WHERE p.left_at IS NULL`);
      return rows.length ? rows : undefined;
    });
    assert.deepEqual(row, { moderator: true, code: 'ia-pal' });
    await dialog.destroy();
    await assert.rejects(
      caller.srf.createUAC(`sip:2005@${bridge.target}`, { localSdp: a.sdp(), auth: { username: 'ia-pal', password: 'wrong-password' } }),
      (err: { status: number }) => err.status === 403,
    );
  });

  it('asks a guest who dialled no PIN for it on the keypad, then lets them in', async function () {
    if (!promptsReady) skipFor(this, 'PIN prompt by keypad', 'espeak-ng or sox not installed (apt-get install espeak-ng sox)');
    const a = await RtpPeer.open();
    peers.push(a);
    const dialog = await dial('2004', a, 'Trưởng thôn');
    const target = sdpAudioTarget(dialog.remote.sdp);
    a.startSilence(target);
    await waitFor('the prompt to be heard', async () => (a.received().packets > 25 ? true : undefined), 10_000);
    assert.equal(bridge.calls.engine.calls.all()[0]?.state, 'answered', 'answered but not yet in the meeting');
    await a.sendDtmf(target, '4321#');
    const [row] = await waitFor(
      'the guest in the meeting',
      async () => {
        const rows = await bridge.ds.query(
          `SELECT display_name, site_id FROM participation p JOIN meeting m ON m.id = p.meeting_id WHERE m.room_number = 2004 AND p.left_at IS NULL`,
        );
        return rows.length ? rows : undefined;
      },
      15_000,
    );
    assert.deepEqual(row, { display_name: 'Trưởng thôn', site_id: null });
    a.stop();
    await dialog.destroy();
    await waitFor('all gone', async () => (bridge.calls.engine.calls.all().length === 0 && (await bridge.channels()) === 0 ? true : undefined), 30_000);
  });

  it('runs a session timer when the room system offers one', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    const dialog = await caller.srf.createUAC(`sip:2001@${bridge.target}`, {
      localSdp: a.sdp(),
      headers: { From: '"Xã Ia Glai" <sip:guest@caller.test>', Supported: 'timer', 'Session-Expires': '1800' },
    });
    const res = (dialog as unknown as { res?: { get(h: string): string | undefined } }).res;
    const expires = res?.get('Session-Expires') ?? '';
    assert.match(expires, /^1800;\s*refresher=uac$/, `200 OK Session-Expires: ${expires}`);
    await dialog.destroy();
    await waitFor('all gone', async () => (bridge.calls.engine.calls.all().length === 0 && (await bridge.channels()) === 0 ? true : undefined), 30_000);
  });

  it("asks a caller who gives a directory site's username to prove it, even where guests may enter", async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    await assert.rejects(
      caller.srf.createUAC(`sip:2001@${bridge.target}`, { localSdp: a.sdp(), headers: { From: '<sip:ia-pal@bridge.test>' } }),
      (err: { status: number }) => err.status === 407,
    );
    const dialog = await caller.srf.createUAC(`sip:2001@${bridge.target}`, {
      localSdp: a.sdp(),
      headers: { From: '<sip:ia-pal@bridge.test>' },
      auth: { username: 'ia-pal', password: 'mat-khau-ia-pal' },
    });
    const [row] = await waitFor('the site in the meeting', async () => {
      const rows = await bridge.ds.query(
        `SELECT p.display_name FROM participation p JOIN site s ON s.id = p.site_id WHERE p.left_at IS NULL AND p.meeting_id = $1`,
        [meetingId],
      );
      return rows.length ? rows : undefined;
    });
    assert.equal(row.display_name, 'Xã Ia Pal', 'recorded as the site, not as a guest');
    await dialog.destroy();
    await waitFor('all gone', async () => (bridge.calls.engine.calls.all().length === 0 && (await bridge.channels()) === 0 ? true : undefined), 30_000);
  });

  it('answers 488 to an offer with no codec the bridge speaks', async () => {
    const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 18', 'a=rtpmap:18 G729/8000', ''].join('\r\n');
    await assert.rejects(caller.srf.createUAC(`sip:2001@${bridge.target}`, { localSdp: sdp }), (err: { status: number }) => err.status === 488);
  });

  it('answers 486 when the room is locked', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    bridge.calls.engine.calls.setLocked(meetingId, true);
    try {
      await assert.rejects(dial('2001', a, 'x'), (err: { status: number }) => err.status === 486);
    } finally {
      bridge.calls.engine.calls.setLocked(meetingId, false);
    }
  });

  it('puts a caller on hold and back with re-INVITEs through the same FreeSWITCH endpoint', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    const dialog = await dial('2001', a, 'Xã Ayun');
    await waitFor('caller in', async () => ((await openRows()) === 1 ? true : undefined));
    const held = await dialog.modify(a.sdp({ direction: 'sendonly' }));
    assert.match(String(held), /a=(recvonly|inactive)/);
    const resumed = await dialog.modify(a.sdp({ direction: 'sendrecv' }));
    assert.match(String(resumed), /a=sendrecv|^(?![\s\S]*a=(recvonly|inactive|sendonly))/);
    assert.equal(await openRows(), 1, 'still in the meeting');
    await dialog.destroy();
    await waitFor('all gone', async () => ((await openRows()) === 0 && (await bridge.channels()) === 0 ? true : undefined), 10_000);
  });

  it('cleans up a call cancelled while its media is being set up', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    // Freeze FreeSWITCH so the CANCEL arrives while the bridge waits for its endpoint: the endpoint
    // then turns up after the call is gone and must be destroyed, not leaked.
    process.kill(bridge.fs.pid, 'SIGSTOP');
    let sent: { cancel(): void } | undefined;
    try {
      // drachtio-srf calls cbRequest(err, req); its typings say (req).
      const cbRequest = ((_err: unknown, req: { cancel(): void }) => {
        sent = req;
      }) as unknown as (req: Srf.SrfRequest) => void;
      const attempt = caller.srf.createUAC(`sip:2001@${bridge.target}`, { localSdp: a.sdp() }, { cbRequest });
      await waitFor('the bridge to take the call', async () => (bridge.calls.engine.calls.all().length === 1 ? true : undefined));
      sent!.cancel();
      await assert.rejects(attempt, (err: { status: number }) => err.status === 487);
      await waitFor('the call to close', async () => (bridge.calls.engine.calls.all().length === 0 ? true : undefined));
    } finally {
      process.kill(bridge.fs.pid, 'SIGCONT');
    }
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 15_000);
    assert.equal(await openRows(), 0);
  });
});
