import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { startH323Gateway, type H323Gateway } from '../../src/calls/h323-gateway';
import { SiteDirectory } from '../../src/directory/sites';
import { attendanceReport } from '../../src/meetings/attendance-report';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { BRIDGE_DOMAIN, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { freePort, requireStack, waitFor } from '../support/stack';
import * as h245 from '../../src/h323/asn1/generated/h245';
import { alt, get, getChoice, getSeq, h245IpPort } from '../../src/h323/messages/read';
import { perDecode } from '../../src/h323/per';
import { ScriptedEndpoint } from './support/endpoint';

/**
 * An H.323-only room system in a booked meeting next to a SIP room system: it registers with the
 * gatekeeper by its alias, calls the room with fast start, its audio reaches the SIP caller through
 * the FreeSWITCH conference, it is in the roster and the attendance report, and hanging up leaves
 * nothing behind.
 */
describe('H.323 gateway end to end (real drachtio-server and FreeSWITCH)', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let gateway: H323Gateway;
  let caller: { srf: Srf; stop(): Promise<void> };
  let endpoint: ScriptedEndpoint;
  let meetingId: string;
  const peers: RtpPeer[] = [];

  before(async function () {
    requireStack(this, 'H.323 gateway end to end');
    bridge = await startBridge();
    caller = await startCaller();
    const rasPort = await freePort({ udp: true });
    gateway = await startH323Gateway(bridge.ds, { host: '127.0.0.1', port: 0, rasPort, advertised: '127.0.0.1' }, bridge.config, bridge.sip, bridge.log);
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    await sites.create({ code: 'chu-pong', name: 'Xã Chư Pơng', protocol: 'h323', h323Alias: '2301', allowedNetworks: ['127.0.0.0/8'], enabled: true }, cliActor);
    const start = new Date(Date.now() - 60_000);
    meetingId = (
      await new MeetingBook(bridge.ds, bridge.config.roomNumbers).create(
        { title: 'Giao ban', roomNumber: 2070, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString(), invitedSites: ['chu-pong'], dialOut: false, allowGuests: true, mode: 'discussion', language: 'vi' },
        cliActor,
      )
    ).meeting.id;
    endpoint = await ScriptedEndpoint.open({ gatekeeper: gateway.gatekeeper.address(), aliases: ['2301'], callSignalAddress: { ip: '127.0.0.1', port: 1720 } });
  });

  after(async () => {
    for (const p of peers) p.close();
    await gateway?.close();
    await caller?.stop();
    await bridge?.stop();
  });

  it('registers, calls the room, is heard by a SIP room system through the mix, and is on record', async () => {
    assert.equal((await endpoint.register()).choice, 'registrationConfirm');
    const ids = endpoint.newIds();
    const { reply, to } = await endpoint.admit('2070', ids.callId, ids.conferenceId);
    assert.equal(reply.choice, 'admissionConfirm');

    // A SIP room system already in the room, listening.
    const sipPeer = await RtpPeer.open();
    const h323Peer = await RtpPeer.open();
    peers.push(sipPeer, h323Peer);
    const dialog = await caller.srf.createUAC(`sip:2070@${bridge.target}`, { localSdp: sipPeer.sdp(), headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' } });
    sipPeer.startSilence(sdpAudioTarget(dialog.remote.sdp));

    const placed = await endpoint.call({ to: to!, dial: '2070', audio: { ip: h323Peer.host, port: h323Peer.port }, display: 'Chư Pơng TE30' }, ids);
    const connect = await placed.call.waitForBody('connect');
    const forward = connect.fastStart.map((b) => fastStartTarget(b)).find((t) => t);
    assert.ok(forward, 'Connect names where to send our RTP');
    h323Peer.startTone(forward!, 1000);

    const roster = await waitFor('both in the meeting', async () => {
      const r = bridge.sip.live.participants(meetingId);
      return r.length === 2 ? r : undefined;
    }, 15_000);
    const h323 = roster.find((p) => p.protocol === 'h323');
    assert.deepEqual([h323?.name, h323?.audioCodec], ['Xã Chư Pơng', 'PCMU']);
    await waitFor('the SIP room system to hear the H.323 one', async () => (sipPeer.toneEnergy(1000, 800) > 0.3 ? true : undefined), 15_000, 250);

    const report = await attendanceReport(bridge.ds, meetingId, new Date());
    const site = report.sites.find((s) => s.site.code === 'chu-pong');
    assert.equal(site?.attended, true);

    placed.call.hangup(16);
    await waitFor('the H.323 call gone', async () => (bridge.sip.live.participants(meetingId).length === 1 ? true : undefined), 10_000);
    const [row] = await bridge.ds.query(`SELECT protocol, end_reason FROM participation WHERE protocol = 'h323'`);
    assert.deepEqual(row, { protocol: 'h323', end_reason: 'caller-hangup' });
    h323Peer.stop();
    sipPeer.stop();
    await dialog.destroy();
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.deepEqual(gateway.callServer.activeCalls(), []);
  });
});

/** The RTP address in a fast-start OpenLogicalChannel our side transmits on, if it is one. */
function fastStartTarget(olc: Uint8Array): { host: string; port: number } | undefined {
  const media = readForwardMedia(olc);
  return media ? { host: media.ip, port: media.port } : undefined;
}


function readForwardMedia(bytes: Uint8Array): { ip: string; port: number } | undefined {
  const olc = perDecode(h245.OpenLogicalChannel, bytes);
  const fwd = getSeq(olc, 'forwardLogicalChannelParameters');
  if (getChoice(fwd, 'dataType')?.choice === 'nullData') return undefined;
  const p = alt(get(fwd, 'multiplexParameters'), 'h2250LogicalChannelParameters');
  return h245IpPort(get(p, 'mediaChannel')) ?? undefined;
}
