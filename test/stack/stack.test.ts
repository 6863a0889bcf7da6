import { strict as assert } from 'node:assert';
import Srf from 'drachtio-srf';
import {
  connectSrf, requireStack, startDrachtio, startFreeswitch, waitFor, type DrachtioServer, type FreeswitchServer,
} from '../support/stack';

// drachtio-fsmrf 4.1.2 ships no typings: just what this test touches.
interface FsmrfEndpoint {
  uuid: string;
  join(conference: string): Promise<{ memberId: number; confUuid: string }>;
  destroy(): Promise<void>;
}
interface FsmrfMediaServer {
  createEndpoint(): Promise<FsmrfEndpoint>;
  disconnect(): void;
}
interface FsmrfConnectOptions {
  address: string;
  port: number;
  secret: string;
  listenAddress: string;
  advertisedAddress: string;
}
type FsmrfConstructor = new (srf: Srf) => { connect(opts: FsmrfConnectOptions): Promise<FsmrfMediaServer> };
const Mrf = require('drachtio-fsmrf') as FsmrfConstructor;

// drachtio-srf's typings describe request() wrongly: it resolves with the request as sent, and the
// answer arrives as its 'response' event.
interface SentRequest {
  on(event: 'response', listener: (res: { status: number; reason: string }) => void): void;
}
type SrfRequest = (uri: string, opts: { method: string; headers?: Record<string, string> }) => Promise<SentRequest>;

describe('SIP/media stack: drachtio-server + FreeSWITCH with the project config', function () {
  this.timeout(120_000);
  let drachtio: DrachtioServer | undefined;
  let fs: FreeswitchServer | undefined;
  let srf: Srf | undefined;
  let ms: FsmrfMediaServer | undefined;

  before(async function () {
    const bin = requireStack(this, 'SIP/media stack');
    // allSettled: if one fails to start, the other must still be stopped in after()
    const [d, f] = await Promise.allSettled([startDrachtio({ binary: bin.drachtio }), startFreeswitch({ binary: bin.freeswitch })]);
    if (d.status === 'fulfilled') drachtio = d.value;
    if (f.status === 'fulfilled') fs = f.value;
    if (d.status === 'rejected') throw d.reason;
    if (f.status === 'rejected') throw f.reason;
    srf = new Srf();
    await connectSrf(srf, drachtio!);
  });

  /** connected once, by the first test that needs it */
  async function connectMrf(): Promise<FsmrfMediaServer> {
    // explicit addresses: fsmrf would otherwise advertise the first non-loopback IPv4
    ms ??= await new Mrf(srf!).connect({
      address: fs!.host, port: fs!.eslPort, secret: fs!.eslPassword, listenAddress: '127.0.0.1', advertisedAddress: '127.0.0.1',
    });
    return ms;
  }

  after(async function () {
    // clients first: drachtio-srf emits (unhandled) errors when its server vanishes under it
    ms?.disconnect();
    srf?.disconnect();
    await Promise.allSettled([drachtio?.stop(), fs?.stop()]);
  });

  it('runs the drachtio_mrf SIP profile on the chosen port', async function () {
    const status = await fs!.fsCli('sofia status');
    assert.match(status, new RegExp(`^\\s*drachtio_mrf\\s+profile\\s+sip:mod_sofia@127\\.0\\.0\\.1:${fs!.sipPort}\\s+RUNNING`, 'm'));
  });

  it('has the codecs the bridge offers (G.722, Opus, H.264, VP8)', async function () {
    // `show codec` reads the core database, which is filled a moment after startup
    const wanted = [/^codec,G\.722,/m, /^codec,OPUS/m, /^codec,H264 Video,/m, /^codec,VP8 Video,/m];
    const codecs = await waitFor('codecs in `show codec`', async () => {
      const out = await fs!.fsCli('show codec');
      return wanted.every((re) => re.test(out)) ? out : undefined;
    });
    for (const re of wanted) assert.match(codecs, re);
  });

  it('has mod_conference loaded', async function () {
    assert.match(await fs!.fsCli('conference list'), /^\+OK No active conferences/);
  });

  it('reaches FreeSWITCH through drachtio-server (OPTIONS → 200)', async function () {
    const request = (srf!.request as unknown as SrfRequest).bind(srf);
    const sent = await request(`sip:127.0.0.1:${fs!.sipPort}`, { method: 'OPTIONS' });
    const res = await new Promise<{ status: number; reason: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no response to OPTIONS in 10 s')), 10_000);
      sent.on('response', (r) => { clearTimeout(t); resolve(r); });
    });
    assert.equal(res.status, 200, `${res.status} ${res.reason}`);
  });

  it('creates and destroys a drachtio-fsmrf endpoint without leaving a channel', async function () {
    const ep = await (await connectMrf()).createEndpoint();
    assert.ok(ep.uuid, 'endpoint has a FreeSWITCH channel uuid');
    // uuid_exists asks the core directly; `show channels` reads the lagging core database
    assert.equal((await fs!.fsCli(`uuid_exists ${ep.uuid}`)).trim(), 'true');
    await ep.destroy();
    await waitFor('no FreeSWITCH channel left', async () =>
      /^0 total\./m.test(await fs!.fsCli('show channels count')) ? true : undefined);
    assert.equal((await fs!.fsCli(`uuid_exists ${ep.uuid}`)).trim(), 'false');
  });

  it('mixes video in the diemcau-video profile with the project layouts', async function () {
    const server = await connectMrf();
    const eps = [await server.createEndpoint(), await server.createEndpoint()];
    try {
      for (const ep of eps) await ep.join('stack-probe@diemcau-video');
      assert.match(await fs!.fsCli('conference list'), /Conference stack-probe \(2 members rate: 48000 flags: [^)]*video_muxing/);
      for (const layout of ['1up_top_left+9', '4x4']) {
        assert.match(await fs!.fsCli(`conference stack-probe vid-layout ${layout}`), /^\+OK/, layout);
      }
      assert.match(await fs!.fsCli('conference stack-probe vid-layout group:grid'), /^\+OK Change to layout group \[grid\]/);
    } finally {
      // fsmrf's destroy() queues a hangup behind the running conference application: end that first
      await fs!.fsCli('conference stack-probe kick all');
      for (const ep of eps) await ep.destroy();
    }
    await waitFor('the conference to end', async () =>
      /No active conferences/.test(await fs!.fsCli('conference list')) ? true : undefined);
  });
});
