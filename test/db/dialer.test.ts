import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { cliActor } from '../../src/audit/audit';
import { CallRegistry } from '../../src/calls/call-registry';
import { cancelledResult } from '../../src/calls/dial-out/cancel';
import { Dialer } from '../../src/calls/dial-out/dialer';
import { defaultRetryPolicy, scalePolicy } from '../../src/calls/dial-out/retry-policy';
import type { DialResult, DialTarget } from '../../src/calls/dial-out/dial';
import { callLookups } from '../../src/calls/lookups';
import { Registrations } from '../../src/directory/registrations';
import { SiteDirectory } from '../../src/directory/sites';
import { silentLogger } from '../../src/log';
import { MeetingBook } from '../../src/meetings/meeting-book';
import { DialAttempts } from '../../src/meetings/dial-attempts';
import { Invitations } from '../../src/meetings/invitations';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { MeetingEvents, type MeetingEvent } from '../../src/meetings/meeting-events';
import { Participations } from '../../src/meetings/participations';
import { migratedDataSource } from '../support/db';
import { waitFor } from '../support/stack';
import { InFlight } from '../../src/calls/in-flight';

/**
 * The dialer's bookkeeping against the real database, with scripted placers in place of SIP and
 * H.323: an attempt called off by the meeting's end is recorded as cancelled and never retried,
 * and an attempt records where the placer really dialled.
 */
describe('dial-out: the dialer calls attempts off and records their real target (PostgreSQL)', () => {
  let ds: DataSource;
  let book: MeetingBook;
  let sites: SiteDirectory;
  let room = 2090;

  before(async () => {
    ({ ds } = await migratedDataSource());
    book = new MeetingBook(ds, { min: 2000, max: 2099 });
    sites = new SiteDirectory(ds, 'bridge.test');
    await sites.create({ code: 'sip-a', name: 'Xã A', protocol: 'sip', sipUri: 'sip:room@192.0.2.10', allowedNetworks: [], enabled: true }, cliActor);
    await sites.create(
      { code: 'h323-b', name: 'Xã B', protocol: 'h323', h323Alias: '2302', h323Address: '192.0.2.20', allowedNetworks: [], enabled: true },
      cliActor,
    );
  });

  after(async () => {
    await ds?.destroy();
  });

  /** A dialer whose placer is `place` (SIP) and `placeH323`, with retries a second apart, and the events it published. */
  function dialer(place: (t: DialTarget) => Promise<DialResult>, placeH323?: (t: DialTarget) => Promise<DialResult>) {
    const events = new MeetingEvents();
    const seen: MeetingEvent[] = [];
    events.subscribe('*', (e) => seen.push(e));
    const d = new Dialer(
      {
        calls: new CallRegistry(new Participations(ds), events),
        registrations: new Registrations(ds),
        sites: callLookups(ds),
        meetings: callLookups(ds),
        invitations: new Invitations(ds),
        attempts: new DialAttempts(ds),
        events,
        log: silentLogger,
      },
      { sip: (t) => place(t), ...(placeH323 && { h323: (t: DialTarget) => placeH323(t) }) },
      { policy: scalePolicy(defaultRetryPolicy, 1 / 60), setups: new InFlight(4), redialDropped: true },
    );
    return { d, seen };
  }

  const meeting = async (site: string): Promise<Meeting> => {
    // Two hours apart: a site may not be booked into overlapping meetings. The dialer does not look at the times.
    const start = new Date(Date.now() + (room - 2090) * 2 * 3600_000);
    return (
      await book.create(
        {
          title: 'Giao ban',
          roomNumber: room++,
          startsAt: start.toISOString(),
          endsAt: new Date(start.getTime() + 3600_000).toISOString(),
          invitedSites: [site],
          dialOut: true,
          allowGuests: false,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      )
    ).meeting;
  };

  /** A placer that rings until its attempt is called off, then answers as placeCall does after its CANCEL. */
  const ringing = () => {
    const targets: DialTarget[] = [];
    const place = (t: DialTarget) => {
      targets.push(t);
      return new Promise<DialResult>((resolve) => {
        t.signal!.addEventListener('abort', () => resolve(cancelledResult(t.signal!, { status: 487, callId: 'c1', note: 'cancelled while ringing' })), {
          once: true,
        });
      });
    };
    return { targets, place };
  };

  const rows = async (meetingId: string) =>
    (await ds.query(`SELECT target, outcome, sip_status, detail, ended_at IS NOT NULL AS ended FROM dial_attempt WHERE meeting_id = $1 ORDER BY started_at`, [
      meetingId,
    ])) as {
      target: string;
      outcome: string | null;
      sip_status: number | null;
      detail: string | null;
      ended: boolean;
    }[];

  it('stop() calls off the attempt in flight: recorded as cancelled, no retry, nothing pending', async () => {
    const { targets, place } = ringing();
    const { d, seen } = dialer(place);
    const m = await meeting('sip-a');
    await d.start(m);
    await waitFor('the site ringing', async () => targets[0], 5000, 20);
    assert.equal(targets[0]!.signal!.aborted, false);
    d.stop(m.id);
    assert.equal(targets[0]!.signal!.aborted, true, 'aborted at once, not at the ring timeout');
    assert.equal(targets[0]!.signal!.reason, 'meeting-ended');
    const [row] = await waitFor('the attempt recorded', async () => ((await rows(m.id))[0]?.ended ? rows(m.id) : undefined), 5000, 20);
    assert.deepEqual(row, {
      target: 'sip:room@192.0.2.10',
      outcome: 'cancelled',
      sip_status: 487,
      detail: 'the meeting ended: cancelled while ringing',
      ended: true,
    });
    // A no-answer would be retried after a second with this policy: wait past it.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(targets.length, 1, 'dialled once');
    assert.equal((await rows(m.id)).length, 1);
    assert.deepEqual(d.pending(m.id), []);
    const outcome = seen.find((e): e is Extract<MeetingEvent, { type: 'dial.outcome' }> => e.type === 'dial.outcome');
    assert.deepEqual(outcome && [outcome.outcome, outcome.retryInMs, outcome.target], ['cancelled', null, 'sip:room@192.0.2.10']);
  });

  it('close() calls off every meeting’s attempts as a shutdown, and dials nothing after', async () => {
    const { targets, place } = ringing();
    const { d } = dialer(place);
    const m = await meeting('sip-a');
    await d.start(m);
    await waitFor('the site ringing', async () => targets[0], 5000, 20);
    d.close();
    assert.equal(targets[0]!.signal!.reason, 'shutdown');
    const [row] = await waitFor('the attempt recorded', async () => ((await rows(m.id))[0]?.ended ? rows(m.id) : undefined), 5000, 20);
    assert.deepEqual([row!.outcome, row!.detail], ['cancelled', 'the bridge is stopping: cancelled while ringing']);
    const late = await d.dialUri(m, 'sip:late@192.0.2.30', 'Late');
    assert.deepEqual([late.outcome, targets.length], ['cancelled', 1], 'a dial after close is called off before it starts');
  });

  it('an operator’s one-shot dialUri carries the meeting’s signal, and is not a campaign that redials', async () => {
    const { targets, place } = ringing();
    const { d } = dialer(place);
    const m = await meeting('sip-a');
    const result = d.dialUri(m, 'sip:tram-y-te@192.0.2.40', 'Trạm y tế');
    await waitFor('the URI ringing', async () => targets[0], 5000, 20);
    assert.deepEqual([targets[0]!.uri, targets[0]!.siteId], ['sip:tram-y-te@192.0.2.40', null]);
    // An invited site dropping out of a meeting without dial-out is not called back because of the one-shot.
    d.callEnded(m.id, (await sites.byRef('sip-a')).id, 'caller-hangup');
    assert.equal(targets.length, 1);
    d.stop(m.id);
    assert.equal((await result).outcome, 'cancelled');
    assert.deepEqual(await rows(m.id), [], 'a one-shot has no dial_attempt row');
  });

  it('records the address an H.323 attempt really dialled; dial.attempt keeps the guess, dial.outcome has the real one', async () => {
    const real = 'h323:2302@198.51.100.7:1721';
    const { d, seen } = dialer(
      async () => assert.fail('an H.323 site does not go to the SIP placer'),
      async () => ({ outcome: 'busy', status: 486, callId: null, detail: 'released with cause 17', target: real }),
    );
    const m = await meeting('h323-b');
    await d.start(m);
    const [row] = await waitFor('the attempt recorded', async () => ((await rows(m.id))[0]?.ended ? rows(m.id) : undefined), 5000, 20);
    d.stop(m.id);
    assert.deepEqual([row!.target, row!.outcome], [real, 'busy']);
    const attempt = seen.find((e): e is Extract<MeetingEvent, { type: 'dial.attempt' }> => e.type === 'dial.attempt');
    const outcome = seen.find((e): e is Extract<MeetingEvent, { type: 'dial.outcome' }> => e.type === 'dial.outcome');
    assert.equal(attempt?.target, 'h323:2302@192.0.2.20', 'the directory address, before the gateway resolved it');
    assert.equal(outcome?.target, real);
  });
});
