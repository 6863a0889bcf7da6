import assert from 'node:assert/strict';
import type Srf from 'drachtio-srf';
import { conferenceName } from '../../src/media/freeswitch/conference';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { addDialInSite, BRIDGE_DOMAIN, bookLiveMeeting, startBridge, startCaller, type TestBridge } from '../support/bridge';
import { RtpPeer, type RtpRemote, sdpAudioTarget } from '../support/rtp-peer';
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
  const peers: RtpPeer[] = [];
  const dialogs: Srf.Dialog[] = [];

  before(async function () {
    requireStack(this, 'cascade tests');
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
    for (const p of peers) p.close();
    await caller?.stop();
    await bridge?.stop();
    await Promise.allSettled(nodes.map((n) => n.stop()));
  });

  const openRows = async (m = meeting) =>
    (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE meeting_id = $1 AND left_at IS NULL`, [m.id]))[0].n as number;
  const channelsOn = async (n: FreeswitchServer) => Number((await n.fsCli('show channels count')).match(/(\d+) total/)?.[1] ?? NaN);

  /** A site dials in and sends silence; resolves once it is in the conference, with the node it is on. */
  async function join(name: string, m = meeting): Promise<{ peer: RtpPeer; node: string; participantId: string; memberId: number; target: RtpRemote }> {
    const peer = await RtpPeer.open();
    peers.push(peer);
    const before = await openRows(m);
    const dialog = await caller.srf.createUAC(`sip:${m.roomNumber}@${bridge.target}`, {
      localSdp: peer.sdp(),
      headers: { From: `"${name}" <sip:guest@caller.test>` },
    });
    dialogs.push(dialog);
    peer.startSilence(sdpAudioTarget(dialog.remote.sdp));
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
