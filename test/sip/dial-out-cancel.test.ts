import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { cliActor } from '../../src/audit/audit';
import { defaultRetryPolicy, scalePolicy } from '../../src/calls/dial-out/retry-policy';
import type { DialResult } from '../../src/calls/dial-out/dial';
import { placeCall, type OutboundDeps } from '../../src/calls/sip/outbound-call';
import type { SentRequest, SipDialog, SrfApp, UacOptions } from '../../src/calls/sip/srf-types';
import { SiteDirectory } from '../../src/directory/sites';
import { MeetingBook } from '../../src/meetings/meeting-book';
import type { MeetingEvent } from '../../src/meetings/meeting-events';
import { meetingOperations } from '../../src/meetings/operations';
import { Scheduler } from '../../src/meetings/scheduler';
import { BRIDGE_DOMAIN, startBridge, type TestBridge } from '../support/bridge';
import { parseSippTrace, requireSipp, sippScenario, startSippUas, type SippUas } from '../support/sipp';
import { requireStack, waitFor } from '../support/stack';
import { InFlight } from '../../src/calls/in-flight';

/**
 * A meeting that ends while one of its sites is still ringing calls the attempt off: the INVITE is
 * cancelled at once (not at the ring timeout), the attempt is recorded as cancelled and not retried,
 * and the FreeSWITCH endpoint made for the offer is gone. The races around it — the meeting ends
 * before drachtio hands us the INVITE, or the site's 200 OK crosses our CANCEL — are played with a
 * scripted drachtio-srf on the real FreeSWITCH.
 */
describe('dial-out: ending the meeting cancels a ringing attempt (real drachtio-server, FreeSWITCH, sipp)', function () {
  this.timeout(90_000);
  let bridge: TestBridge;
  let scheduler: Scheduler;
  let ringing: SippUas;

  before(async function () {
    requireStack(this, 'dial-out cancel');
    requireSipp(this, 'dial-out cancel');
    // The ring timeout is far off: only the meeting's end can stop the ringing within the test.
    // A no-answer would be retried after a second: the test waits past that.
    bridge = await startBridge({ env: { RING_TIMEOUT_SECONDS: '40', REDIAL_DROPPED: 'false' }, retryPolicy: scalePolicy(defaultRetryPolicy, 1 / 60) });
    ringing = await startSippUas({ scenario: sippScenario('uas-noanswer') });
    scheduler = new Scheduler(
      bridge.ds,
      bridge.calls.lifecycle,
      bridge.calls.engine.events,
      { leadMs: 120_000, readinessBeforeMs: 0, endWarningMs: 0, tickMs: 250 },
      bridge.log,
    );
  });

  after(async () => {
    await scheduler?.stop();
    await bridge?.stop();
    await ringing?.stop();
  });

  it('cancels the INVITE when the meeting is ended, records the attempt as cancelled, and keeps nothing', async () => {
    const book = new MeetingBook(bridge.ds, bridge.config.roomNumbers);
    await new SiteDirectory(bridge.ds, BRIDGE_DOMAIN).create(
      { code: 'ia-ka', name: 'Xã Ia Ka', protocol: 'sip', sipUri: `sip:room@127.0.0.1:${ringing.port}`, allowedNetworks: [], enabled: true },
      cliActor,
    );
    const start = new Date(Date.now() + 30_000);
    const { meeting } = await book.create(
      {
        title: 'Họp kết thúc sớm',
        roomNumber: 2062,
        startsAt: start.toISOString(),
        endsAt: new Date(start.getTime() + 3600_000).toISOString(),
        invitedSites: ['ia-ka'],
        dialOut: true,
        allowGuests: false,
        mode: 'discussion',
        language: 'vi',
        record: false,
      },
      cliActor,
    );
    const outcomes: Extract<MeetingEvent, { type: 'dial.outcome' }>[] = [];
    const unsubscribe = bridge.calls.engine.events.subscribe(meeting.id, (e) => void (e.type === 'dial.outcome' && outcomes.push(e)));
    scheduler.start();
    await waitFor(
      'the site ringing',
      async () => (parseSippTrace(ringing.messages()).some((m) => m.direction === 'sent' && m.status === 180) ? true : undefined),
      15_000,
      100,
    );
    // FreeSWITCH lists a new channel a moment after making it.
    await waitFor('FreeSWITCH to hold the endpoint that made the offer', async () => ((await bridge.channels()) > 0 ? true : undefined), 5000, 100);
    assert.equal(bridge.calls.engine.media.leased(), 1);

    // As the operator's "end now" does (POST /meetings/{id}/end).
    const endedAt = Date.now();
    await meetingOperations(book, bridge.calls.lifecycle, bridge.calls.engine.events, scheduler).endMeeting(meeting.id, cliActor);
    const row = await waitFor(
      'the attempt recorded',
      async () => {
        const [r] = (await bridge.ds.query(`SELECT outcome, sip_status, detail, ended_at FROM dial_attempt WHERE meeting_id = $1 AND outcome IS NOT NULL`, [
          meeting.id,
        ])) as {
          outcome: string;
          sip_status: number | null;
          detail: string;
          ended_at: Date | null;
        }[];
        return r;
      },
      10_000,
      100,
    );
    assert.deepEqual([row.outcome, row.sip_status, row.detail], ['cancelled', 487, 'the meeting ended: cancelled while ringing']);
    assert.ok(row.ended_at && row.ended_at.getTime() - endedAt < 5000, 'ended at the meeting’s end, not at the ring timeout');

    const trace = await waitFor(
      'the CANCEL transaction and the ACK of the 487',
      async () => {
        const t = parseSippTrace(ringing.messages());
        return t.some((m) => m.direction === 'received' && m.startLine.startsWith('ACK ')) ? t : undefined;
      },
      5000,
      100,
    );
    const flow = trace.map((m) => `${m.direction === 'sent' ? '<-' : '->'} ${m.status ?? m.startLine.split(' ')[0]}`);
    assert.deepEqual(flow, ['-> INVITE', '<- 180', '-> CANCEL', '<- 200', '<- 487', '-> ACK'], flow.join(' '));

    // Past the second a no-answer would have waited for its retry.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(bridge.calls.dialer.pending(meeting.id), []);
    unsubscribe();
    assert.deepEqual(
      outcomes.map((e) => [e.outcome, e.retryInMs]),
      [['cancelled', null]],
      'no retry scheduled',
    );
    const [{ n }] = (await bridge.ds.query(`SELECT count(*)::int AS n FROM dial_attempt WHERE meeting_id = $1`, [meeting.id])) as { n: number }[];
    assert.equal(n, 1, 'no retry was made');
    assert.equal(parseSippTrace(ringing.messages()).filter((m) => m.startLine.startsWith('INVITE ')).length, 1);
    await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
    assert.equal(bridge.calls.engine.media.leased(), 0, 'the media lease is released');
    assert.deepEqual(bridge.calls.engine.calls.all(), []);
  });

  describe('races, with a scripted drachtio-srf on the real FreeSWITCH', () => {
    /** A drachtio-srf whose createUAC the test plays by hand; every CANCEL and BYE is counted. */
    function scriptedSrf() {
      const seen = { cancels: 0, byes: 0, invites: [] as UacOptions[] };
      const callId = `${randomUUID()}@scripted`;
      const req: SentRequest = {
        get: (h: string) => (h.toLowerCase() === 'call-id' ? callId : undefined),
        cancel: () => {
          seen.cancels++;
          onCancel();
        },
        on() {
          return req;
        },
      };
      let onCancel = (): void => undefined;
      const dialog = Object.assign(new EventEmitter(), {
        id: callId,
        sip: { callId, localTag: 'l', remoteTag: 'r' },
        local: { sdp: '' },
        // The site's answer: never used, the call is hung up before FreeSWITCH would see it.
        remote: { sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n' },
        connected: true,
        async destroy() {
          seen.byes++;
        },
        async modify() {
          return '';
        },
        async request() {
          return undefined;
        },
      }) as unknown as SipDialog;
      let play: (p: { cbRequest?: (err: unknown, r: SentRequest) => void }, settle: { resolve: (d: SipDialog) => void; reject: (e: Error) => void }) => void =
        () => undefined;
      const srf = {
        createUAC(_uri: string, opts: UacOptions, progress?: { cbRequest?: (err: unknown, r: SentRequest) => void }) {
          seen.invites.push(opts);
          return new Promise<SipDialog>((resolve, reject) => play(progress ?? {}, { resolve, reject }));
        },
      } as unknown as SrfApp;
      return {
        srf,
        req,
        dialog,
        seen,
        script(fn: typeof play, cancelled: () => void = () => undefined) {
          play = fn;
          onCancel = cancelled;
        },
      };
    }

    const deps = (srf: SrfApp): OutboundDeps => ({
      srf,
      content: null,
      setups: new InFlight(10),
      placement: bridge.calls.engine.placement,
      calls: bridge.calls.engine.calls,
      participations: bridge.calls.engine.participations,
      conferenceProfile: bridge.config.media.conferenceProfile,
      sipDomain: BRIDGE_DOMAIN,
      ringTimeoutMs: 40_000,
      log: bridge.log,
    });
    const place = (srf: SrfApp, signal: AbortSignal): Promise<DialResult> =>
      placeCall(
        deps(srf),
        { meetingId: randomUUID(), siteId: null, name: 'Xã Ia Dom', uri: 'sip:room@192.0.2.1', moderator: false, muted: false, signal },
        2063,
      );
    const nothingLeft = async () => {
      await waitFor('no FreeSWITCH channel left', async () => ((await bridge.channels()) === 0 ? true : undefined), 10_000);
      assert.equal(bridge.calls.engine.media.leased(), 0, 'the media lease is released');
      assert.deepEqual(bridge.calls.engine.calls.all(), []);
    };

    it('the meeting ends before drachtio hands over the INVITE: it is cancelled as soon as it does', async () => {
      const s = scriptedSrf();
      let sent!: { cbRequest?: (err: unknown, r: SentRequest) => void; settle: { resolve: (d: SipDialog) => void; reject: (e: Error) => void } };
      s.script((p, settle) => {
        sent = { ...p, settle };
      });
      const ac = new AbortController();
      const result = place(s.srf, ac.signal);
      await waitFor('the INVITE handed to drachtio', async () => sent, 10_000, 20);
      assert.ok(s.seen.invites[0]!.localSdp?.includes('m=audio'), 'FreeSWITCH made the offer');
      ac.abort('meeting-ended');
      assert.equal(s.seen.cancels, 0, 'nothing to cancel yet');
      sent.cbRequest?.(null, s.req);
      assert.equal(s.seen.cancels, 1, 'cancelled the moment the request exists');
      sent.settle.reject(Object.assign(new Error('Request Terminated'), { status: 487 }));
      const r = await result;
      assert.deepEqual([r.outcome, r.status, r.callId !== null], ['cancelled', 487, true]);
      await nothingLeft();
    });

    it('the 200 OK crosses our CANCEL: the call is hung up (BYE), never joins, and nothing is left', async () => {
      const s = scriptedSrf();
      let settle!: { resolve: (d: SipDialog) => void };
      s.script(
        (p, st) => {
          settle = st;
          p.cbRequest?.(null, s.req);
        },
        () => setTimeout(() => settle.resolve(s.dialog), 20),
      );
      const ac = new AbortController();
      const result = place(s.srf, ac.signal);
      await waitFor('the INVITE sent', async () => settle, 10_000, 20);
      ac.abort('meeting-ended');
      const r = await result;
      assert.deepEqual([r.outcome, r.status, r.detail], ['cancelled', 200, 'the meeting ended: answered too late, hung up']);
      assert.deepEqual([s.seen.cancels, s.seen.byes], [1, 1]);
      await nothingLeft();
      const [{ n }] = (await bridge.ds.query(`SELECT count(*)::int AS n FROM participation WHERE call_id = $1`, [r.callId])) as { n: number }[];
      assert.equal(n, 0, 'never in the meeting');
    });

    it('an attempt called off before it starts takes nothing', async () => {
      const s = scriptedSrf();
      const ac = new AbortController();
      ac.abort('shutdown');
      const r = await place(s.srf, ac.signal);
      assert.deepEqual([r.outcome, r.detail, s.seen.invites.length], ['cancelled', 'the bridge is stopping: not dialled', 0]);
      await nothingLeft();
    });
  });
});
