import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { scalePolicy, defaultRetryPolicy } from '../../src/calls/dial-out/retry-policy';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import type { MeetingEvent } from '../../src/meetings/meeting-events';
import { Scheduler } from '../../src/meetings/scheduler';
import { Metrics } from '../../src/observability/metrics';
import { BRIDGE_DOMAIN, startBridge, type TestBridge } from '../support/bridge';
import { type apiClient, startBridgeApi } from '../support/bridge-api';
import { requireSipp, sippScenario, startSippUas, type SippUas } from '../support/sipp';
import { requireStack, waitFor } from '../support/stack';

/**
 * A booked dialOut meeting runs itself: it goes live, the bridge calls three sipp "room systems" (one
 * answers, one is busy twice then answers, one never answers), retries as the policy says, the SSE
 * stream and the roster show it, the operator mutes and kicks over REST, and the attendance report
 * says what happened.
 */
describe('meeting operations: dial-out, live control, events, attendance', function () {
  this.timeout(120_000);
  let bridge: TestBridge;
  let scheduler: Scheduler;
  let http: Awaited<ReturnType<typeof startBridgeApi>>;
  let base: string;
  let token: string;
  let api: ReturnType<typeof apiClient>;
  const uas: SippUas[] = [];
  let meetingId: string;
  let readinessMeetingId: string;
  const sites: Record<string, string> = {};
  const events: MeetingEvent[] = [];

  before(async function () {
    requireStack(this, 'dial-out tests');
    requireSipp(this, 'dial-out tests');
    // Retries in seconds rather than minutes; no-answer gives up after two attempts.
    const policy = scalePolicy(defaultRetryPolicy, 1 / 30);
    policy['no-answer'] = { ...policy['no-answer'], maxAttempts: 2 };
    bridge = await startBridge({ env: { RING_TIMEOUT_SECONDS: '5', REDIAL_DROPPED: 'false' }, retryPolicy: policy });

    const answering = await startSippUas({ scenario: sippScenario('uas-answer') });
    const busy = await startSippUas({ scenario: sippScenario('uas-busy-then-answer') });
    const silent = await startSippUas({ scenario: sippScenario('uas-noanswer') });
    uas.push(answering, busy, silent);

    const directory = new SiteDirectory(bridge.ds, BRIDGE_DOMAIN);
    const add = async (code: string, name: string, port: number) => {
      sites[code] = (
        await directory.create({ code, name, protocol: 'sip', sipUri: `sip:room@127.0.0.1:${port}`, allowedNetworks: [], enabled: true }, cliActor)
      ).id;
    };
    await add('chu-se', 'Thị trấn Chư Sê', answering.port);
    await add('ia-pal', 'Xã Ia Pal', busy.port);
    await add('ia-ko', 'Xã Ia Ko', silent.port);

    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    const start = new Date(Date.now() + 60_000);
    meetingId = (
      await book.create(
        {
          title: 'Giao ban đột xuất',
          roomNumber: 2010,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: ['chu-se', 'ia-pal', 'ia-ko'],
          chairSite: 'chu-se',
          dialOut: true,
          allowGuests: false,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting.id;

    // A second meeting, later and without dial-out, for the readiness sweep: one site answers
    // OPTIONS, one is on a dead port.
    const switchedOn = await startSippUas({ scenario: sippScenario('uas-options') });
    uas.push(switchedOn);
    await add('ia-tiem', 'Xã Ia Tiêm', switchedOn.port);
    await add('dun', 'Xã Dun', 9);
    const later = new Date(Date.now() + 10 * 60_000);
    readinessMeetingId = (
      await book.create(
        {
          title: 'Kiểm tra kết nối',
          roomNumber: 2011,
          startsAt: later.toISOString(),
          endsAt: new Date(later.getTime() + 3600_000).toISOString(),
          invitedSites: ['ia-tiem', 'dun'],
          dialOut: false,
          allowGuests: false,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting.id;

    scheduler = new Scheduler(
      bridge.ds,
      bridge.calls.lifecycle,
      bridge.calls.engine.events,
      { leadMs: 120_000, readinessBeforeMs: 15 * 60_000, endWarningMs: 60_000, tickMs: 250 },
      bridge.log,
    );
    const metrics = new Metrics(bridge.ds, bridge.calls.engine.events);
    metrics.observe(bridge.calls.engine);
    http = await startBridgeApi(bridge, { scheduler, extra: { metrics } });
    ({ base, token, api } = http);
  });

  after(async () => {
    await scheduler?.stop();
    await http?.close();
    await bridge?.stop();
    for (const u of uas) await u.stop();
  });

  /** Reads the meeting's SSE stream in the background into `events`. */
  async function followEvents(): Promise<AbortController> {
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/meetings/${meetingId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            const type = /^event: (.*)$/m.exec(block)?.[1];
            if (data && type !== 'hello') events.push(JSON.parse(data) as MeetingEvent);
          }
        }
      } catch {
        // aborted at the end of the test
      }
    })();
    return abort;
  }

  const attempts = async (code: string) =>
    (await bridge.ds.query(`SELECT outcome FROM dial_attempt WHERE site_id = $1 AND outcome IS NOT NULL ORDER BY started_at`, [sites[code]])).map(
      (r: { outcome: string }) => r.outcome,
    ) as string[];

  it('goes live by itself, dials every invited site, retries, and streams it all', async () => {
    const stream = await followEvents();
    scheduler.start();
    try {
      await waitFor(
        'two sites in and the silent one given up',
        async () => {
          const roster = (await api('GET', `/meetings/${meetingId}/participants`)).body as { items: unknown[] };
          const silent = await attempts('ia-ko');
          return roster.items.length === 2 && silent.length === 2 ? true : undefined;
        },
        60_000,
        500,
      );
    } finally {
      stream.abort();
    }
    assert.deepEqual(await attempts('chu-se'), ['answered']);
    assert.deepEqual(await attempts('ia-pal'), ['busy', 'busy', 'answered']);
    assert.deepEqual(await attempts('ia-ko'), ['no-answer', 'no-answer']);

    const roster = (await api('GET', `/meetings/${meetingId}/participants`)).body as {
      items: { name: string; moderator: boolean; direction: string; audioCodec: string; videoCodec: string | null }[];
    };
    const byName = Object.fromEntries(roster.items.map((p) => [p.name, p]));
    assert.equal(byName['Thị trấn Chư Sê']!.moderator, true);
    assert.equal(byName['Xã Ia Pal']!.direction, 'out');
    assert.equal(byName['Xã Ia Pal']!.audioCodec, 'PCMU');
    // The sipp sites answer audio-only to FreeSWITCH's offer with video. FreeSWITCH keeps the video
    // on such a leg (inactive) and would encode the meeting's picture for it: the member must be
    // off the shared encoder, and the call recorded without video.
    for (const p of roster.items) assert.equal(p.videoCodec, null, `${p.name}: video ${p.videoCodec}`);
    for (const call of bridge.calls.engine.calls.inMeeting(meetingId)) {
      const joinedWith = await bridge.fs.fsCli(`uuid_getvar ${call.endpoint!.uuid} current_application_data`);
      assert.match(joinedWith, /\+flags\{[^}]*no-minimize-encoding/, `${call.info.displayName}: conference ${joinedWith.trim()}`);
    }

    const types = events.map((e) => e.type);
    assert.ok(types.includes('meeting.state'), types.join());
    assert.equal(events.filter((e) => e.type === 'dial.attempt').length, 6);
    const outcomes = events.filter((e): e is Extract<MeetingEvent, { type: 'dial.outcome' }> => e.type === 'dial.outcome');
    assert.deepEqual(
      outcomes.filter((e) => e.siteId === sites['ia-pal']).map((e) => [e.outcome, e.retryInMs === null]),
      [
        ['busy', false],
        ['busy', false],
        ['answered', true],
      ],
    );
    assert.equal(events.filter((e) => e.type === 'participant.joined').length, 2);
    assert.equal((await api('GET', `/meetings/${meetingId}`)).body.status, 'live');

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^diemcau_meetings_active 1$/m);
    assert.match(metrics, /^diemcau_participants\{protocol="sip"\} 2$/m);
    assert.match(metrics, /^diemcau_dial_outcomes_total\{outcome="busy"\} 2$/m);
    assert.match(metrics, /^diemcau_media_servers_up 1$/m);
  });

  it('checks before the start which invited sites answer SIP OPTIONS', async () => {
    const rows = await waitFor(
      'the readiness sweep',
      async () => {
        const r = (await bridge.ds.query(
          `SELECT s.code, rc.reachable, rc.latency_ms, rc.sip_status, rc.detail FROM readiness_check rc JOIN site s ON s.id = rc.site_id WHERE rc.meeting_id = $1 ORDER BY s.code`,
          [readinessMeetingId],
        )) as { code: string; reachable: boolean; latency_ms: number | null }[];
        return r.length === 2 ? r : undefined;
      },
      20_000,
    );
    assert.deepEqual(
      rows.map((r) => [r.code, r.reachable]),
      [
        ['dun', false],
        ['ia-tiem', true],
      ],
      JSON.stringify(rows),
    );
    assert.ok(rows[1]!.latency_ms !== null && rows[1]!.latency_ms < 1000);
    const [state] = await bridge.ds.query(`SELECT status FROM meeting WHERE id = $1`, [readinessMeetingId]);
    assert.equal(state.status, 'scheduled', 'the sweep does not start the meeting');
  });

  it('mutes and kicks on the FreeSWITCH conference through the REST API', async () => {
    const roster = (await api('GET', `/meetings/${meetingId}/participants`)).body as { items: { id: string; name: string; muted: boolean }[] };
    const iaPal = roster.items.find((p) => p.name === 'Xã Ia Pal')!;
    assert.equal((await api('POST', `/meetings/${meetingId}/participants/${iaPal.id}/mute`, { muted: true })).status, 204);
    await waitFor('the conference to report the mute', async () => {
      const r = (await api('GET', `/meetings/${meetingId}/participants`)).body as { items: { id: string; muted: boolean }[] };
      return r.items.find((p) => p.id === iaPal.id)?.muted ? true : undefined;
    });
    const list = await bridge.fs.fsCli(`conference diemcau-${meetingId} list`);
    const line = list.split('\n').find((l) => l.includes('Xã Ia Pal') || l.includes(';')) ?? '';
    assert.ok(
      list.split('\n').some((l) => l.includes('hear') && !l.includes('speak')),
      `a member hears but may not speak:\n${list}\n${line}`,
    );

    assert.equal((await api('POST', `/meetings/${meetingId}/mute-all`, { muted: true })).body.changed, 1, 'everyone but the chair');
    assert.equal((await api('PUT', `/meetings/${meetingId}/layout`, { layout: '2x1' })).status, 204);
    assert.equal((await api('PUT', `/meetings/${meetingId}/layout`, { layout: 'mosaic' })).status, 422);
    assert.equal((await api('POST', `/meetings/${meetingId}/lock`, { locked: true })).status, 204);

    assert.equal((await api('DELETE', `/meetings/${meetingId}/participants/${iaPal.id}`)).status, 204);
    await waitFor('the kicked site to be gone', async () => {
      const r = (await api('GET', `/meetings/${meetingId}/participants`)).body as { items: { id: string }[] };
      return r.items.some((p) => p.id === iaPal.id) ? undefined : true;
    });
    const [row] = await bridge.ds.query(`SELECT end_reason FROM participation WHERE id = $1`, [iaPal.id]);
    assert.equal(row.end_reason, 'kicked');
  });

  it('pins a participant to the main tile, dials any SIP URI ad hoc, and extends the meeting', async () => {
    const roster = (await api('GET', `/meetings/${meetingId}/participants`)).body as { items: { id: string; name: string }[] };
    const chair = roster.items.find((p) => p.name === 'Thị trấn Chư Sê')!;
    assert.equal((await api('POST', `/meetings/${meetingId}/participants/${chair.id}/floor`)).status, 204);
    assert.equal((await api('POST', `/meetings/${meetingId}/participants/not-there/floor`)).status, 404);

    const clinic = await startSippUas({ scenario: sippScenario('uas-answer') });
    uas.push(clinic);
    const dial = await api('POST', `/meetings/${meetingId}/dial`, { uri: `sip:tram-y-te@127.0.0.1:${clinic.port}`, name: 'Trạm y tế xã' });
    assert.equal(dial.status, 202);
    await waitFor('the dialled URI in the roster', async () => {
      const r = (await api('GET', `/meetings/${meetingId}/participants`)).body as { items: { name: string }[] };
      return r.items.some((p) => p.name === 'Trạm y tế xã') ? true : undefined;
    });
    assert.equal((await api('POST', `/meetings/${meetingId}/dial`, { uri: 'not a uri' })).status, 422);

    const before = (await api('GET', `/meetings/${meetingId}`)).body.endsAt as string;
    const extended = await api('POST', `/meetings/${meetingId}/extend`, { minutes: 30 });
    assert.equal(extended.status, 200);
    assert.equal(Date.parse(extended.body.endsAt) - Date.parse(before), 30 * 60_000);
    assert.equal((await api('GET', `/meetings/${meetingId}`)).body.endsAt, extended.body.endsAt);
  });

  it('reports attendance, then ends the meeting and leaves nothing behind', async () => {
    const report = (await api('GET', `/meetings/${meetingId}/attendance`)).body as {
      sites: { site: { code: string }; attended: boolean; dialAttempts: { outcome: string }[] }[];
    };
    const byCode = Object.fromEntries(report.sites.map((s) => [s.site.code, s]));
    assert.equal(byCode['chu-se']!.attended, true);
    assert.equal(byCode['ia-pal']!.attended, true);
    assert.deepEqual(
      byCode['ia-pal']!.dialAttempts.map((a) => a.outcome),
      ['busy', 'busy', 'answered'],
    );
    assert.equal(byCode['ia-ko']!.attended, false);
    const csv = await fetch(`${base}/api/v1/meetings/${meetingId}/attendance`, { headers: { authorization: `Bearer ${token}`, accept: 'text/csv' } });
    assert.match(await csv.text(), /Thị trấn Chư Sê/);

    assert.equal((await api('POST', `/meetings/${meetingId}/end`)).status, 204);
    await waitFor('every call closed', async () => (bridge.calls.engine.calls.all().length === 0 ? true : undefined), 15_000);
    const open = await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE left_at IS NULL`);
    assert.equal(open[0].n, 0);
    const reasons = await bridge.ds.query(`SELECT DISTINCT end_reason FROM participation WHERE end_reason <> 'kicked'`);
    assert.deepEqual(
      reasons.map((r: { end_reason: string }) => r.end_reason),
      ['meeting-ended'],
    );
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 15_000);
    assert.deepEqual(bridge.calls.dialer.pending(meetingId), []);
    assert.equal((await api('GET', `/meetings/${meetingId}`)).body.status, 'ended');
  });
});
