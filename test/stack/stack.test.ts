import { strict as assert } from 'node:assert';
import { requireStack, startMediaStack, waitFor, type MediaStack } from '../support/stack';

// drachtio-srf's typings describe request() wrongly: the callback gets the request as sent, and the
// answer arrives as its 'response' event.
interface SentRequest {
  on(event: 'response', listener: (res: { status: number; reason: string }) => void): void;
}
type SrfRequest = (uri: string, opts: { method: string; headers?: Record<string, string> }, cb: (err: Error | null, sent: SentRequest) => void) => void;

describe('SIP/media stack: drachtio-server + FreeSWITCH with the project config', function () {
  this.timeout(120_000);
  let stack: MediaStack | undefined;

  before(async function () {
    stack = await startMediaStack(requireStack(this, 'SIP/media stack'));
  });

  after(async function () {
    await stack?.stop();
  });

  it('runs the drachtio_mrf SIP profile on the chosen port', async function () {
    const status = await stack!.fs.fsCli('sofia status');
    assert.match(status, new RegExp(`^\\s*drachtio_mrf\\s+profile\\s+sip:mod_sofia@127\\.0\\.0\\.1:${stack!.fs.sipPort}\\s+RUNNING`, 'm'));
  });

  it('has the codecs the bridge offers (G.722, Opus, H.264, VP8)', async function () {
    // `show codec` reads the core database, which is filled a moment after startup
    const wanted = [/^codec,G\.722,/m, /^codec,OPUS/m, /^codec,H264 Video,/m, /^codec,VP8 Video,/m];
    const codecs = await waitFor('codecs in `show codec`', async () => {
      const out = await stack!.fs.fsCli('show codec');
      return wanted.every((re) => re.test(out)) ? out : undefined;
    });
    for (const re of wanted) assert.match(codecs, re);
  });

  it('has mod_conference loaded', async function () {
    assert.match(await stack!.fs.fsCli('conference list'), /^\+OK No active conferences/);
  });

  it('reaches FreeSWITCH through drachtio-server (OPTIONS → 200)', async function () {
    // The callback form: the listener is on the request before any response can arrive (awaiting
    // the promise form first could miss a fast 200).
    const request = (stack!.srf.request as unknown as SrfRequest).bind(stack!.srf);
    const res = await new Promise<{ status: number; reason: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no response to OPTIONS in 10 s')), 10_000);
      request(`sip:127.0.0.1:${stack!.fs.sipPort}`, { method: 'OPTIONS' }, (err, sent) => {
        if (err) return reject(err);
        sent.on('response', (r) => {
          clearTimeout(t);
          resolve(r);
        });
      });
    });
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
  });

  it('creates and destroys a drachtio-fsmrf endpoint without leaving a channel', async function () {
    const ep = await (await stack!.mediaServer()).createEndpoint();
    assert.ok(ep.uuid, 'endpoint has a FreeSWITCH channel uuid');
    // uuid_exists asks the core directly; `show channels` reads the lagging core database
    assert.equal((await stack!.fs.fsCli(`uuid_exists ${ep.uuid}`)).trim(), 'true');
    await ep.destroy();
    await waitFor('no FreeSWITCH channel left', async () => (/^0 total\./m.test(await stack!.fs.fsCli('show channels count')) ? true : undefined));
    assert.equal((await stack!.fs.fsCli(`uuid_exists ${ep.uuid}`)).trim(), 'false');
  });

  it('mixes video in the diemcau-video profile with the project layouts', async function () {
    const server = await stack!.mediaServer();
    const eps = [await server.createEndpoint(), await server.createEndpoint()];
    try {
      for (const ep of eps) await ep.join('stack-probe@diemcau-video');
      assert.match(await stack!.fs.fsCli('conference list'), /Conference stack-probe \(2 members rate: 48000 flags: [^)]*video_muxing/);
      for (const layout of ['1up_top_left+9', '4x4']) {
        assert.match(await stack!.fs.fsCli(`conference stack-probe vid-layout ${layout}`), /^\+OK/, layout);
      }
      assert.match(await stack!.fs.fsCli('conference stack-probe vid-layout group:grid'), /^\+OK Change to layout group \[grid\]/);
    } finally {
      // fsmrf's destroy() queues a hangup behind the running conference application: end that first
      await stack!.fs.fsCli('conference stack-probe kick all');
      for (const ep of eps) await ep.destroy();
    }
    await waitFor('the conference to end', async () => (/No active conferences/.test(await stack!.fs.fsCli('conference list')) ? true : undefined));
  });
});
