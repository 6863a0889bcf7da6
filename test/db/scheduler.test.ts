import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { createDataSource } from '../../src/db/data-source';
import { silentLogger } from '../../src/log';
import { MeetingBook } from '../../src/meetings/meeting-book';
import type { Meeting } from '../../src/meetings/meeting.entity';
import { MeetingEvents, type MeetingEvent } from '../../src/meetings/meeting-events';
import { Scheduler, type MeetingLifecycle } from '../../src/meetings/scheduler';
import { migratedDataSource } from '../support/db';

/** Records what the scheduler asked for; the scheduler itself and PostgreSQL are real. */
function recordingLifecycle() {
  const calls: [string, string][] = [];
  const lifecycle: MeetingLifecycle = {
    live: async (m: Meeting) => void calls.push(['live', m.title]),
    ending: async (m: Meeting) => void calls.push(['ending', m.title]),
    ended: async (m: Meeting) => void calls.push(['ended', m.title]),
    readiness: async (m: Meeting) => void calls.push(['readiness', m.title]),
  };
  return { calls, lifecycle };
}

describe('meeting scheduler (PostgreSQL, controlled clock)', () => {
  const minute = 60_000;

  it('moves meetings through their life once, whichever of two processes runs', async () => {
    const { ds, url } = await migratedDataSource();
    const { ds: ds2 } = createDataSource({ url });
    await ds2.initialize();
    try {
      let now = new Date('2030-03-02T00:50:00Z');
      const book = new MeetingBook(ds, { min: 2000, max: 2099 }, () => now);
      const at = (m: number) => new Date(Date.parse('2030-03-02T01:00:00Z') + m * minute).toISOString();
      await book.create(
        {
          title: 'A',
          roomNumber: 2001,
          startsAt: at(0),
          endsAt: at(60),
          invitedSites: [],
          dialOut: true,
          allowGuests: false,
          mode: 'discussion',
          language: 'vi',
          record: false,
        },
        cliActor,
      );
      const events = new MeetingEvents();
      const seen: MeetingEvent[] = [];
      events.subscribe('*', (e) => seen.push(e));
      const opts = { leadMs: 2 * minute, readinessBeforeMs: 15 * minute, endWarningMs: 5 * minute, tickMs: 60_000, now: () => now };
      const one = recordingLifecycle();
      const two = recordingLifecycle();
      const a = new Scheduler(ds, one.lifecycle, events, opts, silentLogger);
      const b = new Scheduler(ds2, two.lifecycle, events, opts, silentLogger);
      try {
        await a.tick();
        await b.tick();
        assert.ok(a.leader && !b.leader, 'one leader');
        assert.deepEqual(one.calls, [['readiness', 'A']]);
        now = new Date(Date.parse(at(-2)) + 1000); // inside the lead
        await a.tick();
        await b.tick();
        now = new Date(Date.parse(at(56)));
        await a.tick();
        await a.tick();
        now = new Date(Date.parse(at(60)));
        await a.tick();
        await b.tick();
        assert.deepEqual(one.calls, [
          ['readiness', 'A'],
          ['live', 'A'],
          ['ending', 'A'],
          ['ended', 'A'],
        ]);
        assert.deepEqual(two.calls, [], 'the second process did nothing');
        assert.deepEqual(
          seen.map((e) => e.type === 'meeting.state' && e.status),
          ['live', 'ended'],
        );
        const [row] = await ds.query(`SELECT status, went_live_at IS NOT NULL AS live, ended_at IS NOT NULL AS ended FROM meeting`);
        assert.deepEqual(row, { status: 'ended', live: true, ended: true });

        // The leader goes away; the other takes over and resumes what is live.
        await book.create(
          {
            title: 'B',
            roomNumber: 2002,
            startsAt: at(70),
            endsAt: at(90),
            invitedSites: [],
            dialOut: true,
            allowGuests: false,
            mode: 'discussion',
            language: 'vi',
            record: false,
          },
          cliActor,
        );
        now = new Date(Date.parse(at(75)));
        await a.tick();
        await a.stop();
        await b.tick();
        assert.ok(b.leader);
        assert.deepEqual(two.calls, [['live', 'B']], 'a restarted leader picks up the live meeting');
      } finally {
        await a.stop();
        await b.stop();
      }
    } finally {
      await ds2.destroy();
      await ds.destroy();
    }
  });

  it('runs the housekeeping (recording retention) on the leader only, at most once per period', async () => {
    const { ds, url } = await migratedDataSource();
    const { ds: ds2 } = createDataSource({ url });
    await ds2.initialize();
    let now = new Date('2030-03-02T00:00:00Z');
    const runs: [string, string][] = [];
    const opts = (who: string) => ({
      leadMs: 0,
      readinessBeforeMs: 0,
      endWarningMs: 0,
      tickMs: 60_000,
      now: () => now,
      housekeeping: { everyMs: 60 * minute, run: async (at: Date) => void runs.push([who, at.toISOString()]) },
    });
    const a = new Scheduler(ds, recordingLifecycle().lifecycle, new MeetingEvents(), opts('a'), silentLogger);
    const b = new Scheduler(ds2, recordingLifecycle().lifecycle, new MeetingEvents(), opts('b'), silentLogger);
    try {
      await a.tick();
      await b.tick();
      now = new Date(now.getTime() + 30 * minute);
      await a.tick();
      now = new Date(now.getTime() + 30 * minute);
      await a.tick();
      await b.tick();
      assert.deepEqual(runs, [
        ['a', '2030-03-02T00:00:00.000Z'],
        ['a', '2030-03-02T01:00:00.000Z'],
      ]);
    } finally {
      await a.stop();
      await b.stop();
      await ds2.destroy();
      await ds.destroy();
    }
  });
});
