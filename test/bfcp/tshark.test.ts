/**
 * What our floor control server sends, dissected by Debian's tshark: a whole conversation (hello,
 * requests granted, queued, released, revoked, queries, an error, goodbye) is driven over real
 * sockets with the test client, and the octets off the wire are written to a pcap.
 */
import assert from 'node:assert/strict';
import { Primitive, RequestStatus } from '../../src/bfcp/codec';
import { BfcpServer } from '../../src/bfcp/server';
import { ContentFloor } from '../../src/content/floor';
import { silentLogger } from '../../src/log';
import { dissect, dissectFields, tsharkSuite, tsharkVersion, type WirePacket } from '../h323/support/tshark';
import { BfcpClient } from '../support/bfcp-client';

const HOST = '127.0.0.1';
const CONF = 0x00abcdef;
const FLOOR = 3;
const SERVER_PORT = 5070;
// Debian 12's tshark (4.0) dissects BFCP only by heuristics, and only version 1; 4.2 added version 2.
const HEURISTICS = ['--enable-heuristic', 'bfcp_udp', '--enable-heuristic', 'bfcp_tcp', '-o', 'tcp.analyze_sequence_numbers:FALSE'];

async function conversation(transport: 'udp' | 'tcp', version: 1 | 2): Promise<{ packets: WirePacket[]; fromServer: number }> {
  const server = await BfcpServer.start({ host: HOST, udpPort: 0, tcpPort: 0, log: silentLogger });
  const floor = new ContentFloor('queue');
  const clients: BfcpClient[] = [];
  try {
    const join = async (userId: number): Promise<BfcpClient> => {
      server.addUser({ conferenceId: CONF, userId, floorId: FLOOR, transport, floor, holderKey: `u${userId}`, displayName: `Room ${userId}` });
      const port = transport === 'udp' ? server.udpPort : server.tcpPort;
      const c = await (transport === 'udp' ? BfcpClient.udp : BfcpClient.tcp)(HOST, port, { conferenceId: CONF, userId, version });
      clients.push(c);
      return c;
    };
    const [a, b, w] = [await join(1), await join(2), await join(3)];
    const granted = (m: { primitive: string; responder: boolean }) => m.primitive === 'FloorRequestStatus' && !m.responder;
    await w.request({ primitive: 'Hello' });
    await w.request({ primitive: 'FloorQuery', floorIds: [FLOOR] });
    const ra = await a.request({ primitive: 'FloorRequest', floorIds: [FLOOR] });
    await a.next(granted);
    await w.next((m) => m.primitive === 'FloorStatus' && !m.responder);
    const rb = await b.request({ primitive: 'FloorRequest', floorIds: [FLOOR] });
    await b.request({ primitive: 'UserQuery' });
    assert.ok(ra.primitive === 'FloorRequestStatus' && rb.primitive === 'FloorRequestStatus');
    await a.request({ primitive: 'FloorRelease', floorRequestId: ra.floorRequestInformation.floorRequestId });
    await b.next(granted);
    floor.revoke();
    await b.next(granted);
    await a.request({ primitive: 'FloorRelease', floorRequestId: 999 });
    await a.request({ primitive: 'Goodbye' });
    await new Promise((r) => setTimeout(r, 100)); // the last acks reach the server
    const serverPort = transport === 'udp' ? server.udpPort : server.tcpPort;
    const packets: WirePacket[] = [];
    let fromServer = 0;
    clients.forEach((c, i) => {
      const clientPort = 40000 + i;
      for (const payload of c.rawReceived) packets.push({ proto: transport, sport: SERVER_PORT, dport: clientPort, payload });
      fromServer += c.rawReceived.length;
      for (const payload of c.rawSent) packets.push({ proto: transport, sport: clientPort, dport: SERVER_PORT, payload });
    });
    assert.ok(serverPort > 0);
    return { packets, fromServer };
  } finally {
    for (const c of clients) await c.close();
    await server.close();
  }
}

const FIELDS = [
  'bfcp.ver',
  'bfcp.primitive',
  'bfcp.hdr_r_bit',
  'bfcp.conference_id',
  'bfcp.transaction_id',
  'bfcp.request_status',
  'bfcp.queue_pos',
  'bfcp.error_code',
  'bfcp.user_disp_name',
  'bfcp.supp_primitive',
  '_ws.malformed',
  '_ws.expert.severity',
] as const;

if (tsharkSuite('BFCP messages of our server, dissected by tshark')) {
  describe('BFCP messages of our server, dissected by tshark', () => {
    const cases = [
      { transport: 'tcp', version: 1 },
      { transport: 'udp', version: 1 },
      { transport: 'udp', version: 2 },
    ] as const;
    for (const { transport, version } of cases) {
      it(`over ${transport}, version ${version}: every message dissects clean, with the values we sent`, async () => {
        const v = tsharkVersion();
        // tshark before 4.2 reads BFCP version 1 only: version 2 messages are shown to it with the
        // version bits set to 1 (nothing else differs without fragmentation); the codec tests check
        // the version bits themselves.
        const v1Only = version === 2 && v !== undefined && (v[0] < 4 || (v[0] === 4 && v[1] < 2));
        const { packets: sent, fromServer } = await conversation(transport, version);
        assert.ok(fromServer >= 14, `${fromServer} messages from the server`);
        const ours = sent.filter((p) => p.sport === SERVER_PORT);
        assert.ok(
          ours.every((p) => p.payload[0]! >> 5 === version && (p.payload[0]! & 0x08) === 0),
          'the server: version bits as negotiated, never fragmented',
        );
        const packets = v1Only ? sent.map((p) => ({ ...p, payload: Uint8Array.from(p.payload, (b, i) => (i === 0 ? (b & 0x1f) | (1 << 5) : b)) })) : sent;
        const rows = dissectFields(packets, FIELDS, HEURISTICS);
        assert.equal(rows.length, packets.length);
        const col = (row: string[][], f: (typeof FIELDS)[number]): string[] => row[FIELDS.indexOf(f)]!;
        rows.forEach((row, i) => {
          assert.equal(col(row, 'bfcp.primitive').length, 1, `frame ${i + 1} not dissected as BFCP`);
          assert.deepEqual(col(row, '_ws.malformed'), [], `frame ${i + 1} malformed`);
          assert.deepEqual(col(row, '_ws.expert.severity'), [], `frame ${i + 1} has expert info`);
          assert.deepEqual(col(row, 'bfcp.ver'), [String(v1Only ? 1 : version)]);
          assert.deepEqual(col(row, 'bfcp.conference_id'), [String(CONF)]);
        });
        const server = rows.filter((_r, i) => packets[i]!.sport === SERVER_PORT);
        const primitives = new Set(server.flatMap((r) => col(r, 'bfcp.primitive')).map(Number));
        for (const p of [
          Primitive.HelloAck,
          Primitive.FloorRequestStatus,
          Primitive.FloorStatus,
          Primitive.UserStatus,
          Primitive.Error,
          Primitive.GoodbyeAck,
        ]) {
          assert.ok(primitives.has(p), `server sent primitive ${p}: ${[...primitives]}`);
        }
        const statuses = new Set(server.flatMap((r) => col(r, 'bfcp.request_status')).map(Number));
        for (const s of [RequestStatus.Pending, RequestStatus.Accepted, RequestStatus.Granted, RequestStatus.Released, RequestStatus.Revoked]) {
          assert.ok(statuses.has(s), `request status ${s} among ${[...statuses]}`);
        }
        const accepted = server.find((r) => col(r, 'bfcp.request_status').includes(String(RequestStatus.Accepted)))!;
        assert.ok(col(accepted, 'bfcp.queue_pos').includes('1'));
        assert.ok(server.some((r) => col(r, 'bfcp.error_code').includes('7')));
        assert.ok(server.some((r) => col(r, 'bfcp.user_disp_name').includes('Room 1')));
        const helloAck = server.find((r) => col(r, 'bfcp.primitive')[0] === String(Primitive.HelloAck))!;
        assert.ok(col(helloAck, 'bfcp.supp_primitive').includes(String(Primitive.FloorRequest)));
        // Server-initiated notifications: transaction 0 over TCP; over UDP a fresh non-zero one, acknowledged.
        const notes = server.filter((r) => col(r, 'bfcp.hdr_r_bit')[0] === 'False' || col(r, 'bfcp.hdr_r_bit')[0] === '0');
        assert.ok(notes.length >= 4);
        for (const n of notes) assert.equal(col(n, 'bfcp.transaction_id')[0] === '0', transport === 'tcp');
        if (transport === 'udp') {
          const acks = rows.filter((r) => [Primitive.FloorRequestStatusAck, Primitive.FloorStatusAck].map(String).includes(col(r, 'bfcp.primitive')[0]!));
          assert.ok(acks.length >= notes.length);
        }
        for (const [i, frame] of dissect(packets, HEURISTICS).entries()) {
          const bfcp = frame.slice(frame.indexOf('Binary Floor Control Protocol'));
          assert.doesNotMatch(bfcp, /Malformed|Expert Info|too small/i, `frame ${i + 1}:\n${bfcp}`);
        }
      });
    }
  });
}
