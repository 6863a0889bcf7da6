/**
 * Real endpoints' messages against our servers: every RAS request and every Setup in nDPI's
 * h323.pcap (written by other H.323 stacks) is replayed to the gatekeeper and the call server.
 * Each must be answered (the malformed frame 59 dropped), and every answer must decode in tshark.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import * as h225 from '../../src/h323/asn1/generated/h225';
import { startCallServer, type H323CallServer } from '../../src/h323/call/call-server';
import { choicePath, get, getNumber, isChoice } from '../../src/h323/messages/read';
import { PerDecodeError, perDecode } from '../../src/h323/per';
import { MessageType, causeValue, decodeQ931, findIe, IeId } from '../../src/h323/q931/q931';
import { TpktReader, tpktFrame } from '../../src/h323/q931/tpkt';
import { startGatekeeper, type Gatekeeper } from '../../src/h323/ras/gatekeeper';
import { capturedPdus } from './support/capture';
import { envPath } from './support/env';
import { skipSuite } from '../support/skip';
import { RasClient } from './support/ras-client';
import { TestSink } from './support/test-sink';
import { assertClean, dissect, requireTshark } from './support/tshark';

const TITLE = 'H.323 servers answer the requests of a real capture';
const pcap = envPath('H323_PCAP');

if (!pcap) skipSuite(TITLE, 'H323_PCAP (nDPI h323.pcap) not set');
else {
  describe(TITLE, function () {
    this.timeout(30_000);
    const pdus = capturedPdus(readFileSync(pcap));
    let gk: Gatekeeper;
    let server: H323CallServer;
    let ras: RasClient;
    const sink = new TestSink(async () => ({ kind: 'reject', sipStatus: 404, reason: 'test' }));
    const callReplies: Uint8Array[] = [];

    before(async () => {
      server = await startCallServer({ port: 0, sink });
      // A directory that knows every alias: the capture's endpoints register.
      gk = await startGatekeeper({
        port: 0,
        callSignalAddress: server.address(),
        directory: { lookupAlias: async (a) => ({ siteId: `site-${a}`, name: a, allowedNetworks: [] }) },
      });
      ras = await RasClient.open(gk.address());
    });
    after(async () => {
      await ras.close();
      await gk.close();
      await server.close();
    });

    it('answers every RAS request in the capture and drops the malformed one', async () => {
      const answered: string[] = [];
      let malformed = 0;
      for (const p of pdus.filter((x) => x.kind === 'ras')) {
        let msg: ReturnType<typeof perDecode>;
        try {
          msg = perDecode(h225.RasMessage, p.bytes);
        } catch (e) {
          assert.ok(e instanceof PerDecodeError);
          malformed++;
          ras.sendRaw(p.bytes); // the gatekeeper must survive it too
          continue;
        }
        if (!isChoice(msg) || !/Request$|^infoRequest$/.test(msg.choice)) continue;
        const reply = await ras.requestRaw(p.bytes, getNumber(msg.value, 'requestSeqNum')!);
        const reason = choicePath(get(reply.value, 'rejectReason'), 1)[0];
        answered.push(`${p.frame} ${msg.choice}→${reply.choice}${reason ? ` ${reason}` : ''}`);
      }
      assert.equal(malformed, 1, 'frame 59');
      // The capture's endpoint registers with a mobileUIM alias only (nothing a directory can name),
      // then refreshes a registration made with another gatekeeper: both refused, as they must be.
      assert.deepEqual(answered, [
        '61 registrationRequest→registrationReject invalidAlias',
        '63 admissionRequest→admissionReject callerNotRegistered',
        '67 infoRequest→unknownMessageResponse',
        '68 infoRequest→unknownMessageResponse',
        '69 disengageRequest→disengageReject notRegistered',
        '70 disengageRequest→disengageReject notRegistered',
        '71 registrationRequest→registrationReject fullRegistrationRequired',
        '73 registrationRequest→registrationReject fullRegistrationRequired',
        '75 registrationRequest→registrationReject fullRegistrationRequired',
      ]);
    });

    it('answers every Setup in the capture (none dials a room: Release Complete, cause 1; the malformed frame 65 dropped)', async () => {
      const setups = pdus
        .filter((x) => x.kind === 'q931')
        .filter((x) => {
          try {
            return decodeQ931(x.bytes).messageType === MessageType.setup;
          } catch {
            return false;
          }
        });
      assert.deepEqual(
        setups.map((x) => x.frame),
        [6, 47, 65],
      );
      for (const s of setups) {
        const replies = await exchange(server.address(), s.bytes);
        if (s.frame === 65) {
          // The malformed frame: the connection is dropped without an answer.
          assert.deepEqual(replies, []);
          continue;
        }
        assert.equal(replies.length, 1, `frame ${s.frame}`);
        const rc = decodeQ931(replies[0]!);
        assert.equal(rc.messageType, MessageType.releaseComplete);
        assert.equal(rc.callReference, decodeQ931(s.bytes).callReference);
        assert.equal(causeValue(findIe(rc, IeId.cause)!), 1);
        callReplies.push(...replies);
      }
      assert.equal(sink.offers.length, 0);
    });

    it('every answer decodes in tshark', function () {
      requireTshark(this, this.test?.title ?? 'tshark check');
      const frames = dissect([
        ...ras.received.map((payload) => ({ proto: 'udp' as const, sport: 1719, dport: 1719, payload })),
        ...callReplies.map((q931) => ({ proto: 'tcp' as const, sport: 1720, dport: 40000, payload: tpktFrame(q931) })),
      ]);
      assert.equal(frames.length, ras.received.length + callReplies.length);
      frames.forEach((f, i) => {
        assertClean(f, `answer ${i}`);
      });
    });
  });
}

/** Sends one Q.931 message on a new connection and collects what comes back until the server closes. */
async function exchange(to: { ip: string; port: number }, q931: Uint8Array): Promise<Uint8Array[]> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(to.port, to.ip, () => resolve(s));
    s.once('error', reject);
  });
  const reader = new TpktReader();
  const out: Uint8Array[] = [];
  socket.on('data', (chunk) => out.push(...reader.push(chunk)));
  socket.write(tpktFrame(q931));
  await new Promise<void>((r) => socket.once('close', () => r()));
  return out;
}
