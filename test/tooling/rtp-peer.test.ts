import { strict as assert } from 'node:assert';
import type Mrf from 'drachtio-fsmrf';
import { PCMU, RtpPeer, TELEPHONE_EVENT, goertzel, sdpAudioTarget, toneRatio, ulawDecode, ulawEncode } from '../support/rtp-peer';
import { requireStack, startMediaStack, waitFor, type MediaStack } from '../support/stack';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function sine(freqHz: number, n: number, amplitude = 10_000): number[] {
  return Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * freqHz * i) / 8000));
}

describe('tooling: RtpPeer', function () {
  describe('G.711 µ-law and Goertzel', function () {
    it('round-trips µ-law within the quantisation step and keeps the sign', function () {
      for (const x of [0, 1, -1, 100, -100, 1000, -1000, 8000, -8000, 32000, -32000]) {
        const y = ulawDecode(ulawEncode(x));
        assert.ok(Math.abs(y - x) <= Math.max(8, Math.abs(x) / 16), `${x} → ${y}`);
        if (Math.abs(x) > 8) assert.equal(Math.sign(y), Math.sign(x));
      }
      // the reference values of G.711: 0 → 0xFF, full scale → 0x80 / 0x00
      assert.equal(ulawEncode(0), 0xff);
      assert.equal(ulawEncode(32767), 0x80);
      assert.equal(ulawEncode(-32768), 0x00);
      assert.equal(ulawDecode(0x80), 32124);
      assert.equal(ulawDecode(0x00), -32124);
    });

    it('measures a tone as a share of the total power', function () {
      const tone = sine(1000, 8000);
      assert.ok(toneRatio(tone, 1000) > 0.99);
      assert.ok(toneRatio(tone, 400) < 0.01);
      assert.equal(toneRatio(new Array<number>(8000).fill(0), 1000), 0);
      // goertzel of N samples of A·sin at the bin: (A·N/2)²
      assert.ok(Math.abs(goertzel(sine(1000, 800, 1), 1000) / (400 * 400) - 1) < 1e-6);
    });
  });

  describe('on loopback', function () {
    this.timeout(10_000);
    let a: RtpPeer;
    let b: RtpPeer;
    beforeEach(async function () {
      a = await RtpPeer.open();
      b = await RtpPeer.open();
    });
    afterEach(function () {
      a.close();
      b.close();
    });

    it('writes an SDP body for PCMU + telephone-event at 20 ms', function () {
      const sdp = a.sdp({ sessionId: 42 });
      assert.match(sdp, /^v=0\r\n/);
      assert.match(sdp, /^o=- 42 \d+ IN IP4 127\.0\.0\.1\r$/m);
      assert.match(sdp, /^c=IN IP4 127\.0\.0\.1\r$/m);
      assert.match(sdp, new RegExp(`^m=audio ${a.port} RTP/AVP 0 101\\r$`, 'm'));
      assert.match(sdp, /^a=rtpmap:0 PCMU\/8000\r$/m);
      assert.match(sdp, /^a=rtpmap:101 telephone-event\/8000\r$/m);
      assert.match(sdp, /^a=ptime:20\r$/m);
      assert.match(sdp, /^a=sendrecv\r$/m);
      assert.match(a.sdp({ direction: 'sendonly', payloadTypes: [PCMU] }), /m=audio \d+ RTP\/AVP 0\r\n(?:.*\r\n)*a=sendonly\r\n$/);
      assert.deepEqual(sdpAudioTarget(sdp), { host: '127.0.0.1', port: a.port });
    });

    it('sends a 1 kHz tone at 50 packets/s that the other peer measures', async function () {
      a.startTone({ host: b.host, port: b.port }, 1000);
      await sleep(1200);
      const before = b.received().packets;
      await sleep(1000);
      const perSecond = b.received().packets - before;
      assert.ok(perSecond >= 47 && perSecond <= 53, `${perSecond} packets in 1 s`);
      assert.deepEqual([...b.received().payloadTypes], [PCMU]);
      const at1k = b.toneEnergy(1000);
      assert.ok(at1k > 0.8, `1000 Hz ratio ${at1k}`);
      assert.ok(b.toneEnergy(400) < 0.05, `400 Hz ratio ${b.toneEnergy(400)}`);
      a.stop();
      await sleep(300);
      // nothing arrived in the last 200 ms: the window is empty
      assert.equal(b.toneEnergy(1000, 200), 0);
    });

    it('sends RFC 4733 DTMF (PT 101) that the other peer decodes, also in the middle of a tone', async function () {
      const remote = { host: b.host, port: b.port };
      await a.sendDtmf(remote, ''); // nothing to send: resolves at once
      await a.sendDtmf(remote, '1');
      await assert.rejects(a.sendDtmf(remote, '1x'), /not a DTMF digit/);
      a.startTone(remote, 1000);
      await a.sendDtmf(remote, '#9');
      a.close();
      await sleep(50);
      const got = b.received();
      assert.ok(got.payloadTypes.has(TELEPHONE_EVENT));
      assert.equal(got.dtmf, '1#9');
    });

    it('is idempotent to stop and close and leaves no timer behind', async function () {
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      await sleep(0); // mocha arms its own timeout timer once this function has returned its promise
      const before = timers();
      a.startTone({ host: b.host, port: b.port }, 440);
      const pending = a.sendDtmf({ host: b.host, port: b.port }, '123');
      a.stop();
      a.stop();
      await pending; // stop() settles a pending DTMF send
      a.close();
      a.close();
      assert.throws(() => a.startTone({ host: b.host, port: b.port }, 440), /closed/);
      assert.equal(timers(), before, 'timers left after close()');
      const n = b.received().packets;
      await sleep(100);
      assert.equal(b.received().packets, n);
    });
  });

  describe('through a FreeSWITCH conference (drachtio-fsmrf)', function () {
    this.timeout(120_000);
    let stack: MediaStack | undefined;
    let ms: Mrf.MediaServer | undefined;
    const peers: RtpPeer[] = [];
    const endpoints: Mrf.Endpoint[] = [];

    before(async function () {
      stack = await startMediaStack(requireStack(this, 'RtpPeer through a FreeSWITCH conference'));
      ms = await stack.mediaServer();
    });

    after(async function () {
      await Promise.allSettled(endpoints.map((ep) => ep.destroy()));
      for (const p of peers) p.close();
      await stack?.stop();
    });

    it("carries peer A's 1 kHz tone to peer B through the mix, and DTMF to FreeSWITCH", async function () {
      const [a, b] = [await RtpPeer.open(), await RtpPeer.open()];
      peers.push(a, b);
      const epA = await ms!.createEndpoint({ remoteSdp: a.sdp() });
      endpoints.push(epA);
      const epB = await ms!.createEndpoint({ remoteSdp: b.sdp() });
      endpoints.push(epB);
      const toA = sdpAudioTarget(epA.local.sdp);
      const toB = sdpAudioTarget(epB.local.sdp);
      // the conference profile at 16 kHz: the mixer resamples our 8 kHz PCMU both ways
      await epA.join('toneconf', { profile: 'diemcau-audio' });
      await epB.join('toneconf', { profile: 'diemcau-audio' });
      // both send from the start, as a phone would: FreeSWITCH learns where to send RTP
      a.startSilence(toA);
      b.startSilence(toB);
      await sleep(1500);
      const silent = b.toneEnergy(1000);
      assert.ok(b.received().packets > 0, 'peer B receives RTP from the conference');
      assert.ok(silent < 0.1, `with A silent, B's 1000 Hz ratio is ${silent}`);

      a.startTone(toA, 1000);
      await sleep(2000);
      const heard = b.toneEnergy(1000);
      assert.ok(heard > 0.3, `B's 1000 Hz ratio with A sending a tone is ${heard}`);
      assert.ok(b.toneEnergy(400) < 0.05, `B's 400 Hz ratio is ${b.toneEnergy(400)}`);
      // a member does not hear itself in the mix
      assert.ok(a.toneEnergy(1000) < 0.1, `A hears its own tone: ${a.toneEnergy(1000)}`);

      a.startSilence(toA);
      await sleep(1500);
      const after = b.toneEnergy(1000);
      assert.ok(after < 0.1, `after A went silent, B's 1000 Hz ratio is ${after}`);

      // RFC 4733 digits reach FreeSWITCH (9 is not a conference control, so nothing reacts)
      const digit = new Promise<string>((resolve) => epA.on('dtmf', (evt) => resolve(evt.dtmf)));
      await a.sendDtmf(toA, '9');
      assert.equal(await Promise.race([digit, sleep(3000).then(() => 'no DTMF event in 3 s')]), '9');

      await Promise.all(endpoints.splice(0).map((ep) => ep.destroy()));
      await waitFor('no FreeSWITCH channel left', async () => (/^0 total\./m.test(await stack!.fs.fsCli('show channels count')) ? true : undefined));
    });
  });
});
