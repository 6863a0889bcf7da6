import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import {
  BROWSER_OFFER_TO_FREESWITCH,
  FREESWITCH_OFFER_TO_BROWSER,
  isWebRtcOffer,
  RtpEngineError,
  RtpEnginePool,
  type RelaySession,
} from '../../src/media/rtpengine';
import { requireRtpengine, startRtpengine, type TestRtpengine } from '../support/rtpengine';
import { waitFor } from '../support/stack';
import { chromeOffer, FINGERPRINT, sdp } from '../support/webrtc-sdp';

/**
 * The WebRTC ↔ plain RTP relay against the real rtpengine 10.5 daemon: the SDP each side gets, the
 * re-INVITEs in both directions on the same rtpengine call, delete, errors, and the pool's health
 * checks and spreading over two daemons.
 */

/** Chrome's answer to a FreeSWITCH re-offer (opus + VP8), as it would send it in the 200 OK. */
const chromeAnswer = () =>
  chromeOffer(3, 'active')
    .replace(' 111 63 9 0 8 13 110 126', ' 111 110')
    .replace(' 96 97 102 103', ' 96')
    .replace(/a=rtpmap:(?:63|9|0|8|13|126|97|102|103) .*\r\n|a=fmtp:(?:63|97|102|103) .*\r\n|a=rtcp-fb:102 .*\r\n/g, '');

/** What FreeSWITCH answers (or re-offers) on the conference leg: plain RTP, opus + VP8. */
function freeswitchSdp(version = 1): string {
  return sdp(
    'v=0',
    `o=FreeSWITCH 1700000000 ${1700000000 + version} IN IP4 127.0.0.1`,
    's=FreeSWITCH',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 24000 RTP/AVP 111 110',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 useinbandfec=1; minptime=10',
    'a=rtpmap:110 telephone-event/48000',
    'a=fmtp:110 0-16',
    'a=ptime:20',
    'a=sendrecv',
    'a=rtcp:24001 IN IP4 127.0.0.1',
    'm=video 24002 RTP/AVP 96',
    'b=AS:1024',
    'a=rtpmap:96 VP8/90000',
    'a=sendrecv',
    'a=rtcp:24003 IN IP4 127.0.0.1',
    'a=rtcp-fb:96 ccm fir',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
  );
}

interface MLine {
  media: string;
  port: number;
  proto: string;
  formats: string[];
  lines: string[];
}

/** The m-sections of an SDP, each with its own attribute lines. */
function mLines(text: string): MLine[] {
  const out: MLine[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^m=(\S+) (\d+) (\S+) (.*)$/.exec(line);
    if (m) out.push({ media: m[1]!, port: Number(m[2]), proto: m[3]!, formats: m[4]!.split(' '), lines: [] });
    else if (line && out.length) out[out.length - 1]!.lines.push(line);
  }
  return out;
}

const has = (m: MLine, prefix: string) => m.lines.some((l) => l.startsWith(prefix));
const ports = (text: string) => mLines(text).map((m) => m.port);

let callSeq = 0;
const newKeys = () => ({ callId: `diemcau-test-${process.pid}-${++callSeq}@127.0.0.1`, fromTag: `ft${callSeq}` });

async function rejectsWith(p: Promise<unknown>, kind: RtpEngineError['kind'], reason?: RegExp): Promise<RtpEngineError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RtpEngineError, `expected an RtpEngineError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    if (reason) assert.match(err.reason, reason);
    return err;
  }
  assert.fail(`expected an RtpEngineError (${kind})`);
}

describe('rtpengine flags (pure)', () => {
  it('tells a WebRTC offer from a plain SIP one', () => {
    assert.equal(isWebRtcOffer(chromeOffer()), true);
    assert.equal(isWebRtcOffer(freeswitchSdp()), false);
    // only ICE / only a fingerprint on an RTP/AVP line still means a WebRTC-style peer
    assert.equal(isWebRtcOffer(freeswitchSdp().replace('a=ptime:20', 'a=ice-ufrag:abcd')), true);
    assert.equal(isWebRtcOffer(freeswitchSdp().replace('a=ptime:20', `a=fingerprint:sha-256 ${FINGERPRINT}`)), true);
    // SDES-SRTP from a desk phone is not WebRTC
    assert.equal(
      isWebRtcOffer(
        freeswitchSdp()
          .replace(/RTP\/AVP/g, 'RTP/SAVP')
          .replace('a=ptime:20', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc'),
      ),
      false,
    );
  });

  it('are frozen, and say SDES as a list (a string is ignored by rtpengine)', () => {
    assert.ok(Object.isFrozen(BROWSER_OFFER_TO_FREESWITCH));
    assert.throws(() => (BROWSER_OFFER_TO_FREESWITCH.flags as unknown as string[]).push('x'));
    assert.deepEqual(BROWSER_OFFER_TO_FREESWITCH['SDES'], ['off']);
    assert.deepEqual(FREESWITCH_OFFER_TO_BROWSER['SDES'], ['off']);
  });
});

describe('rtpengine (real daemon)', function () {
  this.timeout(30_000);
  // one skip line for both suites when the daemon is not installed
  before(function () {
    requireRtpengine(this, 'rtpengine relay and pool');
  });

  describe('relay session', () => {
    let rtp: TestRtpengine;
    let pool: RtpEnginePool;
    const sessions: RelaySession[] = [];

    before(async () => {
      rtp = await startRtpengine();
      // a long interval: this suite is about SDP; the pool suite tests health checks
      pool = new RtpEnginePool([{ host: rtp.host, port: rtp.port }], { pingIntervalMs: 60_000 });
      await pool.start();
      assert.deepEqual(pool.states(), { [`rtpengine 127.0.0.1:${rtp.port}`]: 'up' });
    });

    after(async () => {
      pool?.close();
      await rtp?.stop();
    });

    afterEach(async () => {
      await Promise.all(sessions.splice(0).map((s) => s.delete()));
    });

    function open(toTag?: string): RelaySession {
      const s = pool.pick({ ...newKeys(), ...(toTag ? { toTag } : {}) });
      assert.ok(s, 'no rtpengine up');
      sessions.push(s);
      return s;
    }

    const inRange = (port: number) => port >= rtp.portMin && port <= rtp.portMax;

    it("rewrites Chrome's offer into plain RTP/AVP for FreeSWITCH", async () => {
      const session = open();
      const out = await session.offerToFreeswitch(chromeOffer());
      const [audio, video] = mLines(out);
      assert.ok(audio && video, out);
      assert.equal(mLines(out).length, 2);
      for (const m of [audio, video]) {
        assert.equal(m.proto, 'RTP/AVP', out);
        assert.ok(inRange(m.port), `port ${m.port} outside ${rtp.portMin}-${rtp.portMax}`);
        assert.ok(m.lines.includes('c=IN IP4 127.0.0.1'), out);
        // RTCP on its own port (rtcp-mux demux), as a plain SIP endpoint expects
        assert.ok(m.lines.includes(`a=rtcp:${m.port + 1}`), out);
      }
      assert.notEqual(audio.port, video.port);
      for (const gone of [/^a=ice-/m, /^a=candidate:/m, /^a=fingerprint:/m, /^a=setup:/m, /^a=extmap:/m, /^a=rtcp-mux/m, /^a=crypto:/m, /^a=group:BUNDLE/m]) {
        assert.doesNotMatch(out, gone);
      }
      assert.deepEqual(audio.formats.slice(0, 1), ['111']);
      assert.ok(audio.lines.includes('a=rtpmap:111 opus/48000/2'));
      assert.ok(video.lines.includes('a=rtpmap:96 VP8/90000'));
      assert.ok(video.lines.includes('a=rtpmap:102 H264/90000'));
      assert.deepEqual(await rtp.list(), [session.callId]);
    });

    it("rewrites FreeSWITCH's answer into WebRTC for the browser (un-bundled)", async () => {
      const session = open();
      await session.offerToFreeswitch(chromeOffer());
      const out = await session.answerToBrowser(freeswitchSdp());
      assert.ok(session.toTag, 'a to-tag is made when the caller has none');
      const ms = mLines(out);
      assert.equal(ms.length, 2, out);
      for (const [i, m] of ms.entries()) {
        assert.equal(m.proto, 'UDP/TLS/RTP/SAVPF', out);
        assert.ok(inRange(m.port));
        assert.ok(m.lines.includes(`a=mid:${i}`), `a=mid:${i} missing:\n${out}`);
        assert.ok(m.lines.includes('a=rtcp-mux'), out);
        assert.ok(has(m, 'a=fingerprint:sha-256 '), out);
        assert.ok(has(m, 'a=ice-ufrag:') && has(m, 'a=ice-pwd:'), out);
        assert.ok(
          m.lines.some((l) => l.startsWith('a=candidate:') && l.includes(` 127.0.0.1 ${m.port} typ host`)),
          out,
        );
        // the browser offered actpass; rtpengine takes the active DTLS role
        assert.ok(m.lines.includes('a=setup:active'), out);
      }
      assert.deepEqual(
        ms.map((m) => m.formats),
        [['111', '110'], ['96']],
      );
      // rtpengine 10.5 does not bundle its answer: a port per m-line and no a=group. The browser
      // therefore needs bundlePolicy 'balanced' (SIP.js's default), never 'max-bundle'.
      assert.notEqual(ms[0]!.port, ms[1]!.port);
      assert.doesNotMatch(out, /^a=group:BUNDLE/m);
      assert.doesNotMatch(out, /^a=crypto:/m);
    });

    it('keeps the same rtpengine call and ports through a re-INVITE from the browser', async () => {
      const session = open('caller-supplied-to-tag');
      const toFs = await session.offerToFreeswitch(chromeOffer(2));
      const toBrowser = await session.answerToBrowser(freeswitchSdp(1));
      assert.equal(session.toTag, 'caller-supplied-to-tag');

      const toFs2 = await session.reofferFromBrowser(chromeOffer(3));
      const toBrowser2 = await session.reanswerFromFreeswitch(freeswitchSdp(2));
      assert.deepEqual(ports(toFs2), ports(toFs));
      assert.deepEqual(ports(toBrowser2), ports(toBrowser));
      assert.deepEqual(
        mLines(toBrowser2).map((m) => m.proto),
        ['UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVPF'],
      );
      assert.deepEqual(await rtp.list(), [session.callId]);
    });

    it('keeps the same rtpengine call and ports through a re-INVITE from FreeSWITCH', async () => {
      const session = open();
      const toFs = await session.offerToFreeswitch(chromeOffer());
      const toBrowser = await session.answerToBrowser(freeswitchSdp(1));

      const offer = await session.reofferFromFreeswitch(freeswitchSdp(2));
      const ms = mLines(offer);
      assert.deepEqual(
        ms.map((m) => m.proto),
        ['UDP/TLS/RTP/SAVPF', 'UDP/TLS/RTP/SAVPF'],
        offer,
      );
      for (const m of ms) {
        assert.ok(m.lines.includes('a=setup:actpass'), offer);
        assert.ok(m.lines.includes('a=rtcp-mux') && has(m, 'a=ice-ufrag:') && has(m, 'a=fingerprint:'), offer);
      }
      // SDES: ['off'] — without it rtpengine offers a=crypto beside DTLS
      assert.doesNotMatch(offer, /^a=crypto:/m);
      assert.deepEqual(ports(offer), ports(toBrowser));

      const answer = await session.reanswerFromBrowser(chromeAnswer());
      assert.deepEqual(
        mLines(answer).map((m) => m.proto),
        ['RTP/AVP', 'RTP/AVP'],
        answer,
      );
      assert.doesNotMatch(answer, /^a=(?:ice-|candidate:|fingerprint:|extmap:)/m);
      assert.deepEqual(ports(answer), ports(toFs));
      assert.deepEqual(
        mLines(answer).map((m) => m.formats),
        [['111', '110'], ['96']],
      );
      assert.deepEqual(await rtp.list(), [session.callId]);
    });

    it('delete() removes the call, twice is a no-op, and the session is closed after', async () => {
      const session = open();
      await session.offerToFreeswitch(chromeOffer());
      await session.answerToBrowser(freeswitchSdp());
      assert.equal(pool.instances()[0]!.activeSessions, 1);
      await session.delete();
      assert.deepEqual(await rtp.list(), []);
      assert.equal(pool.instances()[0]!.activeSessions, 0);
      await session.delete();
      await Promise.all([session.delete(), session.delete()]);
      assert.equal(pool.instances()[0]!.activeSessions, 0);
      await rejectsWith(session.reofferFromBrowser(chromeOffer(3)), 'closed');
    });

    it('delete() of a call rtpengine never had, or already dropped, is fine', async () => {
      const never = open();
      await never.delete();
      const dropped = open();
      await dropped.offerToFreeswitch(chromeOffer());
      const other = pool.pick({ callId: dropped.callId, fromTag: dropped.fromTag });
      assert.ok(other);
      await other.delete(); // someone else removed the call first
      await dropped.delete();
      assert.deepEqual(await rtp.list(), []);
    });

    it("turns rtpengine's errors into RtpEngineError", async () => {
      const bad = open();
      const err = await rejectsWith(bad.offerToFreeswitch('not an SDP'), 'error', /parse SDP/i);
      assert.equal(err.command, 'offer');
      assert.equal(err.instance, `127.0.0.1:${rtp.port}`);

      // an answer for a call rtpengine never saw
      await rejectsWith(open().answerToBrowser(freeswitchSdp()), 'error', /unknown call-id/i);
      // a re-INVITE before the dialog exists: caught before asking rtpengine
      await rejectsWith(open().reanswerFromFreeswitch(freeswitchSdp()), 'protocol', /to-tag/);
      await rejectsWith(open().reofferFromFreeswitch(freeswitchSdp()), 'protocol', /to-tag/);
    });
  });

  describe('pool of two daemons', () => {
    let a: TestRtpengine;
    let b: TestRtpengine;
    let pool: RtpEnginePool | undefined;

    before(async () => {
      [a, b] = await Promise.all([startRtpengine(), startRtpengine()]);
    });

    after(async () => {
      pool?.close();
      await Promise.all([a?.stop(), b?.stop()]);
    });

    it('spreads sessions least-loaded, and moves new ones off a daemon that stops answering', async () => {
      pool = new RtpEnginePool(
        [
          { host: a.host, port: a.port },
          { host: b.host, port: b.port },
        ],
        // a generous timeout: a loaded CI machine must not mark a live daemon down
        { pingIntervalMs: 250, requestTimeoutMs: 1000 },
      );
      const keyA = `rtpengine 127.0.0.1:${a.port}`;
      const keyB = `rtpengine 127.0.0.1:${b.port}`;
      assert.deepEqual(pool.states(), { [keyA]: 'connecting', [keyB]: 'connecting' });
      assert.equal(pool.pick(newKeys()), undefined, 'nothing is up before the first ping');
      await pool.start();
      assert.deepEqual(pool.states(), { [keyA]: 'up', [keyB]: 'up' });

      const first = [0, 1, 2, 3].map(() => pool!.pick(newKeys())!);
      await Promise.all(first.map((s) => s.offerToFreeswitch(chromeOffer())));
      assert.deepEqual(
        pool.instances().map((i) => i.activeSessions),
        [2, 2],
      );
      assert.equal((await a.list()).length, 2);
      assert.equal((await b.list()).length, 2);

      // a freed slot on b makes b the least loaded
      const onB = first.find((s) => s.instance === `127.0.0.1:${b.port}`)!;
      await onB.delete();
      const next = pool.pick(newKeys())!;
      assert.equal(next.instance, `127.0.0.1:${b.port}`);

      const downs: string[] = [];
      pool.on('down', (id: string) => downs.push(id));
      await b.stop();
      await waitFor('b to be marked down', async () => (pool!.states()[keyB] === 'down' ? true : undefined), 5000, 50);
      assert.deepEqual(downs, [`127.0.0.1:${b.port}`]);
      assert.equal(pool.states()[keyA], 'up');

      // a has more sessions now, but is the only one up
      const later = [0, 1, 2].map(() => pool!.pick(newKeys())!);
      assert.deepEqual([...new Set(later.map((s) => s.instance))], [`127.0.0.1:${a.port}`]);

      // deleting on a dead daemon: the request times out (the local count is released anyway), and
      // a second delete is a no-op
      await rejectsWith(next.delete(), 'timeout');
      await next.delete();

      await Promise.all([...first, ...later].filter((s) => s.instance === `127.0.0.1:${a.port}`).map((s) => s.delete()));
      const stuckOnB = first.filter((s) => s !== onB && s.instance === `127.0.0.1:${b.port}`);
      await Promise.all(stuckOnB.map((s) => s.delete().catch(() => undefined)));
      assert.deepEqual(
        pool.instances().map((i) => i.activeSessions),
        [0, 0],
      );
      assert.deepEqual(await a.list(), []);

      pool.close();
      assert.equal(pool.pick(newKeys()), undefined, 'a closed pool picks nothing');
    });

    it('picks nothing when no instance is up', async () => {
      // a UDP port nobody answers on: bound by us and never read
      const silent = createSocket('udp4');
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
      const dead = new RtpEnginePool([{ host: '127.0.0.1', port: silent.address().port }], { pingIntervalMs: 100, requestTimeoutMs: 150 });
      try {
        await dead.start();
        assert.deepEqual(Object.values(dead.states()), ['down']);
        assert.equal(dead.pick(newKeys()), undefined);
        assert.equal(new RtpEnginePool([]).pick(newKeys()), undefined, 'no instance configured');
      } finally {
        dead.close();
        silent.close();
      }
    });
  });
});
