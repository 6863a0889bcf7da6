/**
 * H.239 on the real stack (docs/content-sharing.md, "H.323: H.239"): a scripted H.323 room system
 * that advertises H.239 and a SIP room system with BFCP in one meeting. The H.323 one takes the
 * presentation token and its H.264 reaches the SIP site's content line; then the SIP site takes the
 * floor over BFCP, the H.323 one is told presentationTokenRelease, gets a presentation channel from
 * the bridge and receives the SIP site's content on it. Every H.245 PDU the gateway sent is dissected
 * clean by tshark, and nothing is left in FreeSWITCH.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BfcpMessage } from '../../src/bfcp/codec';
import { RequestStatus } from '../../src/bfcp/constants';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import type { ChoiceValue } from '../../src/h323/asn1/types';
import * as m245 from '../../src/h323/messages/h245';
import {
  extendedVideoCapability,
  h239Message,
  hasH239Control,
  isGenericKind,
  readH239,
  roleVideoCapabilities,
  type H239Message,
} from '../../src/h323/messages/h239';
import { alt, get, getNumber, h245IpPort, isChoice } from '../../src/h323/messages/read';
import { tpktFrame } from '../../src/h323/q931/tpkt';
import type { MeetingEvent } from '../../src/meetings/meeting-events';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { BRIDGE_DOMAIN, addDialInSite, bookLiveMeeting, h323Env, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { ContentRoom } from '../support/content-room';
import { H264Receiver, findFfmpeg, sendH264 } from '../support/h264-peer';
import { RtpPeer } from '../support/rtp-peer';
import { skipFor } from '../support/skip';
import { eslEvents, freePort, requireStack, waitFor } from '../support/stack';
import { ScriptedEndpoint, type PlacedCall } from './support/endpoint';
import { assertClean, dissect, requireTshark } from './support/tshark';

const ROOM = 2202;
const EP_CONTENT_PT = 109;
const RED = 'color=c=red:s=640x360:r=15';

const h239Of = (v: ChoiceValue): H239Message | undefined => {
  const kind = isChoice(v.value) ? v.value.choice : '';
  return isGenericKind(kind) && isChoice(v.value) ? readH239(kind, v.value.value) : undefined;
};
const bodyOf = (v: ChoiceValue) => (isChoice(v.value) ? v.value.value : undefined);

describe('content sharing: an H.323 room system presents and receives with H.239', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let caller: Awaited<ReturnType<typeof startCaller>>;
  let ffmpeg: string;
  let meeting: Meeting;
  let endpoint: ScriptedEndpoint;
  let placed: PlacedCall;
  let sip: ContentRoom;
  let audio: RtpPeer;
  /** What the bridge sends the H.323 room system on its presentation channel; also where it sends from. */
  let epContent: H264Receiver;
  let baseline: number;
  const events: MeetingEvent[] = [];
  const senders: ChildProcess[] = [];
  const relays: Socket[] = [];
  let stopEvents: () => void = () => undefined;

  before(async function () {
    requireStack(this, 'H.239 content sharing');
    ffmpeg = findFfmpeg() ?? skipFor(this, 'H.239 content sharing', 'ffmpeg not found (apt-get install ffmpeg, or set FFMPEG_BIN)');
    bridge = await startBridge({ env: { ...(await h323Env()), BFCP_HOST: '127.0.0.1', BFCP_PORT: '0' } });
    caller = await startCaller();
    await addDialInSite(bridge, 'xa-sip');
    await new SiteDirectory(bridge.ds, BRIDGE_DOMAIN).create(
      { code: 'xa-h323', name: 'Xã Ia Grai', protocol: 'h323', h323Alias: '2302', allowedNetworks: ['127.0.0.0/8'], enabled: true },
      cliActor,
    );
    meeting = await bookLiveMeeting(bridge, { title: 'Giao ban H.239', roomNumber: ROOM, sites: ['xa-sip', 'xa-h323'] });
    stopEvents = bridge.calls.engine.events.subscribe(meeting.id, (e) => events.push(e));
    baseline = await bridge.channels();
    endpoint = await ScriptedEndpoint.open({ gatekeeper: bridge.calls.h323!.gatekeeper.address(), aliases: ['2302'] });
    audio = await RtpPeer.open();
    epContent = await H264Receiver.open();
  });

  after(async () => {
    stopEvents();
    for (const s of senders) s.kill('SIGKILL');
    for (const r of relays) r.close();
    placed?.call.destroy();
    await sip?.close();
    audio?.close();
    epContent?.close();
    await endpoint?.close();
    await caller?.stop();
    await bridge?.stop();
  });

  /** ffmpeg's H.264 to `to`, sent from the receiver's own port as a room system does (media servers latch on to it). */
  async function present(from: H264Receiver, to: { host: string; port: number }, payloadType: number): Promise<void> {
    const relay = createSocket('udp4');
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', () => r()));
    relay.on('message', (packet) => from.send(packet, to));
    relays.push(relay);
    senders.push(sendH264(ffmpeg, { host: '127.0.0.1', port: relay.address().port }, { localPort: await freePort({ udp: true }), payloadType, kbps: 800 }));
  }

  const nextH239 = (type: H239Message['type'], after = 0) =>
    waitFor(
      type,
      async () =>
        placed.call
          .allH245()
          .slice(after)
          .map(h239Of)
          .find((x) => x?.type === type),
      10_000,
      50,
    );

  it('the H.323 room system and a SIP room system with BFCP join; the gateway advertises H.239', async () => {
    assert.equal((await endpoint.register()).choice, 'registrationConfirm');
    const ids = endpoint.newIds();
    const { to } = await endpoint.admit(String(ROOM), ids.callId, ids.conferenceId);
    placed = await endpoint.call({ to: to!, dial: String(ROOM), audio: { ip: audio.host, port: audio.port }, h239: true, display: 'Ia Grai' }, ids);
    await placed.call.waitForBody('connect', 15_000);
    const tcs = await placed.call.waitForH245('request.terminalCapabilitySet');
    assert.ok(hasH239Control(bodyOf(tcs)), 'the gateway lists h239ControlCapability');
    sip = await ContentRoom.dialIn(caller.srf, { target: bridge.target, room: ROOM, username: 'xa-sip', password: 'mat-khau-xa-sip', bfcp: 'udp' });
    await waitFor('both in the meeting', async () =>
      bridge.calls.engine.calls.inMeeting(meeting.id).filter((c) => c.state === 'joined').length === 2 ? true : undefined,
    );
  });

  it('the H.323 room system takes the token and its content reaches the SIP site’s content line', async () => {
    placed.call.sendH245([
      m245.openLogicalChannelRequest(
        m245.openLogicalChannel({
          channel: 40,
          sessionId: 0,
          dataType: { choice: 'videoData', value: extendedVideoCapability(m245.h264Capability({ maxBitRate100bps: 10240 })) },
          mediaControl: { ip: epContent.host, port: epContent.port + 1 },
          dynamicPayloadType: EP_CONTENT_PT,
        }),
      ),
      h239Message({ type: 'presentationTokenRequest', terminalLabel: 0, channelId: 40, symmetryBreaking: 42 }),
    ]);
    const ack = await placed.call.waitForH245('response.openLogicalChannelAck', (v) => getNumber(bodyOf(v), 'forwardLogicalChannelNumber') === 40);
    const params = alt(get(bodyOf(ack), 'forwardMultiplexAckParameters'), 'h2250LogicalChannelAckParameters');
    const leg = h245IpPort(get(params, 'mediaChannel'));
    assert.ok(leg, 'the Ack names where the content leg receives');
    assert.equal(getNumber(params, 'sessionID'), 32);
    assert.deepEqual(await nextH239('presentationTokenResponse'), { type: 'presentationTokenResponse', acknowledge: true, terminalLabel: 0, channelId: 40 });
    await waitFor('content.started', async () => (events.some((e) => e.type === 'content.started') ? true : undefined));
    assert.equal(bridge.calls.engine.content.presenter(meeting.id)?.protocol, 'h323');

    await present(epContent, { host: leg.ip, port: leg.port }, EP_CONTENT_PT);
    await waitFor('H.323 content at the SIP site', async () => (sip.content!.count() > 30 ? true : undefined), 20_000, 250);
    await sleep(2000);
    const got = sip.content!.stats(2000);
    assert.ok(got.packets >= 15, `content packets in 2 s: ${got.packets}`);
    // The SIP receiver asks for a keyframe (SIP INFO): the hub asks the presenter, with H.245 on its
    // presentation channel. (FreeSWITCH also asks every few seconds on its own; the wait is shorter
    // than that, so it is the receiver's request that is seen.)
    const vfu = () =>
      placed.call.allH245().filter((x) => isChoice(x.value) && x.value.choice === 'miscellaneousCommand' && getNumber(bodyOf(x), 'logicalChannelNumber') === 40)
        .length;
    const asked = vfu();
    await sip.requestKeyframeByInfo();
    await waitFor('videoFastUpdatePicture on the presentation channel', async () => (vfu() > asked ? true : undefined), 1000, 20);
  });

  it('the SIP site takes the floor: the H.323 one is told to release, gets a presentation channel and the SIP content on it', async () => {
    const before = placed.call.allH245().length;
    for (const s of senders.splice(0)) s.kill('SIGKILL');
    const client = await sip.floorClient();
    await client.request({ primitive: 'FloorRequest', floorIds: [sip.floorId] });
    await client.next(
      (m: BfcpMessage) =>
        m.primitive === 'FloorRequestStatus' && !m.responder && m.floorRequestInformation.overallRequestStatus?.requestStatus?.status === RequestStatus.Granted,
      5000,
    );
    assert.deepEqual(await nextH239('presentationTokenRelease', before), { type: 'presentationTokenRelease', terminalLabel: 0, channelId: 40 });
    const owner = await nextH239('presentationTokenIndicateOwner', before);
    const olc = await placed.call.waitForH245('request.openLogicalChannel');
    const channel = getNumber(bodyOf(olc), 'forwardLogicalChannelNumber')!;
    assert.equal(owner?.channelId, channel);
    const fwd = get(bodyOf(olc), 'forwardLogicalChannelParameters');
    assert.ok(roleVideoCapabilities(alt(get(fwd, 'dataType'), 'videoData')), 'H.264 in the presentation role');
    placed.call.sendH245([
      m245.closeLogicalChannel(40),
      m245.openLogicalChannelAck({
        channel,
        sessionId: 32,
        media: { ip: epContent.host, port: epContent.port },
        mediaControl: { ip: epContent.host, port: epContent.port + 1 },
      }),
    ]);
    const already = epContent.count();
    await sip.startContent(ffmpeg, RED);
    await waitFor('SIP content on the H.323 presentation channel', async () => (epContent.count() - already > 30 ? true : undefined), 20_000, 250);
    await waitFor('the SIP site presents', async () => (bridge.calls.engine.content.presenter(meeting.id)?.protocol === 'sip' ? true : undefined));
    // The H.323 receiver asks for a keyframe of the content: FreeSWITCH hears it on that call's content leg.
    const fsEvents = await eslEvents(bridge.fs.host, bridge.fs.eslPort, bridge.fs.eslPassword, ['RECV_INFO']);
    try {
      await sleep(600); // the relay passes one request per 500 ms
      placed.call.sendH245([m245.videoFastUpdatePicture(channel)]);
      await fsEvents.waitFor((e) => /picture_fast_update/.test(e.body));
    } finally {
      fsEvents.close();
    }
  });

  it('every message the gateway sent, tunnelled H.245 included, dissects clean in tshark', function () {
    requireTshark(this, 'H.239 over the real gateway, through tshark');
    const sent = placed.call.frames;
    const frames = dissect(sent.map((q931) => ({ proto: 'tcp' as const, sport: 1720, dport: 40000, payload: tpktFrame(q931) })));
    assert.equal(frames.length, sent.length);
    frames.forEach((f, i) => {
      assertClean(f, `message ${i}`);
    });
    const all = frames.join('\n');
    assert.match(all, /subMessageIdentifier: presentationTokenResponse \(4\)/);
    assert.match(all, /subMessageIdentifier: presentationTokenRelease \(5\)/);
    assert.match(all, /extendedVideoCapability/);
  });

  it('leaves nothing behind', async () => {
    placed.call.hangup(16);
    await sip.close();
    await waitFor('every call gone', async () => (bridge.calls.engine.calls.inMeeting(meeting.id).length ? undefined : true), 15_000);
    await waitFor('FreeSWITCH back to its channels before the test', async () => ((await bridge.channels()) === baseline ? true : undefined), 15_000);
    assert.deepEqual(bridge.calls.h323!.callServer.activeCalls(), []);
  });
});
