import assert from 'node:assert/strict';
import { createDataSource, migrate } from '../../src/db/data-source';
import { createTestDatabase } from '../support/db';

describe('migrations', () => {
  it('run up from an empty database, down to nothing, and up again', async () => {
    const { ds } = createDataSource({ url: await createTestDatabase() });
    await ds.initialize();
    try {
      const ran = await migrate(ds);
      assert.ok(ran.length >= 1);
      assert.deepEqual(await migrate(ds), [], 'a second run has nothing to do');
      const tables = async () =>
        (await ds.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations' ORDER BY 1`)).map(
          (r: { tablename: string }) => r.tablename,
        );
      assert.deepEqual(await tables(), [
        'api_key',
        'audit_event',
        'cascade_link',
        'content_share',
        'dial_attempt',
        'media_sample',
        'meeting',
        'meeting_document',
        'meeting_group',
        'meeting_site',
        'operator',
        'operator_session',
        'participation',
        'readiness_check',
        'recording',
        'registration',
        'site',
        'site_group',
        'site_group_member',
      ]);
      for (let i = 0; i < ran.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      assert.deepEqual(await tables(), []);
      assert.deepEqual(await migrate(ds), ran);
    } finally {
      await ds.destroy();
    }
  });

  it('enforce the booking rules in the database itself', async () => {
    const { ds } = createDataSource({ url: await createTestDatabase() });
    await ds.initialize();
    try {
      await migrate(ds);
      const [site] = await ds.query(`INSERT INTO site (code, name, search_text, protocol) VALUES ('dun', 'Xã Dun', 'xa dun', 'sip') RETURNING id`);
      const meeting = async (room: number, from: string, to: string) =>
        (await ds.query(`INSERT INTO meeting (title, room_number, starts_at, ends_at) VALUES ('m', $1, $2, $3) RETURNING id`, [room, from, to]))[0].id;
      const a = await meeting(2001, '2030-01-01T08:00Z', '2030-01-01T10:00Z');
      await assert.rejects(meeting(2001, '2030-01-01T09:00Z', '2030-01-01T11:00Z'), { code: '23P01' });
      const b = await meeting(2002, '2030-01-01T09:00Z', '2030-01-01T11:00Z');
      await ds.query(`INSERT INTO meeting_site (meeting_id, site_id) VALUES ($1, $2)`, [a, site.id]);
      await assert.rejects(ds.query(`INSERT INTO meeting_site (meeting_id, site_id) VALUES ($1, $2)`, [b, site.id]), { code: '23P01' });
      // Cancelling a meeting releases its site (the invitation row follows the meeting's status).
      await ds.query(`UPDATE meeting SET status = 'cancelled' WHERE id = $1`, [a]);
      await ds.query(`INSERT INTO meeting_site (meeting_id, site_id) VALUES ($1, $2)`, [b, site.id]);
      // Reviving the first meeting would put the site in two meetings at once: refused via its invitation.
      await assert.rejects(ds.query(`UPDATE meeting SET status = 'scheduled', room_number = 2003 WHERE id = $1`, [a]), {
        code: '23P01',
        constraint: 'meeting_site_no_overlap',
      });
      const [{ active }] = await ds.query(`SELECT active FROM meeting_site WHERE meeting_id = $1`, [a]);
      assert.equal(active, false);
    } finally {
      await ds.destroy();
    }
  });
});
