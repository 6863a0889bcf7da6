import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { requireStack, waitFor } from '../support/stack';

/**
 * A restart of the app keeps the meeting going: the calls stay in the FreeSWITCH conference, and the
 * new process takes them over from it (roster, kick) instead of dropping them.
 */
describe('restart with a live meeting', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let caller: { srf: Srf; stop(): Promise<void> };
  let meetingId: string;
  const peers: RtpPeer[] = [];

  before(async function () {
    requireStack(this, 'restart with a live meeting');
    bridge = await startBridge();
    caller = await startCaller();
    const start = new Date(Date.now() - 60_000);
    meetingId = (
      await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
        {
          title: 'Họp liên tục',
          roomNumber: 2040,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: [],
          dialOut: false,
          allowGuests: true,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting.id;
  });

  after(async () => {
    for (const p of peers) p.close();
    await caller?.stop();
    await bridge?.stop();
  });

  it('keeps both callers hearing each other across the restart, then lets the new process kick one', async () => {
    const a = await RtpPeer.open();
    const b = await RtpPeer.open();
    peers.push(a, b);
    const dial = (peer: RtpPeer, name: string) =>
      caller.srf.createUAC(`sip:2040@${bridge.target}`, { localSdp: peer.sdp(), headers: { From: `"${name}" <sip:guest@caller.test>` } });
    const dialogA = await dial(a, 'Xã Ayun');
    const dialogB = await dial(b, 'Xã Dun');
    await waitFor('both in', async () => (bridge.calls.engine.live.participants(meetingId).length === 2 ? true : undefined), 15_000);
    a.startTone(sdpAudioTarget(dialogA.remote.sdp), 1000);
    b.startSilence(sdpAudioTarget(dialogB.remote.sdp));
    const before = bridge.calls.engine.live
      .participants(meetingId)
      .map((p) => p.id)
      .sort();

    await bridge.restart();

    const roster = await waitFor(
      'the new process to take the calls over',
      async () => {
        const r = bridge.calls.engine.live.participants(meetingId);
        return r.length === 2 ? r : undefined;
      },
      20_000,
    );
    assert.deepEqual(roster.map((p) => p.id).sort(), before, 'the same participations, still open');
    const open = await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [meetingId]);
    assert.equal(open[0].n, 2);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(b.toneEnergy(1000, 800) > 0.3, 'B still hears A through the conference after the restart');

    // The kicked site is told: the new process sends the BYE on the dialog the old one answered.
    let aEnded = false;
    dialogA.on('destroy', () => {
      aEnded = true;
    });
    const ayun = roster.find((p) => p.name === 'Xã Ayun')!;
    await bridge.calls.engine.live.kick(meetingId, ayun.id);
    await waitFor('the kicked call gone from FreeSWITCH', async () => (bridge.calls.engine.live.participants(meetingId).length === 1 ? true : undefined));
    const [row] = await bridge.ds.query(`SELECT end_reason FROM participation WHERE id = $1`, [ayun.id]);
    assert.equal(row.end_reason, 'kicked');
    await waitFor('the kicked site to get its BYE', async () => (aEnded ? true : undefined), 5000);
    a.stop();

    // The other site hangs up: its BYE reaches the new process, which ends the call at once.
    const dun = roster.find((p) => p.name === 'Xã Dun')!;
    b.stop();
    await dialogB.destroy();
    await waitFor(
      'the call that hung up gone from the roster',
      async () => (bridge.calls.engine.live.participants(meetingId).length === 0 ? true : undefined),
      20_000,
    );
    const [left] = await bridge.ds.query(`SELECT end_reason FROM participation WHERE id = $1`, [dun.id]);
    assert.equal(left.end_reason, 'caller-hangup');
  });
});
