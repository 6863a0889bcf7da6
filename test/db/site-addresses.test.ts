import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { ChangeFeed } from '../../src/db/change-feed';
import { SiteAddresses } from '../../src/directory/site-addresses';
import { siteForSource } from '../../src/directory/site-lookup';
import { silentLogger } from '../../src/log';
import { migratedDataSource } from '../support/db';
import { QueryCounter } from '../support/query-counter';
import { waitFor } from '../support/stack';

describe('the directory\u2019s addresses in memory (SiteAddresses)', () => {
  let ds: DataSource;
  let feed: ChangeFeed;
  before(async () => {
    ds = (await migratedDataSource()).ds;
    feed = new ChangeFeed(ds, silentLogger);
    await feed.start();
    const site = (code: string, networks: string[], opts: { username?: string; enabled?: boolean } = {}) =>
      ds.query(
        `INSERT INTO site (code, name, search_text, protocol, sip_username, sip_ha1, sip_realm, allowed_networks, enabled)
         VALUES ($1, $1, $1, 'sip', $2::text, CASE WHEN $2::text IS NULL THEN NULL ELSE 'x' END, CASE WHEN $2::text IS NULL THEN NULL ELSE 'r' END, $3, $4)`,
        [code, opts.username ?? null, networks, opts.enabled ?? true],
      );
    await site('huyen', ['10.1.0.0/16']);
    await site('xa-a', ['10.1.2.0/24', '192.168.7.7/32']);
    await site('xa-tat', ['10.9.0.0/16'], { enabled: false });
    await site('xa-d', [], { username: 'xa-d' });
    await site('xa-v6', ['2001:db8::/32']);
  });
  after(async () => {
    await feed?.close();
    await ds?.destroy();
  });

  it('answers as the database does, the most specific network first, without a query once read', async () => {
    const addresses = new SiteAddresses(ds, feed);
    const code = async (ip: string) => (await addresses.siteForSource(ip))?.code ?? null;
    const probes = ['10.1.2.7', '10.1.9.9', '::ffff:10.1.2.7', '192.168.7.7', '192.168.7.8', '10.9.0.1', '2001:db8::1', '2001:db9::1', '172.16.0.1'];
    assert.deepEqual(await Promise.all(probes.map(code)), ['xa-a', 'huyen', 'xa-a', 'xa-a', null, null, 'xa-v6', null, null]);
    for (const ip of probes) assert.equal(await code(ip), (await siteForSource(ds, ip))?.code ?? null, ip);
    assert.equal(await addresses.isSiteUsername('xa-d'), true);
    assert.equal(await addresses.isSiteUsername('guest'), false);

    const counter = new QueryCounter(ds);
    counter.start();
    await code('10.1.2.7');
    await addresses.isSiteUsername('guest');
    assert.equal(counter.stop(), 0, counter.statements.join(' | '));
    counter.close();
    addresses.close();
  });

  it('forgets what it read when a site changes, even by hand in SQL', async () => {
    const addresses = new SiteAddresses(ds, feed);
    assert.equal((await addresses.siteForSource('10.1.2.7'))?.code, 'xa-a');
    await ds.query(`UPDATE site SET allowed_networks = '{}' WHERE code = 'xa-a'`);
    await waitFor('the narrower network gone', async () => ((await addresses.siteForSource('10.1.2.7'))?.code === 'huyen' ? true : undefined), 2000, 20);
    await ds.query(`UPDATE site SET enabled = false WHERE code = 'xa-d'`);
    await waitFor('the disabled username', async () => ((await addresses.isSiteUsername('xa-d')) ? undefined : true), 2000, 20);
    addresses.close();
  });
});
