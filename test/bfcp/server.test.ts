import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BfcpMessage, type BfcpMessageOf, decodeBfcp, ErrorCode, encodeBfcp, Primitive, RequestStatus } from '../../src/bfcp/codec';
import { BfcpServer, type BfcpUserHandle } from '../../src/bfcp/server';
import { ContentFloor } from '../../src/content/floor';
import { silentLogger } from '../../src/log';
import { BfcpClient, type BfcpClientOptions } from '../support/bfcp-client';
import { memoryLogger } from '../h323/support/memory-log';
import { Rng } from '../support/rng';
import { sampleMessages } from './samples';

const HOST = '127.0.0.1';
const CONF = 4711;
const FLOOR = 1;

type Frs = BfcpMessageOf<'FloorRequestStatus'>;

function status(m: BfcpMessage): { status: number; position: number; id: number } {
  assert.equal(m.primitive, 'FloorRequestStatus', `expected FloorRequestStatus, got ${m.primitive}`);
  const fri = (m as Frs).floorRequestInformation;
  const rs = fri.overallRequestStatus?.requestStatus;
  assert.ok(rs);
  assert.deepEqual(
    fri.floorRequestStatus.map((s) => s.floorId),
    [FLOOR],
  );
  return { status: rs.status, position: rs.queuePosition, id: fri.floorRequestId };
}

const isFrs = (st: number) => (m: BfcpMessage) => m.primitive === 'FloorRequestStatus' && !m.responder && status(m).status === st;

describe('BFCP floor control server', () => {
  let server: BfcpServer;
  const clients: BfcpClient[] = [];
  const handles: BfcpUserHandle[] = [];

  async function join(
    transport: 'udp' | 'tcp',
    userId: number,
    floor: ContentFloor,
    extra: Partial<BfcpClientOptions> = {},
  ): Promise<{ c: BfcpClient; h: BfcpUserHandle; key: string }> {
    const key = `p${userId}`;
    const h = server.addUser({ conferenceId: CONF, userId, floorId: FLOOR, transport, floor, holderKey: key, displayName: `Room ${userId}` });
    handles.push(h);
    const port = transport === 'udp' ? server.udpPort : server.tcpPort;
    const c = await (transport === 'udp' ? BfcpClient.udp : BfcpClient.tcp)(HOST, port, { conferenceId: CONF, userId, ...extra });
    clients.push(c);
    return { c, h, key };
  }

  beforeEach(async () => {
    server = await BfcpServer.start({ host: HOST, udpPort: 0, tcpPort: 0, log: silentLogger, t1Ms: 40, maxRetransmits: 3 });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    for (const h of handles.splice(0)) h.close();
    await server.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    describe(`over ${transport}`, () => {
      it('answers Hello with HelloAck listing what it supports', async () => {
        const { c } = await join(transport, 1, new ContentFloor('take-over'));
        const ack = await c.request({ primitive: 'Hello' });
        assert.equal(ack.primitive, 'HelloAck');
        assert.equal(ack.version, transport === 'udp' ? 2 : 1);
        assert.ok(ack.supportedPrimitives.includes(Primitive.FloorRequest));
        assert.ok(ack.supportedPrimitives.includes(Primitive.FloorStatusAck));
        assert.ok(!ack.supportedPrimitives.includes(Primitive.ChairAction));
        assert.ok(ack.supportedAttributes.includes(18));
      });

      it('take-over: Pending then Granted; a second presenter takes the floor and the first gets Revoked', async () => {
        const floor = new ContentFloor('take-over');
        const a = await join(transport, 1, floor);
        const b = await join(transport, 2, floor);
        const ra = status(await a.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] }));
        assert.equal(ra.status, RequestStatus.Pending);
        assert.equal(status(await a.c.next(isFrs(RequestStatus.Granted))).id, ra.id);
        assert.equal(floor.holder, a.key);

        const rb = status(await b.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] }));
        assert.equal(rb.status, RequestStatus.Pending);
        assert.notEqual(rb.id, ra.id);
        await b.c.next(isFrs(RequestStatus.Granted));
        const revoked = await a.c.next(isFrs(RequestStatus.Revoked));
        assert.equal(status(revoked).id, ra.id);
        assert.equal(revoked.transactionId === 0, transport === 'tcp', 'server-initiated: id 0 over TCP, non-zero over UDP');
        assert.equal(floor.holder, b.key);
      });

      it('queue: Accepted with position, Granted when the holder releases (Released)', async () => {
        const floor = new ContentFloor('queue');
        const a = await join(transport, 1, floor);
        const b = await join(transport, 2, floor);
        const ra = status(await a.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] }));
        await a.c.next(isFrs(RequestStatus.Granted));
        const rb = status(await b.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] }));
        assert.deepEqual([rb.status, rb.position], [RequestStatus.Accepted, 1]);
        const query = status(await b.c.request({ primitive: 'FloorRequestQuery', floorRequestId: rb.id }));
        assert.deepEqual([query.status, query.position], [RequestStatus.Accepted, 1]);

        const rel = status(await a.c.request({ primitive: 'FloorRelease', floorRequestId: ra.id }));
        assert.equal(rel.status, RequestStatus.Released);
        assert.equal(status(await b.c.next(isFrs(RequestStatus.Granted))).id, rb.id);
        assert.equal(floor.holder, b.key);
      });

      it('FloorRelease of an unknown request id: Error 7', async () => {
        const { c } = await join(transport, 1, new ContentFloor('queue'));
        const e = await c.request({ primitive: 'FloorRelease', floorRequestId: 999 });
        assert.equal(e.primitive === 'Error' && e.errorCode, ErrorCode.FloorRequestIdDoesNotExist);
      });

      it('FloorQuery subscribes to FloorStatus on every change, an empty one ends it', async () => {
        const floor = new ContentFloor('take-over');
        const watcher = await join(transport, 3, floor);
        const a = await join(transport, 1, floor);
        const first = await watcher.c.request({ primitive: 'FloorQuery', floorIds: [FLOOR] });
        assert.equal(first.primitive === 'FloorStatus' && first.floorRequests.length, 0);

        const ra = status(await a.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] }));
        const st = await watcher.c.next((m) => m.primitive === 'FloorStatus' && !m.responder && m.floorRequests.length === 1);
        assert.ok(st.primitive === 'FloorStatus');
        assert.equal(st.floorId, FLOOR);
        const fri = st.floorRequests[0]!;
        assert.equal(fri.floorRequestId, ra.id);
        assert.equal(fri.overallRequestStatus?.requestStatus?.status, RequestStatus.Granted);
        assert.deepEqual(fri.beneficiary, { userId: 1, displayName: 'Room 1' });

        // The operator takes the floor away (a holder that is not a BFCP user would show the same way).
        floor.revoke();
        await a.c.next(isFrs(RequestStatus.Revoked));
        await watcher.c.next((m) => m.primitive === 'FloorStatus' && !m.responder && m.floorRequests.length === 0);

        await watcher.c.request({ primitive: 'FloorQuery', floorIds: [] });
        floor.request('browser-7');
        await sleep(150);
        assert.deepEqual(
          watcher.c.pending.filter((m) => m.primitive === 'FloorStatus'),
          [],
        );
      });

      it('a user removed while holding the floor releases it', async () => {
        const floor = new ContentFloor('take-over');
        const a = await join(transport, 1, floor);
        await a.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] });
        await a.c.next(isFrs(RequestStatus.Granted));
        const changes: unknown[] = [];
        floor.onChange((ev) => changes.push(ev));
        a.h.close();
        a.h.close();
        assert.equal(floor.holder, null);
        assert.deepEqual(changes, [{ holder: null, previous: a.key, reason: 'left' }]);
        if (transport === 'tcp') {
          const sock = a.c.tcpSocket!;
          if (!sock.destroyed) await new Promise((r) => sock.once('close', r));
        } else {
          const e = await a.c.request({ primitive: 'Hello' });
          assert.equal(e.primitive === 'Error' && e.errorCode, ErrorCode.ConferenceDoesNotExist);
        }
      });

      it('Goodbye: GoodbyeAck and the request leaves the floor', async () => {
        const floor = new ContentFloor('take-over');
        const a = await join(transport, 1, floor);
        await a.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] });
        const bye = await a.c.request({ primitive: 'Goodbye' });
        assert.equal(bye.primitive, 'GoodbyeAck');
        assert.equal(floor.holder, null);
      });

      it('unknown user or conference, wrong floor, chair actions: typed Errors', async () => {
        const floor = new ContentFloor('take-over');
        await join(transport, 1, floor);
        const port = transport === 'udp' ? server.udpPort : server.tcpPort;
        const stranger = await (transport === 'udp' ? BfcpClient.udp : BfcpClient.tcp)(HOST, port, { conferenceId: CONF, userId: 99 });
        clients.push(stranger);
        const e1 = await stranger.request({ primitive: 'Hello' });
        assert.equal(e1.primitive === 'Error' && e1.errorCode, ErrorCode.UserDoesNotExist);
        const other = await (transport === 'udp' ? BfcpClient.udp : BfcpClient.tcp)(HOST, port, { conferenceId: CONF + 1, userId: 1 });
        clients.push(other);
        const e2 = await other.request({ primitive: 'Hello' });
        assert.equal(e2.primitive === 'Error' && e2.errorCode, ErrorCode.ConferenceDoesNotExist);

        const me = clients.find((c) => c.opts.userId === 1)!;
        const e3 = await me.request({ primitive: 'FloorRequest', floorIds: [FLOOR + 1] });
        assert.equal(e3.primitive === 'Error' && e3.errorCode, ErrorCode.InvalidFloorId);
        const e4 = await me.request({
          primitive: 'ChairAction',
          floorRequestInformation: { floorRequestId: 1, floorRequestStatus: [{ floorId: FLOOR }] },
        });
        assert.equal(e4.primitive === 'Error' && e4.errorCode, ErrorCode.UnauthorizedOperation);
        // An unknown primitive and an unknown mandatory attribute, written by hand.
        const hdr = (prim: number, words: number, tid: number): number[] => [me.version << 5, prim, 0, words, 0, 0, CONF >> 8, CONF & 0xff, 0, tid, 0, 1];
        me.sendRaw(Uint8Array.from(hdr(99, 0, 200)));
        const e5 = await me.next((m) => m.transactionId === 200);
        assert.equal(e5.primitive === 'Error' && e5.errorCode, ErrorCode.UnknownPrimitive);
        me.sendRaw(Uint8Array.from([...hdr(Primitive.Hello, 1, 201), 0x29, 4, 0, 0]));
        const e6 = await me.next((m) => m.transactionId === 201);
        assert.ok(e6.primitive === 'Error');
        assert.equal(e6.errorCode, ErrorCode.UnknownMandatoryAttribute);
        assert.deepEqual([...(e6.errorDetails ?? [])], [20 << 1]);
      });
    });
  }

  describe('UDP reliability', () => {
    it('retransmits a server-initiated FloorRequestStatus until it is acknowledged', async () => {
      const floor = new ContentFloor('take-over');
      const a = await join('udp', 1, floor, { autoAck: false });
      await a.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] });
      const g1 = await a.c.next(isFrs(RequestStatus.Granted));
      const g2 = await a.c.next(isFrs(RequestStatus.Granted), 500);
      assert.equal(g2.transactionId, g1.transactionId, 'a retransmission, not a new transaction');
      assert.notEqual(g1.transactionId, 0);
      a.c.send({ primitive: 'FloorRequestStatusAck' }, g1.transactionId, true);
      await sleep(60);
      const before = a.c.rawReceived.length;
      await sleep(400);
      assert.equal(a.c.rawReceived.length, before, 'nothing more after the ack');
    });

    it('gives up after the configured retransmissions', async () => {
      const floor = new ContentFloor('take-over');
      const a = await join('udp', 1, floor, { autoAck: false });
      await a.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] });
      // t1 40 ms, 3 retransmissions: 40 + 80 + 160 ms, then silence.
      await sleep(600);
      const grants = a.c.pending.filter(isFrs(RequestStatus.Granted));
      assert.equal(grants.length, 4);
    });

    it('a duplicate request (same transaction id) is answered from the cache, not processed twice', async () => {
      const floor = new ContentFloor('queue');
      const a = await join('udp', 1, floor);
      a.c.send({ primitive: 'FloorRequest', floorIds: [FLOOR] }, 77);
      const first = await a.c.next((m) => m.responder && m.transactionId === 77);
      a.c.send({ primitive: 'FloorRequest', floorIds: [FLOOR] }, 77);
      const second = await a.c.next((m) => m.responder && m.transactionId === 77);
      assert.deepEqual(second, first);
      await a.c.next(isFrs(RequestStatus.Granted));
      await sleep(150);
      assert.deepEqual(a.c.pending.filter(isFrs(RequestStatus.Granted)), [], 'one grant only');
      const idx = a.c.rawReceived.findIndex((b) => Buffer.from(b).equals(Buffer.from(encodeBfcp(first))));
      assert.ok(idx >= 0);
    });

    it('speaks version 1 to an RFC 4582-era room system over UDP', async () => {
      const a = await join('udp', 1, new ContentFloor('take-over'), { version: 1 });
      const ack = await a.c.request({ primitive: 'Hello' });
      assert.equal(ack.version, 1);
    });
  });

  describe('hostile input', () => {
    it('garbage datagrams are answered with Error where the header is readable, dropped otherwise; the server keeps working', async () => {
      const floor = new ContentFloor('take-over');
      const a = await join('udp', 1, floor);
      const raw = createSocket('udp4');
      const got: Buffer[] = [];
      raw.on('message', (b) => got.push(b));
      await new Promise<void>((r) => raw.bind(0, HOST, () => r()));
      try {
        const send = (b: Uint8Array) => raw.send(b, server.udpPort, HOST);
        send(Uint8Array.of(1, 2, 3));
        send(new Uint8Array(5000));
        // Header readable, payload length wrong: Error 13 (Incorrect Message Length).
        send(Uint8Array.from([0x40, Primitive.Hello, 0, 9, 0, 0, 0x12, 0x67, 0, 5, 0, 1]));
        await sleep(200);
        assert.equal(got.length, 1);
        const e = decodeBfcpError(got[0]!);
        assert.deepEqual([e.errorCode, e.transactionId], [ErrorCode.IncorrectMessageLength, 5]);
      } finally {
        await new Promise<void>((r) => raw.close(() => r()));
      }
      const ack = await a.c.request({ primitive: 'Hello' });
      assert.equal(ack.primitive, 'HelloAck');
    });

    it('seeded random and mutated datagrams never break it; Errors only to readable requests', async () => {
      await server.close();
      const { log, records } = memoryLogger();
      server = await BfcpServer.start({ host: HOST, udpPort: 0, tcpPort: 0, log, ratePerSecond: 1e6 });
      const floor = new ContentFloor('take-over');
      const a = await join('udp', 1, floor);
      const rng = new Rng(8856);
      const valid = sampleMessages({ version: 2, conferenceId: CONF, userId: 2 }).map(encodeBfcp);
      server.addUser({ conferenceId: CONF, userId: 2, floorId: FLOOR, transport: 'udp', floor, holderKey: 'fuzz' });
      const raw = createSocket('udp4');
      const got: Buffer[] = [];
      raw.on('message', (b) => got.push(b));
      await new Promise<void>((r) => raw.bind(0, HOST, () => r()));
      try {
        for (let i = 0; i < 2000; i++) {
          const b = rng.chance(0.3) ? Uint8Array.from({ length: rng.int(0, 64) }, () => rng.int(0, 255)) : Uint8Array.from(rng.pick(valid));
          for (let k = rng.int(0, 3); k > 0 && b.length > 0; k--) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
          raw.send(b, server.udpPort, HOST);
          if (i % 100 === 0) await sleep(5);
        }
        await sleep(300);
        for (const b of got) decodeBfcp(new Uint8Array(b)); // everything the server answered is well-formed
        assert.ok(got.some((b) => decodeBfcp(new Uint8Array(b)).primitive === 'Error'));
      } finally {
        await new Promise<void>((r) => raw.close(() => r()));
      }
      const ack = await a.c.request({ primitive: 'Hello' });
      assert.equal(ack.primitive, 'HelloAck');
      assert.deepEqual(
        records.filter((r) => r.level > 30),
        [],
        'nothing escaped to the catch-all (warn) in the socket handler',
      );
      assert.ok(records.some((r) => r.msg === 'bfcp: undecodable message'));
    });

    it('a TCP stream announcing a huge message is closed; other connections carry on', async () => {
      const floor = new ContentFloor('take-over');
      const a = await join('tcp', 1, floor);
      const bad = connect(server.tcpPort, HOST);
      await new Promise((r) => bad.once('connect', r));
      const closed = new Promise((r) => bad.once('close', r));
      bad.on('error', () => undefined);
      bad.write(Uint8Array.from([0x20, 1, 0xff, 0xff, 0, 0, 0, 1, 0, 1, 0, 1]));
      await closed;
      const ack = await a.c.request({ primitive: 'Hello' });
      assert.equal(ack.primitive, 'HelloAck');
    });

    it('a TCP connection that never names a user is closed', async () => {
      await server.close();
      server = await BfcpServer.start({ host: HOST, udpPort: 0, tcpPort: 0, log: silentLogger, unboundTcpTimeoutMs: 100 });
      const idle = connect(server.tcpPort, HOST);
      idle.on('error', () => undefined);
      await new Promise((r) => idle.once('close', r));
    });

    it('a flood from one address is cut by the rate limit', async () => {
      const a = await join('udp', 1, new ContentFloor('take-over'));
      for (let i = 0; i < 400; i++) a.c.send({ primitive: 'Hello' });
      await sleep(300);
      const acks = a.c.pending.filter((m) => m.primitive === 'HelloAck').length;
      assert.ok(acks >= 50 && acks < 200, `${acks} answers to 400 Hellos`);
    });
  });

  it('close() is idempotent and leaves no sockets or timers behind', async () => {
    await server.close();
    await sleep(20);
    const before = resources();
    server = await BfcpServer.start({ host: HOST, udpPort: 0, tcpPort: 0, log: silentLogger, t1Ms: 10_000 });
    const floor = new ContentFloor('take-over');
    const u = await join('udp', 1, floor, { autoAck: false });
    const t = await join('tcp', 2, floor);
    await u.c.request({ primitive: 'FloorRequest', floorIds: [FLOOR] });
    await u.c.next(isFrs(RequestStatus.Granted)); // its retransmission timer is now pending
    await t.c.request({ primitive: 'Hello' });
    // The server closes first, with its clients still there: its own sockets and timers must go.
    await Promise.all([server.close(), server.close()]);
    await sleep(20);
    const after = resources();
    assert.equal(after['UDPWrap'], (before['UDPWrap'] ?? 0) + 1, 'only the client UDP socket is left');
    assert.equal(after['TCPServerWrap'], before['TCPServerWrap']);
    assert.equal(after['Timeout'], before['Timeout'], 'no retransmission or connection timer left');
    assert.ok((after['TCPSocketWrap'] ?? 0) <= (before['TCPSocketWrap'] ?? 0) + 1, 'at most the client end of the TCP connection');
    for (const c of clients.splice(0)) await c.close();
    await sleep(20);
    assert.deepEqual(resources(), before);
  });
});

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (r !== 'TTYWrap' && r !== 'FSReqCallback') counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

function decodeBfcpError(b: Buffer): BfcpMessageOf<'Error'> {
  const m = decodeBfcp(new Uint8Array(b));
  assert.equal(m.primitive, 'Error');
  return m as BfcpMessageOf<'Error'>;
}
