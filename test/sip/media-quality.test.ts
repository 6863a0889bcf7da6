import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliActor } from '../../src/audit/audit';
import { SiteDirectory } from '../../src/directory/sites';
import { Metrics } from '../../src/observability/metrics';
import { MeetingEvents } from '../../src/meetings/meeting-events';
import { bookLiveMeeting, BRIDGE_DOMAIN, startBridge, type TestBridge } from '../support/bridge';
import { startBridgeApi } from '../support/bridge-api';
import { pcmuStreamPcap } from '../support/rtp-pcap';
import { requireSipp, runSipp, sippScenario, type SippResult } from '../support/sipp';
import { freePort, requireStack, waitFor } from '../support/stack';

const hour = 3600_000;
/** Long enough for three samples at the test's 3 s interval, short enough for the suite. */
const STREAM_SECONDS = 12;

/**
 * Two sipp room systems in one live meeting, each playing a PCMU stream: one with every tenth RTP
 * packet removed, one clean. Each is a directory site, known by its own loopback address. The bridge
 * samples both calls every 3 s from FreeSWITCH and once more as they hang up.
 */
describe('media quality per participant (real stack)', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let api: Awaited<ReturnType<typeof startBridgeApi>>;
  let meetingId: string;
  let dir: string;
  const site: Record<'lossy' | 'clean', string> = { lossy: '', clean: '' };
  const address = { lossy: '127.0.0.2', clean: '127.0.0.3' };

  before(async function () {
    requireStack(this, 'media quality tests');
    requireSipp(this, 'media quality tests');
    dir = mkdtempSync(join(tmpdir(), 'diemcau-quality-'));
    bridge = await startBridge({ env: { MEDIA_QUALITY_INTERVAL_SECONDS: '3' } });
    api = await startBridgeApi(bridge, { role: 'viewer' });
    const sites = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    for (const [key, code, name] of [
      ['lossy', 'ia-grai', 'Xã Ia Grai'],
      ['clean', 'chu-se', 'Xã Chư Sê'],
    ] as const) {
      const s = await sites.create(
        { code, name, protocol: 'sip', sipUsername: code, sipPassword: `mat-khau-${code}`, allowedNetworks: [`${address[key]}/32`], enabled: true },
        cliActor,
      );
      site[key] = s.id;
    }
    meetingId = (await bookLiveMeeting(bridge, { title: 'Giao ban trực tuyến', roomNumber: 2001, sites: [site.lossy, site.clean] })).id;
  });

  after(async () => {
    await api?.close();
    await bridge?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** invite-pcap with this stream, from the site's address and its own media port. */
  const dialIn = async (key: 'lossy' | 'clean', pcap: Uint8Array): Promise<SippResult> => {
    const pcapFile = join(dir, `${key}.pcap`);
    writeFileSync(pcapFile, pcap);
    const scenario = join(dir, `${key}.xml`);
    writeFileSync(scenario, readFileSync(sippScenario('invite-pcap'), 'utf8').replace('play_pcap_audio="PCAP_FILE"', `play_pcap_audio="${pcapFile}"`));
    return runSipp({
      scenario,
      target: bridge.target,
      service: '2001',
      keys: { from_domain: BRIDGE_DOMAIN, display: key },
      // later -i wins over runSipp's 127.0.0.1: the site is recognised by its address
      extraArgs: ['-i', address[key], '-mp', String(await freePort({ udp: true }))],
      pauseMs: STREAM_SECONDS * 1000 + 1500,
      timeoutMs: 40_000,
    });
  };

  const samples = async (key: 'lossy' | 'clean') =>
    (await bridge.ds.query(
      `SELECT m.*, p.site_id AS participation_site FROM media_sample m JOIN participation p ON p.id = m.participation_id
        WHERE p.meeting_id = $1 AND p.site_id = $2 ORDER BY m.sampled_at, m.id`,
      [meetingId, site[key]],
    )) as { participation_id: string; final: boolean; packets_in: string; loss_in_percent: number; mos: number; sampled_at: Date }[];

  it('records about 10 % loss for the site that drops every tenth packet, about 0 % for the clean one', async () => {
    const calls = [dialIn('lossy', pcmuStreamPcap({ seconds: STREAM_SECONDS, dropEvery: 10 })), dialIn('clean', pcmuStreamPcap({ seconds: STREAM_SECONDS }))];

    // While the calls run: the roster shows each one's latest sample, and /metrics the meeting's.
    const roster = await waitFor(
      'both participants with a quality sample in the roster',
      async () => {
        const r = await api.api('GET', `/meetings/${meetingId}/participants`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const items = r.body.items as { siteId: string; quality: { lossInPercent: number; packetsIn: number; mos: number } | null }[];
        const lossy = items.find((p) => p.siteId === site.lossy)?.quality;
        // FreeSWITCH's first RTCP report (where loss comes from) takes a few seconds
        return items.length === 2 && items.every((p) => p.quality && p.quality.packetsIn > 0) && lossy && lossy.lossInPercent > 5 ? items : undefined;
      },
      STREAM_SECONDS * 1000,
    );
    const live = (key: 'lossy' | 'clean') => roster.find((p) => p.siteId === site[key])!.quality!;
    assert.ok(live('lossy').lossInPercent > live('clean').lossInPercent, `live: ${JSON.stringify(roster)}`);
    const metrics = new Metrics(bridge.ds, new MeetingEvents());
    metrics.observe(bridge.calls.engine);
    const text = await metrics.registry.metrics();
    const mos = new RegExp(`^diemcau_media_mos\\{meeting="${meetingId}"\\} ([\\d.]+)$`, 'm').exec(text);
    assert.ok(
      mos,
      text
        .split('\n')
        .filter((l) => l.startsWith('diemcau_media'))
        .join('\n'),
    );
    assert.ok(Number(mos[1]) < 4, 'the meeting’s worst call is the lossy one');
    assert.match(text, new RegExp(`^diemcau_media_sampled_calls\\{meeting="${meetingId}"\\} 2$`, 'm'));
    assert.doesNotMatch(text, /diemcau_media_\w+\{[^}]*(call|participant|site)/, 'no per-call labels');

    for (const r of await Promise.all(calls)) assert.equal(r.exitCode, 0, r.errors || r.stdout);
    // The participation closes after the last sample (docs/teardown.md): both closed, both sampled.
    await waitFor(
      'both participations closed',
      async () => {
        const [row] = await bridge.ds.query(
          `SELECT count(*) FILTER (WHERE left_at IS NULL)::int AS open, count(*)::int AS n FROM participation WHERE meeting_id = $1`,
          [meetingId],
        );
        return row.n === 2 && row.open === 0 ? true : undefined;
      },
      10_000,
    );

    const overall = async (key: 'lossy' | 'clean') => {
      const rows = await samples(key);
      assert.ok(rows.length >= 3, `${key}: ${rows.length} samples`);
      assert.equal(new Set(rows.map((r) => r.participation_id)).size, 1, 'one participation');
      assert.deepEqual(
        rows.map((r) => r.final),
        [...rows.slice(1).map(() => false), true],
        `${key}: exactly one last sample, taken at hang-up`,
      );
      // The whole call's loss, weighting each sample by its packets.
      const received = rows.reduce((n, r) => n + Number(r.packets_in), 0);
      const lost = rows.reduce((n, r) => n + (Number(r.packets_in) * r.loss_in_percent) / (100 - r.loss_in_percent), 0);
      return { loss: (100 * lost) / (received + lost), received, rows };
    };
    const lossy = await overall('lossy');
    const clean = await overall('clean');
    assert.ok(lossy.loss >= 8 && lossy.loss <= 12, `lossy site: ${lossy.loss.toFixed(2)} % lost`);
    assert.ok(clean.loss <= 1, `clean site: ${clean.loss.toFixed(2)} % lost`);
    // Packets before the call joined the conference (the sampler's baseline) are not in any sample.
    const sent = STREAM_SECONDS * 50;
    assert.ok(lossy.received > sent * 0.9 * 0.85 && clean.received > sent * 0.85, `${lossy.received} / ${clean.received} packets of ${sent}`);
    assert.ok(Math.min(...lossy.rows.map((r) => r.mos)) < Math.min(...clean.rows.map((r) => r.mos)));
  });

  it('gives each site’s history and lists the lossy one among the poor links', async () => {
    const from = new Date(Date.now() - hour).toISOString();
    const history = await api.api('GET', `/sites/${site.lossy}/quality?from=${encodeURIComponent(from)}`);
    assert.equal(history.status, 200, JSON.stringify(history.body));
    assert.ok(history.body.items.length >= 3);
    assert.ok(history.body.items.every((s: { meetingId: string }) => s.meetingId === meetingId));
    const poor = await api.api('GET', `/quality/poor-links?from=${encodeURIComponent(from)}&lossPercent=5&mos=3.5`);
    assert.equal(poor.status, 200, JSON.stringify(poor.body));
    assert.deepEqual(
      poor.body.items.map((i: { siteId: string }) => i.siteId),
      [site.lossy],
      JSON.stringify(poor.body.items),
    );
    const bad = await api.api('GET', `/quality/poor-links?from=${encodeURIComponent(new Date().toISOString())}&to=${encodeURIComponent(from)}`);
    assert.equal(bad.status, 422);
    assert.equal((await api.api('GET', `/sites/${meetingId}/quality`)).status, 404, 'no such site');
  });
});
