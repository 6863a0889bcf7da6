import assert from 'node:assert/strict';
import { Cascade } from '../../src/calls/cascade/cascade';
import { SingleNode } from '../../src/calls/cascade/single-node';
import type { LinkRecord, LinkRecords } from '../../src/calls/cascade/link-records';
import { placeSite } from '../../src/calls/cascade/placement';
import { LiveControl } from '../../src/calls/live-control';
import { silentLogger } from '../../src/log';
import { fakeRegistry } from '../support/fake-calls';
import type { MediaLease } from '../../src/media/freeswitch/media-endpoint';
import { FakeConference, type FakeEndpoint, FakeMedia } from '../support/fake-media';

/** The links a cascade writes down, kept in memory. */
function memoryLinks(): LinkRecords & { rows: Map<string, LinkRecord> } {
  const rows = new Map<string, LinkRecord>();
  return {
    rows,
    opened: async (r) => void rows.set(`${r.meetingId}|${r.secondary}`, r),
    closed: async (meetingId, secondary, channelA) => {
      if (rows.get(`${meetingId}|${secondary}`)?.channels[0] === channelA) rows.delete(`${meetingId}|${secondary}`);
    },
    all: async () => [...rows.values()],
  };
}

/** A cascade over in-memory nodes, each carrying `max` sites. */
function onFakeNodes(
  nodes: string[],
  max: number,
  regions?: ReadonlyMap<string, string>,
  control?: (id: string) => FakeConference | undefined,
  secondaryProfile = 'diemcau-secondary',
) {
  const media = new FakeMedia(nodes);
  const { calls } = fakeRegistry(media.log);
  const records = memoryLinks();
  const c = new Cascade({
    media: { leaseOn: (id) => media.leaseOn(id), upServerIds: () => media.up, control: control ?? ((id) => media.control(id)) },
    calls,
    records,
    maxMembers: max,
    ...(regions && { regions }),
    profile: 'diemcau',
    secondaryProfile,
    log: silentLogger,
  });
  return { media, calls, c, records };
}

describe('cascade placement (pure)', () => {
  const load = (...sites: number[]) => sites.map((n, i) => ({ id: `fs${i + 1}`, sites: n }));

  it('puts a meeting\u2019s first site on the least loaded node with room: its primary', () => {
    assert.deepEqual(placeSite({ primary: null, secondaries: [] }, load(3, 1, 2), 3), { node: 'fs2', role: 'primary' });
    assert.equal(placeSite({ primary: null, secondaries: [] }, load(3, 3), 3), null);
  });

  it('fills the primary, then the linked secondaries in order, then links the least loaded other node', () => {
    assert.deepEqual(placeSite({ primary: 'fs1', secondaries: [] }, load(1, 0, 0), 2), { node: 'fs1', role: 'primary' });
    assert.deepEqual(placeSite({ primary: 'fs1', secondaries: [] }, load(2, 1, 0), 2), { node: 'fs3', role: 'secondary', link: true });
    assert.deepEqual(placeSite({ primary: 'fs1', secondaries: ['fs3'] }, load(2, 0, 1), 2), { node: 'fs3', role: 'secondary', link: false });
    assert.deepEqual(placeSite({ primary: 'fs1', secondaries: ['fs3'] }, load(2, 0, 2), 2), { node: 'fs2', role: 'secondary', link: true });
    assert.equal(placeSite({ primary: 'fs1', secondaries: ['fs2', 'fs3'] }, load(2, 2, 2), 2), null);
  });

  it('puts a site on a node of its region when one has room, the meeting\u2019s own first, else by load', () => {
    const regional = (...nodes: [number, string | null][]) => nodes.map(([sites, region], i) => ({ id: `fs${i + 1}`, sites, region }));
    const up = regional([1, 'mien-bac'], [0, 'mien-nam'], [0, 'mien-nam']);
    assert.deepEqual(
      placeSite({ primary: null, secondaries: [] }, up, 3, 'mien-bac'),
      { node: 'fs1', role: 'primary' },
      'the first site picks the primary in its region',
    );
    assert.deepEqual(
      placeSite({ primary: 'fs1', secondaries: [] }, up, 3, 'mien-nam'),
      { node: 'fs2', role: 'secondary', link: true },
      'though the primary has room',
    );
    assert.deepEqual(
      placeSite({ primary: 'fs1', secondaries: ['fs3'] }, up, 3, 'mien-nam'),
      { node: 'fs3', role: 'secondary', link: false },
      'its region\u2019s node the meeting is on',
    );
    assert.deepEqual(placeSite({ primary: 'fs1', secondaries: ['fs3'] }, up, 3, null), { node: 'fs1', role: 'primary' }, 'no region: as before');
    assert.deepEqual(placeSite({ primary: 'fs1', secondaries: [] }, up, 3, 'tay-nguyen'), { node: 'fs1', role: 'primary' }, 'a region no node has: as before');
    const full = regional([3, 'mien-bac'], [3, 'mien-nam'], [0, null]);
    assert.deepEqual(
      placeSite({ primary: 'fs1', secondaries: ['fs2'] }, full, 3, 'mien-nam'),
      { node: 'fs3', role: 'secondary', link: true },
      'its region full: wherever there is room',
    );
    assert.equal(placeSite({ primary: 'fs9', secondaries: [] }, up, 3, 'mien-nam'), null, 'the primary down: nobody, region or not');
  });

  it('places nobody while the primary is down (its sites could not hear them)', () => {
    assert.equal(placeSite({ primary: 'fs9', secondaries: [] }, load(0, 0), 2), null);
  });
});

describe('Cascade on in-memory media', () => {
  const cascade = (max = 2) => onFakeNodes(['fs1', 'fs2', 'fs3'], max);

  it('links a secondary on first use, A on the secondary offering and B on the primary answering', async () => {
    const { media, calls, c } = cascade();
    const leases = [c.place('m1')!, c.place('m1')!, c.place('m1')!];
    assert.deepEqual(
      leases.map((l) => l.serverId),
      ['fs1', 'fs1', 'fs2'],
    );
    assert.equal(calls.mediaServerOf('m1'), 'fs1', 'the primary is the meeting\u2019s server');
    await c.linked('m1');
    const [a, b] = media.endpoints;
    assert.equal(a!.remoteSdp, undefined, 'A is made without SDP: FreeSWITCH offers');
    assert.equal(b!.remoteSdp, a!.localSdp, 'B answers A\u2019s offer');
    assert.deepEqual(a!.modified, [b!.localSdp], 'A gets B\u2019s answer');
    // No picture comes back into itself: A brings the primary's picture onto the secondary's second
    // canvas, alone, and the secondary's sites watch it; their own canvas goes up through A.
    assert.deepEqual(a!.joinedAs?.opts, { profile: 'diemcau-secondary', canvas: 2 });
    assert.deepEqual(b!.joinedAs?.opts, { profile: 'diemcau' });
    const join = async (lease: MediaLease) => {
      const ep = (await lease.createEndpoint()) as FakeEndpoint;
      await ep.join('m1', { profile: 'diemcau', muted: false });
      return ep.joinedAs?.opts;
    };
    assert.deepEqual(await join(leases[0]!), { profile: 'diemcau', muted: false }, 'a site on the primary joins as asked');
    assert.deepEqual(await join(leases[2]!), { profile: 'diemcau-secondary', muted: false, watchingCanvas: 2 }, 'a site on the secondary');
    const content = (await leases[2]!.createEndpoint()) as FakeEndpoint;
    await content.join('m1', { profile: 'diemcau-content', conference: 'content' });
    assert.deepEqual(content.joinedAs?.opts, { profile: 'diemcau-content', conference: 'content' }, 'the content conference is not the seat’s');
    assert.deepEqual(
      c.nodesOf('m1')?.linked.map((l) => l.node),
      ['fs2'],
    );
    // The secondary's link leases are on both nodes.
    assert.deepEqual(
      media.log.filter((l) => l.startsWith('lease')),
      ['lease fs1', 'lease fs1', 'lease fs2', 'lease fs2', 'lease fs1'],
    );
  });

  it('asks for no canvas when secondaries mix in the meeting’s own profile (audio)', async () => {
    const { media, c } = onFakeNodes(['fs1', 'fs2'], 1, undefined, undefined, 'diemcau');
    const leases = [c.place('m1')!, c.place('m1')!];
    await c.linked('m1');
    const [a] = media.endpoints;
    assert.deepEqual(a!.joinedAs?.opts, { profile: 'diemcau' });
    const site = (await leases[1]!.createEndpoint()) as FakeEndpoint;
    await site.join('m1', { profile: 'diemcau' });
    assert.deepEqual(site.joinedAs?.opts, { profile: 'diemcau' });
    media.up = ['fs2'];
    c.nodeDown('fs1');
    assert.deepEqual(media.conference.commands, [], 'nothing to switch on the promoted node');
    await site.hangUp();
    for (const l of leases) l.release();
    await c.end('m1');
  });

  it('unlinks a secondary when its last site leaves, and forgets the meeting when everyone has', async () => {
    const { media, calls, c } = cascade();
    const leases = [c.place('m1')!, c.place('m1')!, c.place('m1')!, c.place('m1')!];
    assert.equal(leases[3]!.serverId, 'fs2');
    await c.linked('m1');
    leases[2]!.release();
    leases[2]!.release(); // twice is once
    assert.equal(c.nodesOf('m1')?.linked.length, 1, 'one site still on fs2');
    leases[3]!.release();
    assert.equal(c.nodesOf('m1')?.linked.length, 0);
    leases[0]!.release();
    leases[1]!.release();
    assert.equal(c.nodesOf('m1'), null);
    assert.equal(calls.mediaServerOf('m1'), undefined);
    await c.end('m1');
    assert.equal(media.liveEndpoints().length, 0, 'link channels hung up');
    assert.equal(media.leased(), 0, 'every lease released');
  });

  it('closes the links when the meeting ends, also one still opening', async () => {
    const { media, c } = cascade();
    for (let i = 0; i < 3; i++) c.place('m1');
    await c.end('m1');
    assert.equal(media.liveEndpoints().length, 0);
    assert.equal(media.leased(), 3, 'only the sites\u2019 leases are held');
    assert.equal(c.nodesOf('m1'), null);
  });

  it('takes each node\u2019s region from FREESWITCH_REGIONS', async () => {
    const { c } = onFakeNodes(['fs1', 'fs2', 'fs3'], 5, new Map([['fs3', 'mien-nam']]));
    assert.equal(c.place('m1')?.serverId, 'fs1');
    assert.equal(c.place('m1', 'mien-nam')?.serverId, 'fs3');
    assert.equal(c.place('m1', 'mien-bac')?.serverId, 'fs1', 'no node of that region');
    await c.linked('m1');
    assert.deepEqual(
      c.nodesOf('m1')?.linked.map((l) => l.node),
      ['fs3'],
    );
    await c.end('m1');
  });

  it('refuses when every node is full, and counts every meeting on a node', () => {
    const { c } = cascade(2);
    for (let i = 0; i < 4; i++) assert.ok(c.place('m1'));
    assert.equal(c.place('m2')?.serverId, 'fs3', 'm2 starts on the node with room');
    assert.ok(c.place('m2'));
    assert.equal(c.place('m2'), undefined, 'nothing has room');
  });
});

describe('live control of a meeting over several nodes', () => {
  it('mutes each call on its own node; pins, lays out and announces on the primary only', async () => {
    const media = new FakeMedia(['fs1', 'fs2', 'fs3']);
    const { calls } = fakeRegistry(media.log);
    const nodes = { fs1: new FakeConference(), fs2: new FakeConference(), fs3: new FakeConference() };
    const c: Cascade = new Cascade({
      media: { leaseOn: (id) => media.leaseOn(id), upServerIds: () => media.up, control: (id) => nodes[id as keyof typeof nodes] },
      calls,
      records: memoryLinks(),
      maxMembers: 1,
      profile: 'diemcau',
      secondaryProfile: 'diemcau-secondary',
      log: silentLogger,
    });
    let content = false;
    const live = new LiveControl(
      calls,
      { control: (id) => nodes[id as keyof typeof nodes] },
      { linkMemberOf: (m, node) => c.linkMemberOf(m, node), showsContent: () => content },
    );
    const joined = [];
    for (let i = 1; i <= 2; i++) {
      const lease = c.place('m1')!;
      const call = calls.start(
        { callId: `c${i}`, meetingId: 'm1', siteId: null, displayName: `site ${i}`, source: '', moderator: false, protocol: 'sip', direction: 'in' },
        silentLogger,
      );
      call.attachMedia(lease, await lease.createEndpoint());
      call.joined(`p${i}`, 10 + i, false);
      joined.push(call);
    }
    assert.deepEqual(
      joined.map((x) => x.mediaServer),
      ['fs1', 'fs2'],
    );
    await live.mute('m1', 'p2', true);
    await assert.rejects(live.floor('m1', 'p2'), /not linked/, 'fs2 has no tile on the primary while its link opens');
    await c.linked('m1');
    await live.floor('m1', 'p2');
    const standIn = c.linkMemberOf('m1', 'fs2');
    assert.notEqual(standIn, null);
    assert.equal(await live.muteAll('m1', false), 2);
    await live.layout('m1', '2x2');
    await live.announce('m1', 'warning.wav');
    assert.deepEqual(nodes.fs1.commands, [`floor m1 ${standIn}`, 'unmute m1 11', 'layout m1 2x2', 'play m1 warning.wav']);
    assert.deepEqual(nodes.fs2.commands, ['mute m1 12', 'unmute m1 12']);
    assert.deepEqual(nodes.fs3.commands, []);

    // The primary dies: fs2 takes over, and the operator's layout follows it there at the next join,
    // once; not while content holds the canvas.
    await live.followPrimary('m1');
    media.up = ['fs2', 'fs3'];
    c.nodeDown('fs1');
    content = true;
    await live.followPrimary('m1');
    assert.ok(!nodes.fs2.commands.includes('layout m1 2x2'), 'content holds the canvas');
    content = false;
    await live.followPrimary('m1');
    await live.followPrimary('m1');
    assert.deepEqual(
      nodes.fs2.commands.filter((x) => x.startsWith('layout')),
      ['layout m1 2x2'],
    );
    assert.deepEqual(
      nodes.fs1.commands.filter((x) => x.startsWith('layout')),
      ['layout m1 2x2'],
      'nothing more for the dead node',
    );
    await Promise.all(joined.map((x) => x.close('meeting-ended')));
    await c.end('m1');
    assert.equal(media.leased(), 0);
  });
});

describe('Cascade when a link fails', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const waitUntil = async (done: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; !done(); await sleep(50)) if (Date.now() > end) throw new Error('timed out');
  };

  it('tries again, and holds nothing for a link that did not open', async () => {
    const { media, c } = onFakeNodes(['fs1', 'fs2'], 2);
    const leases = [c.place('m1')!, c.place('m1')!];
    media.createError = new Error('NORMAL_TEMPORARY_FAILURE');
    leases.push(c.place('m1')!);
    await c.linked('m1');
    assert.equal(c.nodesOf('m1')?.linked[0]?.channels, null, 'not linked');
    assert.equal(media.leased(), 3, 'the failed link gave its leases back');
    media.createError = null;
    await sleep(700);
    await c.linked('m1');
    assert.ok(c.nodesOf('m1')?.linked[0]?.channels, 'linked on the next try');
    for (const l of leases) l.release();
    await c.end('m1');
    assert.equal(media.leased(), 0);
    assert.equal(media.liveEndpoints().length, 0);
  });

  it('gives up after three more tries: the cut-off node’s sites watch each other', async () => {
    const { media, c } = onFakeNodes(['fs1', 'fs2'], 1);
    const primary = c.place('m1')!;
    media.createError = new Error('NORMAL_TEMPORARY_FAILURE');
    const secondary = c.place('m1')!;
    await waitUntil(() => media.conference.commands.includes('watch-canvas m1 1'), 4_000);
    media.createError = null;
    const joined = (await secondary.createEndpoint()) as FakeEndpoint;
    await joined.join('m1', { profile: 'diemcau' });
    assert.deepEqual(joined.joinedAs?.opts, { profile: 'diemcau-secondary' }, 'no second canvas to watch: nothing comes into it');
    await joined.hangUp();
    secondary.release();
    primary.release();
    await c.end('m1');
    assert.equal(media.leased(), 0);
  });

  it('stops trying when the node empties', async () => {
    const { media, c } = onFakeNodes(['fs1', 'fs2'], 1);
    const primary = c.place('m1')!;
    media.createError = new Error('NORMAL_TEMPORARY_FAILURE');
    const secondary = c.place('m1')!;
    await c.linked('m1');
    secondary.release();
    media.createError = null;
    await sleep(700);
    assert.equal(media.endpoints.length, 0, 'no link opened for a node nobody is on');
    primary.release();
    await c.end('m1');
    assert.equal(media.leased(), 0);
  });
});

describe('placement when a node is lost', () => {
  it('promotes the secondary with most of the meeting, links the others to it, and places the called-back sites there', async () => {
    const { media, calls, c, records } = onFakeNodes(['fs1', 'fs2', 'fs3'], 2);
    const leases = [1, 2, 3, 4, 5].map(() => c.place('m1')!);
    assert.deepEqual(
      leases.map((l) => l.serverId),
      ['fs1', 'fs1', 'fs2', 'fs2', 'fs3'],
    );
    await c.linked('m1');
    const oldLinks = media.liveEndpoints().length;
    assert.equal(oldLinks, 4, 'two links, two channels each');

    media.up = ['fs2', 'fs3'];
    c.nodeDown('fs1');
    await c.linked('m1');
    assert.equal(c.nodesOf('m1')?.primary, 'fs2', 'fs2 carries two of the meeting, fs3 one');
    assert.deepEqual(media.conference.commands, ['watch-canvas m1 1'], 'the new primary’s sites watch its own canvas now');
    assert.equal(calls.mediaServerOf('m1'), 'fs2');
    assert.deepEqual(
      c.nodesOf('m1')?.linked.map((l) => [l.node, l.channels !== null]),
      [['fs3', true]],
    );
    // The old links' channels are hung up; the new link's two are fs3 (A) and fs2 (B).
    const live = media.liveEndpoints();
    assert.equal(live.length, 2);
    // The old link of fs3, closing after the new one was written down, leaves the new record alone.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      [...records.rows.values()].map((r) => [r.secondary, r.primary, r.channels]),
      [['fs3', 'fs2', c.nodesOf('m1')!.linked[0]!.channels]],
    );
    // fs1's sites end and are called back: one fits on fs3, then nothing has room.
    leases[0]!.release();
    leases[1]!.release();
    assert.equal(c.place('m1')?.serverId, 'fs3');
    assert.equal(c.place('m1'), undefined, 'the nodes left are full');
    await c.end('m1');
  });

  it('lets the next site pick a primary afresh when the lost primary had no secondary', () => {
    const { media, calls, c } = onFakeNodes(['fs1', 'fs2'], 5);
    const first = c.place('m1')!;
    assert.equal(first.serverId, 'fs1');
    media.up = ['fs2'];
    c.nodeDown('fs1');
    assert.equal(calls.mediaServerOf('m1'), undefined);
    assert.equal(c.place('m1')?.serverId, 'fs2');
    assert.equal(c.nodesOf('m1')?.primary, 'fs2');
    first.release();
    assert.equal(c.nodesOf('m1')?.primary, 'fs2', 'the meeting stays with its new primary');
  });

  it('without a limit: pins a meeting to one server from its first lease, and moves it when that server is lost', () => {
    const media = new FakeMedia(['fs1', 'fs2']);
    const { calls } = fakeRegistry(media.log);
    // Least loaded, as the real pool picks: two dial-outs placed at once would otherwise split.
    const active = new Map<string, number>();
    const pool = {
      leaseOn: (id: string) => media.leaseOn(id),
      pick: (prefer?: string) => {
        const id = prefer && media.up.includes(prefer) ? prefer : [...media.up].sort((a, b) => (active.get(a) ?? 0) - (active.get(b) ?? 0))[0]!;
        active.set(id, (active.get(id) ?? 0) + 1);
        const lease = media.leaseOn(id)!;
        return {
          ...lease,
          release: () => {
            active.set(id, active.get(id)! - 1);
            lease.release();
          },
        };
      },
    };
    const p = new SingleNode(pool, calls);
    const a = [p.place('m1')!, p.place('m1')!];
    assert.deepEqual(
      a.map((l) => l.serverId),
      ['fs1', 'fs1'],
      'no call has its endpoint yet: the pin keeps them together',
    );
    assert.equal(p.place('m2')?.serverId, 'fs2', 'another meeting goes to the least loaded');
    assert.equal(calls.mediaServerOf('m1'), 'fs1');
    media.up = ['fs2'];
    p.nodeDown('fs1');
    assert.equal(calls.mediaServerOf('m1'), undefined, 'the meeting has no server until its next call');
    const back = p.place('m1')!;
    assert.equal(back.serverId, 'fs2');
    assert.equal(calls.mediaServerOf('m1'), 'fs2');
    for (const l of a) l.release();
    assert.equal(p.place('m1')?.serverId, 'fs2', 'still pinned: a call is there');
    assert.equal(media.leased(), 3);
  });
});

describe('Cascade after a restart', () => {
  const member = (memberId: number, channelUuid: string) => new Map([[memberId, { memberId, channelUuid, muted: false }]]);
  /** fs1 the primary, fs2 a secondary linked by A (on fs2) and B (on fs1), as a previous process wrote it down. */
  async function leftBehind(channels: { a: boolean; b: boolean }) {
    const nodes = { fs1: new FakeConference(), fs2: new FakeConference() };
    const cascade = onFakeNodes(['fs1', 'fs2'], 1, undefined, (id) => nodes[id as keyof typeof nodes]);
    await cascade.records.opened({ meetingId: 'm1', secondary: 'fs2', primary: 'fs1', channels: ['old-a', 'old-b'] });
    if (channels.a) nodes.fs2.members_.set('m1', member(7, 'old-a'));
    if (channels.b) nodes.fs1.members_.set('m1', member(9, 'old-b'));
    const { c } = cascade;
    c.restore(await cascade.records.all());
    // The calls are taken over node by node, the secondary's first: the meeting keeps its primary.
    const onFs2 = c.adopt('m1', 'fs2')!;
    c.recovered('fs2');
    const onFs1 = c.adopt('m1', 'fs1')!;
    assert.equal(c.nodesOf('m1')?.primary, 'fs1');
    c.recovered('fs1');
    await c.linked('m1');
    return { ...cascade, nodes, onFs1, onFs2 };
  }

  it('takes a link over whose two channels are still there, counts the calls taken over, and kills the link when its node empties', async () => {
    const { c, media, records, nodes, onFs2 } = await leftBehind({ a: true, b: true });
    assert.deepEqual(
      c.nodesOf('m1')?.linked.map((l) => l.channels),
      [['old-a', 'old-b']],
    );
    assert.equal(media.endpoints.length, 0, 'no new link');
    assert.equal(c.place('m1'), undefined, 'both nodes are full: the calls taken over count');

    await c.checkAdopted();
    assert.deepEqual(
      c.nodesOf('m1')?.linked.map((l) => l.channels),
      [['old-a', 'old-b']],
      'still there: kept',
    );

    onFs2.release();
    await c.end('m1');
    assert.deepEqual(media.conference.killed.sort(), ['old-a', 'old-b'], 'its channels are killed (no dialog here to hang up)');
    assert.equal(records.rows.size, 0);
    assert.deepEqual([...nodes.fs1.killed, ...nodes.fs2.killed], []);
  });

  it('kills what is left of a link that lost a channel, and links the nodes anew', async () => {
    const { c, media, records, nodes } = await leftBehind({ a: true, b: false });
    assert.deepEqual([nodes.fs2.killed, nodes.fs1.killed], [['old-a'], ['old-b']], 'both are killed: beside a new link the half left would be heard twice');
    assert.equal(media.endpoints.length, 2, 'a new link: A and B');
    const linked = c.nodesOf('m1')!.linked[0]!;
    assert.deepEqual(
      [...records.rows.values()].map((r) => r.channels),
      [linked.channels],
    );
  });

  it('opens a new link when one taken over breaks', async () => {
    const { c, media, nodes } = await leftBehind({ a: true, b: true });
    nodes.fs1.members_.delete('m1');
    await c.checkAdopted();
    await new Promise((r) => setTimeout(r, 600));
    await c.linked('m1');
    assert.deepEqual(media.conference.killed.sort(), ['old-a', 'old-b']);
    assert.equal(media.endpoints.length, 2);
    assert.notDeepEqual(c.nodesOf('m1')!.linked[0]!.channels, ['old-a', 'old-b']);
  });

  it('leaves its links written down and running at a restart, and hangs them up at a shutdown', async () => {
    const linkedPair = async () => {
      const cascade = onFakeNodes(['fs1', 'fs2'], 1);
      cascade.c.place('m1');
      cascade.c.place('m1');
      await cascade.c.linked('m1');
      return cascade;
    };
    const restart = await linkedPair();
    await restart.c.close('leave-running');
    assert.equal(restart.records.rows.size, 1);
    assert.equal(restart.media.liveEndpoints().length, 2, 'the link runs on');

    const shutdown = await linkedPair();
    await shutdown.c.close('hang-up');
    assert.equal(shutdown.records.rows.size, 0);
    assert.equal(shutdown.media.liveEndpoints().length, 0);
  });
});
