import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { cliActor } from '../../src/audit/audit';
import { startH323Gateway, type H323Gateway } from '../../src/calls/h323-gateway';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { BRIDGE_DOMAIN, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { freePort, requireStack, waitFor } from '../support/stack';
import { AnsweringEndpoint } from './support/answering-endpoint';
import { ScriptedEndpoint } from './support/endpoint';

/**
 * Dial-out to H.323 room systems: a live dial-out meeting calls its invited H.323 site (found
 * through its gatekeeper registration), the site joins the conference and is heard by a SIP room
 * system; a busy site is recorded as busy; ending the meeting releases the H.323 call and leaves
 * nothing behind.
 */
describe('H.323 dial-out end to end (real drachtio-server and FreeSWITCH)', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let gateway: H323Gateway;
  let caller: { srf: Srf; stop(): Promise<void> };
  let answering: AnsweringEndpoint;
  let busy: AnsweringEndpoint;
  let registrar: ScriptedEndpoint;
  let h323Peer: RtpPeer;
  const peers: RtpPeer[] = [];
  let sites: SiteDirectory;
  let book: MeetingBook;

  const meeting = async (roomNumber: number, site: string): Promise<Meeting> => {
    const start = new Date(Date.now() - 60_000);
    return (await book.create(
      { title: 'Giao ban', roomNumber, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 3600_000).toISOString(), invitedSites: [site], dialOut: true, allowGuests: true, mode: 'discussion', language: 'vi' },
      cliActor,
    )).meeting;
  };

  before(async function () {
    requireStack(this, 'H.323 dial-out end to end');
    bridge = await startBridge({ env: { RING_TIMEOUT_SECONDS: '5' } });
    caller = await startCaller();
    const rasPort = await freePort({ udp: true });
    gateway = await startH323Gateway(bridge.ds, { host: '127.0.0.1', port: 0, rasPort, advertised: '127.0.0.1' }, bridge.config, bridge.sip, bridge.log);
    h323Peer = await RtpPeer.open();
    peers.push(h323Peer);
    answering = await AnsweringEndpoint.listen({ kind: 'answer', audio: { ip: h323Peer.host, port: h323Peer.port } });
    busy = await AnsweringEndpoint.listen({ kind: 'release', cause: 17 });
    sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    // Registered with the gatekeeper, no directory address: the call goes where the RRQ said.
    await sites.create({ code: 'ia-grai', name: 'Xã Ia Grai', protocol: 'h323', h323Alias: '2302', allowedNetworks: ['127.0.0.0/8'], enabled: true }, cliActor);
    // Not registered: dialled at its directory address.
    await sites.create({ code: 'ia-sao', name: 'Xã Ia Sao', protocol: 'h323', h323Alias: '2303', h323Address: `127.0.0.1:${busy.address.port}`, allowedNetworks: ['127.0.0.0/8'], enabled: true }, cliActor);
    registrar = await ScriptedEndpoint.open({ gatekeeper: gateway.gatekeeper.address(), aliases: ['2302'], callSignalAddress: answering.address });
    assert.equal((await registrar.register()).choice, 'registrationConfirm');
  });

  after(async () => {
    for (const p of peers) p.close();
    await registrar?.close();
    await answering?.close();
    await busy?.close();
    await gateway?.close();
    await caller?.stop();
    await bridge?.stop();
  });

  it('calls a registered H.323 site into a live meeting, where a SIP site hears it; ending the meeting releases it', async () => {
    const m = await meeting(2071, 'ia-grai');
    await bridge.sip.lifecycle.live(m);
    const incoming = await waitFor('the site called', async () => answering.calls[0], 10_000, 100);
    assert.deepEqual(incoming.setup.dialled, ['2302']);
    assert.ok(incoming.sendTo, 'the Setup proposes where FreeSWITCH receives audio');
    h323Peer.startTone({ host: incoming.sendTo.ip, port: incoming.sendTo.port }, 1000);

    const h323 = await waitFor('the H.323 site in the meeting', async () => bridge.sip.live.participants(m.id).find((p) => p.protocol === 'h323'), 15_000, 250);
    assert.deepEqual([h323.direction, h323.name, h323.audioCodec], ['out', 'Xã Ia Grai', 'PCMU']);
    // The SIP room system joins only now: from 127.0.0.1 it would pass for the invited site, and the dialer skips a site already in.
    const sipPeer = await RtpPeer.open();
    peers.push(sipPeer);
    const dialog = await caller.srf.createUAC(`sip:2071@${bridge.target}`, { localSdp: sipPeer.sdp(), headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' } });
    sipPeer.startSilence(sdpAudioTarget(dialog.remote.sdp));
    await waitFor('the SIP site to hear the H.323 one', async () => (sipPeer.toneEnergy(1000, 800) > 0.3 ? true : undefined), 15_000, 250);
    const [attempt] = await bridge.ds.query(`SELECT outcome, sip_status FROM dial_attempt WHERE meeting_id = $1`, [m.id]);
    assert.deepEqual(attempt, { outcome: 'answered', sip_status: 200 });

    await bridge.sip.lifecycle.ended(m);
    await incoming.closed;
    assert.equal(incoming.releaseCause, 16, 'the site got Release Complete, normal clearing');
    h323Peer.stop();
    sipPeer.stop();
    dialog.destroy();
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    const open = await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [m.id]);
    assert.deepEqual(open, [{ n: 0 }]);
  });

  it('records a busy H.323 site as busy and keeps nothing of the attempt', async () => {
    const m = await meeting(2072, 'ia-sao');
    await bridge.sip.lifecycle.live(m);
    const attempt = await waitFor('the attempt over', async () => {
      const [row] = (await bridge.ds.query(`SELECT outcome, sip_status FROM dial_attempt WHERE meeting_id = $1 AND outcome IS NOT NULL`, [m.id])) as { outcome: string; sip_status: number }[];
      return row;
    }, 10_000, 100);
    assert.deepEqual(attempt, { outcome: 'busy', sip_status: 486 });
    assert.equal(busy.calls.length, 1);
    await bridge.sip.lifecycle.ended(m);
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
  });
});
