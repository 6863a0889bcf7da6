import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { requireStack, waitFor } from '../support/stack';

type Dialog = Srf.Dialog;

const hour = 3600_000;

/** Room systems dialling in through the real drachtio-server into the real FreeSWITCH conference. */
describe('SIP dial-in: callers in a FreeSWITCH conference', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let caller: { srf: Srf; stop(): Promise<void> };
  let meetingId: string;
  const peers: RtpPeer[] = [];

  before(async function () {
    requireStack(this, 'SIP dial-in and media tests');
    bridge = await startBridge();
    caller = await startCaller();
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    await sites.create({ code: 'chu-se', name: 'Thị trấn Chư Sê', protocol: 'sip', allowedNetworks: [], enabled: true }, cliActor);
    const start = new Date(Date.now() - hour);
    const m = await book.create(
      { title: 'Giao ban', roomNumber: 2001, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3 * hour).toISOString(), invitedSites: [], dialOut: false, allowGuests: true, mode: 'discussion', language: 'vi' },
      cliActor,
    );
    meetingId = m.meeting.id;
  });

  after(async () => {
    for (const p of peers) p.close();
    await caller?.stop();
    await bridge?.stop();
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

    a.startTone(sdpAudioTarget(dialogA.remote.sdp), 1000);
    b.startSilence(sdpAudioTarget(dialogB.remote.sdp));
    const heard = await waitFor('B to hear A\u2019s 1 kHz tone through the mix', async () => {
      const ratio = b.toneEnergy(1000, 1000);
      return ratio > 0.3 ? ratio : undefined;
    }, 15_000, 250);
    assert.ok(heard > 0.3);
    assert.ok(a.toneEnergy(1000, 1000) < 0.2, 'a caller does not hear itself');

    const rows = await bridge.ds.query(`SELECT display_name, audio_codec, protocol, direction, media_server FROM participation WHERE meeting_id = $1 ORDER BY joined_at`, [meetingId]);
    assert.deepEqual(rows.map((r: { display_name: string }) => r.display_name), ['Xã Ia Pal', 'Xã Ia Ko']);
    assert.equal(rows[0].audio_codec, 'PCMU');

    a.stop();
    b.stop();
    await dialogA.destroy();
    await dialogB.destroy();
    await waitFor('participations closed', async () => ((await openRows()) === 0 ? true : undefined), 10_000);
    const ends = await bridge.ds.query(`SELECT end_reason FROM participation WHERE meeting_id = $1`, [meetingId]);
    assert.deepEqual(ends.map((r: { end_reason: string }) => r.end_reason), ['caller-hangup', 'caller-hangup']);
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.equal(bridge.sip.calls.all().length, 0, 'no call left in the registry');
  });

  it('hangs up the caller when FreeSWITCH ends the call (BYE from the bridge side)', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    const dialog = await dial('2001', a, 'Xã Dun');
    const byeFromBridge = new Promise<void>((resolve) => dialog.on('destroy', () => resolve()));
    await waitFor('caller in the conference', async () => ((await openRows()) === 1 ? true : undefined), 15_000);
    const uuid = bridge.sip.calls.inMeeting(meetingId)[0]!.endpoint!.uuid;
    await bridge.fs.fsCli(`uuid_kill ${uuid}`);
    await byeFromBridge;
    await waitFor('participation closed', async () => ((await openRows()) === 0 ? true : undefined), 10_000);
    const [row] = await bridge.ds.query(`SELECT end_reason FROM participation WHERE meeting_id = $1 AND display_name = 'Xã Dun'`, [meetingId]);
    assert.equal(row.end_reason, 'bridge-hangup');
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
  });

  it('refuses unknown and closed rooms with the right final response and a reason', async () => {
    const a = await RtpPeer.open();
    peers.push(a);
    for (const [user, status] of [['9999', 404], ['conference', 404]] as const) {
      await assert.rejects(dial(user, a, 'x'), (err: { status: number }) => {
        assert.equal(err.status, status);
        return true;
      });
    }
    assert.equal(bridge.sip.calls.all().length, 0);
  });
});
