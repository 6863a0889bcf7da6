import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { ChangeFeed } from '../../src/db/change-feed';
import { silentLogger } from '../../src/log';
import { migratedDataSource } from '../support/db';
import { waitFor } from '../support/stack';

/** The cache notifications: the migration's triggers, a LISTEN connection, and what losing it means. */
describe('cache notifications (ChangeFeed)', () => {
  let ds: DataSource;
  let feed: ChangeFeed;
  const heard: (string | null)[] = [];
  before(async () => {
    ds = (await migratedDataSource()).ds;
    feed = new ChangeFeed(ds, silentLogger);
    await feed.start();
    feed.subscribe('site', (k) => heard.push(k));
  });
  after(async () => {
    await feed?.close();
    await ds?.destroy();
  });

  it('hears the site trigger for writes and truncation, only once committed', async () => {
    assert.equal(feed.live, true);
    heard.length = 0;
    await ds.query(
      `INSERT INTO site (code, name, search_text, protocol, sip_username, sip_ha1, sip_realm, allowed_networks, enabled) VALUES ('a', 'A', 'a', 'sip', 'user-a', 'x', 'r', '{}', true)`,
    );
    await ds.query(`UPDATE site SET sip_username = 'user-b' WHERE code = 'a'`);
    await ds
      .transaction(async (em) => {
        await em.query(`UPDATE site SET enabled = false WHERE code = 'a'`);
        await em.query(`SELECT 1/0`);
      })
      .catch(() => {});
    await ds.query(`DELETE FROM site WHERE code = 'a'`);
    await ds.query(`TRUNCATE site CASCADE`);
    await waitFor('the notifications', async () => (heard.length >= 5 ? true : undefined), 2000, 20);
    assert.deepEqual(heard, ['user-a', 'user-a', 'user-b', 'user-b', null], 'insert, rename (old and new), delete, truncate; nothing from the rollback');
  });

  it('tells every subscriber to drop everything when the connection is lost, and listens again', async () => {
    heard.length = 0;
    await ds.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'diemcau cache notifications' AND datname = current_database()`,
    );
    await waitFor('the loss', async () => (feed.live ? undefined : true), 2000, 10);
    assert.deepEqual(heard, [null]);
    await waitFor('the reconnection', async () => (feed.live ? true : undefined), 5000, 50);
    assert.deepEqual(heard, [null, null], 'and again once back: what changed meanwhile is unknown');
    await ds.query(
      `INSERT INTO site (code, name, search_text, protocol, sip_username, sip_ha1, sip_realm, allowed_networks, enabled) VALUES ('c', 'C', 'c', 'sip', 'user-c', 'x', 'r', '{}', true)`,
    );
    await waitFor('a notification after the reconnection', async () => ((heard as (string | null)[]).includes('user-c') ? true : undefined), 2000, 20);
  });

  it('closes once, and stays closed', async () => {
    const other = new ChangeFeed(ds, silentLogger);
    await other.start();
    assert.equal(other.live, true);
    await other.close();
    await other.close();
    assert.equal(other.live, false);
  });
});
