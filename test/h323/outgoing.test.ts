import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { classify } from '../../src/calls/dial-out/retry-policy';
import { parseH323Address } from '../../src/calls/h323/dial';
import { offerAddresses } from '../../src/calls/h323/sdp';
import { placeH323, type OutgoingCallOptions } from '../../src/h323';
import { silentLogger } from '../../src/log';
import { IeId, MessageType, causeValue, decodeQ931, findIe } from '../../src/h323/q931/q931';
import { TpktReader, tpktFrame } from '../../src/h323/q931/tpkt';
import { assertClean, dissect, requireTshark } from './support/tshark';
import { startCallServer } from '../../src/h323/call/call-server';
import { memoryLogger } from './support/memory-log';
import { TestSink } from './support/test-sink';
import { AnsweringEndpoint } from './support/answering-endpoint';

/** Open sockets and timers of this process, to show an attempt leaves none behind. */
const resources = (): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (r === 'Timeout' || r === 'TCPSocketWrap') out[r] = (out[r] ?? 0) + 1;
  return out;
};

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

/** A listener that does `onSocket` with each connection (never answers unless told to). */
async function rawListener(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, sockets };
}

const closeListener = async (l: { server: Server; sockets: Socket[] }) => {
  for (const s of l.sockets) s.destroy();
  await new Promise<void>((r) => l.server.close(() => r()));
};

describe('H.323 outgoing call (placeH323)', () => {
  /** Octets our side sent in the ring-timeout test (Setup with video, Release Complete), for tshark. */
  const rawSent: Buffer[] = [];
  const base = (port: number, over: Partial<OutgoingCallOptions> = {}): OutgoingCallOptions => ({
    to: { ip: '127.0.0.1', port },
    destAlias: '2302',
    ourAlias: '2071',
    display: 'Room 2071',
    audio: { ip: '127.0.0.1', port: 40000, codecs: ['PCMU', 'PCMA', 'G722'] },
    ringTimeoutMs: 2000,
    log: silentLogger,
    ...over,
  });

  it('answers: the endpoint gets fast start to our address, we get its; hangup sends Release Complete 16', async () => {
    const ep = await AnsweringEndpoint.listen({ kind: 'answer', audio: { ip: '127.0.0.1', port: 42000 } });
    const before = resources();
    const r = await placeH323(base(ep.address.port));
    assert.equal(r.kind, 'answered');
    if (r.kind !== 'answered') return;
    assert.deepEqual(r.media, { audio: { ip: '127.0.0.1', port: 42000, codec: 'PCMU' } });
    const incoming = ep.calls[0]!;
    assert.deepEqual(incoming.sendTo, { ip: '127.0.0.1', port: 40000 });
    assert.deepEqual(incoming.setup.dialled, ['2302']);
    assert.equal(incoming.setup.tunnelling, true);
    r.hangup();
    assert.deepEqual(await r.ended, { cause: 16 });
    await incoming.closed;
    assert.equal(incoming.releaseCause, 16);
    await settle();
    assert.deepEqual(resources(), before);
    await ep.close();
  });

  it('the endpoint hanging up ends the call with its cause', async () => {
    const ep = await AnsweringEndpoint.listen({ kind: 'answer', audio: { ip: '127.0.0.1', port: 42000 } });
    const r = await placeH323(base(ep.address.port));
    assert.equal(r.kind, 'answered');
    if (r.kind !== 'answered') return;
    ep.calls[0]!.hangup(16);
    assert.deepEqual(await r.ended, { cause: 16 });
    await ep.close();
  });

  it('busy (cause 17) fails with 486, which the retry policy calls busy', async () => {
    const ep = await AnsweringEndpoint.listen({ kind: 'release', cause: 17 });
    const r = await placeH323(base(ep.address.port));
    assert.deepEqual(r.kind === 'failed' && [r.sipStatus, r.cause, classify({ status: r.sipStatus! })], [486, 17, 'busy']);
    await ep.close();
  });

  it('nobody listening: failed without a status (unreachable)', async () => {
    const l = await rawListener(() => undefined);
    const { port } = l;
    await closeListener(l);
    const before = resources();
    const r = await placeH323(base(port));
    assert.deepEqual(r.kind === 'failed' && [r.sipStatus, r.timedOut], [undefined, false]);
    await settle();
    assert.deepEqual(resources(), before);
  });

  it('no answer in time: Release Complete 102 to the endpoint, failed as timed out, nothing left open', async () => {
    const got: Buffer[] = [];
    const l = await rawListener((s) => s.on('data', (c) => got.push(c)));
    const before = resources();
    const r = await placeH323(base(l.port, { ringTimeoutMs: 300, video: { ip: '127.0.0.1', port: 40002, payloadType: 109, maxBitRate100bps: 2941 } }));
    assert.deepEqual(r.kind === 'failed' && [r.timedOut, classify({ timedOut: r.timedOut })], [true, 'no-answer']);
    await new Promise((res) => l.sockets[0]!.once('end', res));
    const reader = new TpktReader();
    const msgs = [...reader.push(Buffer.concat(got))].map((b) => decodeQ931(b));
    assert.deepEqual(
      msgs.map((m) => m.messageType),
      [MessageType.setup, MessageType.releaseComplete],
    );
    assert.equal(causeValue(findIe(msgs[1]!, IeId.cause)!), 102);
    rawSent.push(Buffer.concat(got));
    l.sockets[0]!.end();
    await settle(100);
    await closeListener(l);
    assert.deepEqual(resources(), before);
  });

  it('a malformed reply fails the attempt and closes the connection', async () => {
    const l = await rawListener((s) => s.once('data', () => s.write(Buffer.from([3, 0, 0, 9, 0xff, 0xff, 0xff, 0xff, 0xff]))));
    const before = resources();
    const r = await placeH323(base(l.port));
    assert.equal(r.kind, 'failed');
    assert.match(r.kind === 'failed' ? r.reason : '', /malformed/);
    await settle(100);
    await closeListener(l);
    assert.deepEqual(resources(), before);
  });

  it('what we send decodes in tshark (Setup with fastStart and tunnelled TCS/MSD, Release Complete)', function () {
    requireTshark(this, this.test?.title ?? 'tshark check');
    const reader = new TpktReader();
    const payloads = [...reader.push(Buffer.concat(rawSent))];
    const frames = dissect(payloads.map((q931) => ({ proto: 'tcp' as const, sport: 40000, dport: 1720, payload: tpktFrame(q931) })));
    assert.equal(frames.length, 2);
    frames.forEach((f, i) => {
      assertClean(f, `message ${i}`);
    });
    const text = frames.join('\n');
    for (const body of ['setup', 'releaseComplete']) assert.match(text, new RegExp(`h323-message-body: ${body}`), body);
    assert.match(text, /fastStart: 8 items/);
    assert.match(text, /g711Ulaw64k/);
    assert.match(text, /g722-64k/);
    assert.match(text, /terminalCapabilitySet/);
    assert.match(text, /masterSlaveDetermination/);
    // A 384 kbit/s site: its video share both ways in fastStart, and in our tunnelled TCS.
    assert.deepEqual(text.match(/maxBitRate: \d+/g), ['maxBitRate: 2941', 'maxBitRate: 2941', 'maxBitRate: 2941']);
    assert.match(text, /Cause value: Recovery on timer expiry \(102\)/);
  });

  it("calls our own call server: its fast-start answer and tunnelled H.245 (TCS, MSD) are handled; either side's release reaches the other", async () => {
    const sink = new TestSink(async () => ({ kind: 'answer', media: { audio: { ip: '127.0.0.1', port: 43000, codec: 'PCMU' } } }));
    const server = await startCallServer({ port: 0, sink, log: silentLogger });
    const ours = memoryLogger();
    try {
      const r = await placeH323(base(server.address().port, { destAlias: '2001', log: ours.log }));
      assert.equal(r.kind, 'answered');
      if (r.kind !== 'answered') return;
      assert.deepEqual(r.media, { audio: { ip: '127.0.0.1', port: 43000, codec: 'PCMU' } });
      assert.deepEqual(sink.offers[0]!.media, { audio: { ip: '127.0.0.1', port: 40000, codec: 'PCMU' } });
      assert.equal(sink.offers[0]!.callId, r.callId);
      const received = async (name: string) => {
        for (let i = 0; i < 40 && !ours.records.some((x) => x['h245'] === name); i++) await settle(25);
        return ours.records.some((x) => x['h245'] === name);
      };
      assert.ok(await received('response.terminalCapabilitySetAck'), 'our TCS acknowledged');
      assert.ok(await received('response.masterSlaveDeterminationAck'), 'MSD concluded');
      r.hangup();
      assert.deepEqual(await sink.hangupOf(r.callId), { cause: 16, reason: 'released by the endpoint' });

      const again = await placeH323(base(server.address().port, { destAlias: '2001' }));
      assert.equal(again.kind, 'answered');
      if (again.kind !== 'answered') return;
      server.release(again.callId, { sipStatus: 200 });
      assert.deepEqual(await again.ended, { cause: 16 });
    } finally {
      await server.close();
    }
  });

  it('cancelled while ringing: 487, Release Complete sent', async () => {
    const l = await rawListener(() => undefined);
    const ac = new AbortController();
    const p = placeH323(base(l.port, { signal: ac.signal }));
    await settle(100);
    ac.abort();
    const r = await p;
    assert.deepEqual(r.kind === 'failed' && r.sipStatus, 487);
    await closeListener(l);
  });
});

describe('H.323 dial-out helpers', () => {
  it('parses ip[:port] with 1720 by default, and nothing else', () => {
    assert.deepEqual(parseH323Address('10.1.2.3'), { ip: '10.1.2.3', port: 1720 });
    assert.deepEqual(parseH323Address(' 10.1.2.3:1721 '), { ip: '10.1.2.3', port: 1721 });
    assert.equal(parseH323Address('codec.example:1720'), undefined);
    assert.equal(parseH323Address('10.1.2.3:99999'), undefined);
    assert.equal(parseH323Address(null), undefined);
  });

  it("reads FreeSWITCH's offer: audio formats fast start carries, in its order, and H.264", () => {
    const sdp = [
      'v=0',
      'o=- 1 1 IN IP4 10.0.0.5',
      's=-',
      'c=IN IP4 10.0.0.5',
      't=0 0',
      'm=audio 20000 RTP/AVP 102 9 0 8 101',
      'a=rtpmap:102 opus/48000/2',
      'a=rtpmap:9 G722/8000',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      'm=video 20002 RTP/AVP 103',
      'a=rtpmap:103 H264/90000',
      '',
    ].join('\r\n');
    assert.deepEqual(offerAddresses(sdp), {
      audio: { ip: '10.0.0.5', port: 20000, codecs: ['G722', 'PCMU', 'PCMA'] },
      video: { ip: '10.0.0.5', port: 20002, payloadType: 103 },
    });
  });
});
