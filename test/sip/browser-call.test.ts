import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { issueJoinToken } from '../../src/access/join-tokens';
import { cliActor } from '../../src/audit/audit';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { startBridge, startCaller, type TestBridge } from '../support/bridge';
import { requireRtpengine, startRtpengine, type TestRtpengine } from '../support/rtpengine';
import { requireStack, waitFor } from '../support/stack';
import { chromeOffer } from '../support/webrtc-sdp';

const SECRET = 'join-token-secret-for-tests';

/**
 * The signalling and relay side of a browser call: an INVITE with a WebRTC offer and a join token
 * goes through rtpengine (real daemon) to FreeSWITCH and back, and hanging up deletes the rtpengine
 * session. (The page itself, with Chromium and real media, is tested in test/web.)
 */
describe('browser calls: join token and rtpengine relay', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let rtpengine: TestRtpengine;
  let caller: { srf: Srf; stop(): Promise<void> };
  let meetingId: string;

  before(async function () {
    requireStack(this, 'browser call signalling');
    requireRtpengine(this, 'browser call signalling');
    rtpengine = await startRtpengine();
    bridge = await startBridge({ env: { RTPENGINE_SERVERS: `${rtpengine.host}:${rtpengine.port}`, JOIN_TOKEN_SECRET: SECRET } });
    caller = await startCaller();
    const start = new Date(Date.now() - 60_000);
    meetingId = (
      await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
        {
          title: 'Họp trực tuyến',
          roomNumber: 2020,
          pin: '8642',
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
    await caller?.stop();
    await bridge?.stop();
    await rtpengine?.stop();
  });

  const token = (room = 2020, name = 'Chủ tịch xã') => issueJoinToken(SECRET, { meetingId, room, name, expiresAt: new Date(Date.now() + 60_000) });

  it('relays a WebRTC offer to FreeSWITCH as RTP, answers DTLS-SRTP, and deletes the session on hang-up', async () => {
    const dialog = await caller.srf.createUAC(`sip:2020@${bridge.target}`, {
      localSdp: chromeOffer(),
      headers: { From: '"Browser" <sip:guest@browser.invalid>', 'X-Join-Token': token() },
    });
    const answer = dialog.remote.sdp;
    assert.match(answer, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF/);
    assert.match(answer, /a=fingerprint:sha-256 /);
    assert.match(answer, /a=ice-ufrag:/);
    assert.match(answer, /a=rtcp-mux/);
    const [row] = await waitFor('the participation', async () => {
      const r = await bridge.ds.query(`SELECT display_name, protocol, audio_codec FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [meetingId]);
      return r.length ? r : undefined;
    });
    assert.deepEqual(row, { display_name: 'Chủ tịch xã', protocol: 'webrtc', audio_codec: 'OPUS' });
    assert.equal((await rtpengine.list()).length, 1, 'one rtpengine session');

    const reoffer = await dialog.modify(chromeOffer(3, 'active'));
    assert.match(String(reoffer), /UDP\/TLS\/RTP\/SAVPF/, 'a re-INVITE goes through the same relay');
    assert.equal((await rtpengine.list()).length, 1);

    // FreeSWITCH renegotiates: its re-INVITE reaches the browser as DTLS-SRTP through the same session.
    const fromBridge = new Promise<string>((resolve) =>
      dialog.on('modify', (req: { body: string }, res: { send(status: number, opts: { body: string }): void }) => {
        res.send(200, { body: chromeOffer(4, 'active') });
        resolve(req.body);
      }),
    );
    const uuid = bridge.calls.engine.calls.inMeeting(meetingId)[0]!.endpoint!.uuid;
    await bridge.fs.fsCli(`uuid_media_reneg ${uuid}`);
    const bridgeOffer = await fromBridge;
    assert.match(bridgeOffer, /UDP\/TLS\/RTP\/SAVPF/);
    assert.match(bridgeOffer, /a=fingerprint:/);
    assert.equal((await rtpengine.list()).length, 1, 'still one rtpengine session');

    await dialog.destroy();
    await waitFor('rtpengine session deleted', async () => ((await rtpengine.list()).length === 0 ? true : undefined), 10_000);
    await waitFor('no FreeSWITCH channel', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
  });

  it('refuses a token for another room, a forged one, and a guest without a token who cannot enter the PIN', async () => {
    const attempt = (headers: Record<string, string>, room = 2020) =>
      caller.srf.createUAC(`sip:${room}*0000@${bridge.target}`, { localSdp: chromeOffer(), headers: { From: '<sip:guest@browser.invalid>', ...headers } });
    await assert.rejects(attempt({ 'X-Join-Token': token(2021) }), (err: { status: number }) => err.status === 403);
    await assert.rejects(attempt({ 'X-Join-Token': `${token()}x` }), (err: { status: number }) => err.status === 403);
    await assert.rejects(attempt({}), (err: { status: number }) => err.status === 403, 'wrong inline PIN');
    bridge.calls.sip.auth.failures.succeed('127.0.0.1');
    assert.equal((await rtpengine.list()).length, 0, 'no relay session left by a refusal');
  });
});
