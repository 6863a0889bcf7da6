import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { MeetingEntity } from '../../src/meetings/meeting.entity';
import { findRoomBookings } from '../../src/meetings/room-bookings';
import { migratedDataSource, migratedEmbeddedDataSource } from '../support/db';
import { QueryCounter } from '../support/query-counter';

const hour = 3600_000;
const now = new Date('2026-12-07T08:00:00Z');

/** The room look-up every dial-in makes, on PostgreSQL and on the embedded PGlite. */
for (const [name, open] of [
  ['PostgreSQL', async () => (await migratedDataSource()).ds],
  ['PGlite', migratedEmbeddedDataSource],
] as const) {
  describe(`a room's bookings around now (findRoomBookings, ${name})`, () => {
    let ds: DataSource;
    const ids: Record<string, string> = {};
    before(async () => {
      ds = await open();
      const [site] = await ds.query(`INSERT INTO site (code, name, search_text, protocol) VALUES ('xa-a', 'Xã A', 'xa a', 'sip') RETURNING id`);
      ids['site'] = site.id;
      const meeting = async (key: string, room: number, startsIn: number, status = 'scheduled') => {
        const [row] = await ds.query(
          `INSERT INTO meeting (title, room_number, starts_at, ends_at, dial_out, allow_guests, mode, language, record, status)
           VALUES ($1, $2, $3, $4, false, true, 'discussion', 'vi', false, $5) RETURNING id`,
          [key, room, new Date(now.getTime() + startsIn), new Date(now.getTime() + startsIn + hour), status],
        );
        ids[key] = row.id;
      };
      await meeting('yesterday', 2001, -24 * hour, 'ended');
      await meeting('now', 2001, -10 * 60_000, 'live');
      await meeting('tomorrow', 2001, 24 * hour);
      await meeting('earlier', 2002, -3 * hour, 'ended');
      await meeting('soon', 2002, 4 * 60_000);
      await meeting('later', 2002, 5 * hour);
      await ds.query(`INSERT INTO meeting_site (meeting_id, site_id) VALUES ($1, $2)`, [ids['now'], ids['site']]);
    });
    after(() => ds?.destroy());

    it('finds the meeting open now with its invited sites, in one statement, as TypeORM reads it', async () => {
      const counter = new QueryCounter(ds);
      counter.start();
      const found = await findRoomBookings(ds, 2001, now, 5 * 60_000);
      assert.equal(counter.stop(), 1, counter.statements.join(' | '));
      counter.close();
      assert.deepEqual(found.current?.meeting, await ds.manager.findOneByOrFail(MeetingEntity, { id: ids['now']! }));
      assert.deepEqual([...found.current!.invited], [ids['site']]);
      assert.equal(found.next, null);
    });

    it('opens a meeting the given time before its start, and says which came before and which is next', async () => {
      const early = await findRoomBookings(ds, 2002, now, 5 * 60_000);
      assert.equal(early.current?.meeting.title, 'soon');
      assert.deepEqual([...early.current!.invited], []);
      const notYet = await findRoomBookings(ds, 2002, now, 60_000);
      assert.equal(notYet.current, null);
      assert.equal(notYet.next?.title, 'soon');
      assert.equal(notYet.previous?.title, 'earlier');
      assert.ok(notYet.next!.startsAt instanceof Date);
      const empty = await findRoomBookings(ds, 2999, now, 60_000);
      assert.deepEqual(empty, { current: null, next: null, previous: null });
    });
  });
}
