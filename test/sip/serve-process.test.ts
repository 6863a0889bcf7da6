import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Srf from 'drachtio-srf';
import { apiClient } from '../support/bridge-api';
import { createTestDatabase } from '../support/db';
import { RtpPeer, sdpAudioTarget } from '../support/rtp-peer';
import { connectSrf, requireStack, startDrachtio, startFreeswitch, waitFor, type DrachtioServer, type FreeswitchServer } from '../support/stack';

const cli = join(__dirname, '..', '..', 'src', 'cli.js');
const run = promisify(execFile);

/**
 * `diemcau serve` as an operator runs it, against the real drachtio-server and FreeSWITCH: a caller
 * joins, SIGTERM stops the process without dropping the call (new calls get 503 meanwhile), and the
 * next `serve` shows the same participant in its roster and can kick it.
 */
describe('diemcau serve: SIGTERM and restart with a live meeting', function () {
  this.timeout(120_000);
  let drachtio: DrachtioServer;
  let fs: FreeswitchServer;
  let callerDrachtio: DrachtioServer;
  let callerSrf: Srf;
  let env: NodeJS.ProcessEnv;
  let token: string;
  const processes: ChildProcess[] = [];
  const peers: RtpPeer[] = [];

  before(async function () {
    requireStack(this, 'serve process with a live meeting');
    [drachtio, fs, callerDrachtio] = await Promise.all([startDrachtio(), startFreeswitch(), startDrachtio()]);
    callerSrf = new Srf();
    await connectSrf(callerSrf, callerDrachtio);
    env = {
      ...process.env,
      DATABASE_URL: await createTestDatabase(),
      SIP_DOMAIN: 'bridge.test',
      DRACHTIO_HOST: drachtio.host,
      DRACHTIO_PORT: String(drachtio.adminPort),
      DRACHTIO_SECRET: drachtio.secret,
      FREESWITCH_SERVERS: `${fs.host}:${fs.eslPort}:${fs.eslPassword}`,
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'diemcau-serve-recordings-')),
    };
    await run('node', [cli, 'migrate'], { env });
    token = (await run('node', [cli, 'apikey', 'create', '--name', 'ops', '--role', 'admin'], { env })).stdout.trim();
  });

  after(async () => {
    for (const p of processes) if (p.exitCode === null) p.kill('SIGKILL');
    for (const p of peers) p.close();
    callerSrf?.disconnect();
    await Promise.allSettled([drachtio?.stop(), fs?.stop(), callerDrachtio?.stop()]);
    if (env?.['RECORDINGS_DIR']) rmSync(env['RECORDINGS_DIR'], { recursive: true, force: true });
  });

  /** Starts `diemcau serve`; `ready` resolves with its API base URL once it listens and is ready. */
  function spawnServe(): { proc: ChildProcess; exited: Promise<number | null>; ready: Promise<string>; output(): string } {
    const proc = spawn('node', [cli, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    processes.push(proc);
    const exited = new Promise<number | null>((r) => proc.once('exit', r));
    // Drain the output: a child blocked on a full pipe would never stop.
    let stderr = '';
    let out = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const port = new Promise<number>((resolve, reject) => {
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"port":(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      void exited.then((code) => reject(new Error(`serve exited with ${code}: ${out}${stderr}`)));
    });
    const ready = port.then(async (p) => {
      const base = `http://127.0.0.1:${p}`;
      await waitFor('serve to be ready', async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 20_000);
      return base;
    });
    ready.catch(() => undefined);
    return { proc, exited, ready, output: () => out };
  }

  async function serve(): Promise<{ proc: ChildProcess; base: string; exited: Promise<number | null>; output(): string }> {
    const s = spawnServe();
    return { proc: s.proc, base: await s.ready, exited: s.exited, output: s.output };
  }

  const api = (base: string, method: string, path: string, json?: unknown) => apiClient(base, token)(method, path, json);

  it('keeps the call across SIGTERM and a new start, which can still kick it', async () => {
    const first = await serve();
    const start = new Date(Date.now() - 60_000);
    const meeting = await api(first.base, 'POST', '/meetings', {
      title: 'Giao ban',
      roomNumber: 2050,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      allowGuests: true,
    });
    assert.equal(meeting.status, 201, JSON.stringify(meeting.body));
    const meetingId = meeting.body.id as string;
    const peer = await RtpPeer.open();
    peers.push(peer);
    const dialog = await callerSrf.createUAC(`sip:2050@127.0.0.1:${drachtio.sipPort}`, {
      localSdp: peer.sdp(),
      headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' },
    });
    peer.startSilence(sdpAudioTarget(dialog.remote.sdp));
    const roster = async (base: string) =>
      ((await api(base, 'GET', `/meetings/${meetingId}/participants`)).body as { items: { id: string; name: string }[] }).items;
    await waitFor('the caller in the roster', async () => ((await roster(first.base)).length === 1 ? true : undefined), 15_000);

    first.proc.kill('SIGTERM');
    // The signal is handled in its turn: on a busy machine an INVITE sent at once can still come first.
    await waitFor('the process to stop taking calls', async () => (first.output().includes('shutting down: no new calls') ? true : undefined), 10_000, 10);
    await assert.rejects(
      callerSrf.createUAC(`sip:2050@127.0.0.1:${drachtio.sipPort}`, { localSdp: peer.sdp(), headers: { From: '<sip:late@caller.test>' } }),
      (err: { status: number }) => err.status === 503,
      'no new calls while stopping',
    );
    assert.equal(await first.exited, 0);
    assert.match(await fs.fsCli(`conference diemcau-${meetingId} list`), /;hear\|speak/, 'the call is still in the conference');

    const second = await serve();
    try {
      const [participant] = await waitFor(
        'the new process to take the call over',
        async () => {
          const r = await roster(second.base);
          return r.length === 1 ? r : undefined;
        },
        20_000,
      );
      assert.equal(participant!.name, 'Xã Ia Ko');
      assert.equal((await api(second.base, 'DELETE', `/meetings/${meetingId}/participants/${participant!.id}`)).status, 204);
      await waitFor('the channel gone', async () => ((await fs.fsCli('show channels count')).includes('0 total') ? true : undefined), 15_000);
      const attendance = (await api(second.base, 'GET', `/meetings/${meetingId}/attendance`)).body as { guests: { name: string; connectedSeconds: number }[] };
      assert.equal(attendance.guests[0]!.name, 'Xã Ia Ko');
      assert.ok(attendance.guests[0]!.connectedSeconds >= 1, 'the time across the restart counts');
    } finally {
      second.proc.kill('SIGTERM');
      assert.equal(await second.exited, 0);
      peer.stop();
      await Promise.resolve(dialog.destroy()).catch(() => undefined);
    }
  });
  it('runs one active process and one standby; the standby takes the calls over when the active one is killed', async () => {
    const active = await serve();
    const standby = spawnServe();
    await waitFor('the second process to wait as a standby', async () => (/standby: another diemcau serve/.test(standby.output()) ? true : undefined), 20_000);
    assert.ok(!/"port":/.test(standby.output()), 'a standby does not listen');
    const start = new Date(Date.now() - 60_000);
    const meeting = await api(active.base, 'POST', '/meetings', {
      title: 'Giao ban dự phòng',
      roomNumber: 2051,
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 3600_000).toISOString(),
      allowGuests: true,
    });
    assert.equal(meeting.status, 201, JSON.stringify(meeting.body));
    const meetingId = meeting.body.id as string;
    const roster = async (base: string) =>
      ((await api(base, 'GET', `/meetings/${meetingId}/participants`)).body as { items: { id: string; name: string }[] }).items;
    const first = await RtpPeer.open();
    const second = await RtpPeer.open();
    peers.push(first, second);
    const dialog = await callerSrf.createUAC(`sip:2051@127.0.0.1:${drachtio.sipPort}`, {
      localSdp: first.sdp(),
      headers: { From: '"Xã Ia Ko" <sip:guest@caller.test>' },
    });
    first.startSilence(sdpAudioTarget(dialog.remote.sdp));
    await waitFor('the caller in the roster', async () => ((await roster(active.base)).length === 1 ? true : undefined), 15_000);

    const killedAt = Date.now();
    active.proc.kill('SIGKILL');
    const base = await standby.ready;
    const [taken] = await waitFor(
      'the standby to take the call over',
      async () => {
        const r = await roster(base);
        return r.length === 1 ? r : undefined;
      },
      20_000,
    );
    console.log(`      taken over ${Date.now() - killedAt} ms after the active process was killed`);
    assert.equal(taken!.name, 'Xã Ia Ko');
    assert.match(await fs.fsCli(`conference diemcau-${meetingId} list`), /;hear\|speak/, 'the call never left the conference');

    // A new caller, through the process now active, joins the same conference and hears the first.
    const late = await callerSrf.createUAC(`sip:2051@127.0.0.1:${drachtio.sipPort}`, {
      localSdp: second.sdp(),
      headers: { From: '"Xã Ia Mơ Nông" <sip:guest@caller.test>' },
    });
    second.startSilence(sdpAudioTarget(late.remote.sdp));
    first.startTone(sdpAudioTarget(dialog.remote.sdp), 1000);
    await waitFor('the new caller to hear the one taken over', async () => (second.toneEnergy(1000, 1000) > 0.3 ? true : undefined), 15_000, 250);
    first.stop();
    assert.equal((await api(base, 'DELETE', `/meetings/${meetingId}/participants/${taken!.id}`)).status, 204, 'the call taken over can be kicked');
    standby.proc.kill('SIGTERM');
    assert.equal(await standby.exited, 0);
    await Promise.resolve(late.destroy()).catch(() => undefined);
    await Promise.resolve(dialog.destroy()).catch(() => undefined);
  });
});
