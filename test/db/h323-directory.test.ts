import assert from 'node:assert/strict';
import { cliActor } from '../../src/audit/audit';
import { siteAliasDirectory } from '../../src/directory/h323-directory';
import { SiteDirectory } from '../../src/directory/sites';
import { migratedDataSource } from '../support/db';

describe('H.323 alias directory', () => {
  it('finds an enabled site by alias whatever its case, and answers "nobody" to aliases the database cannot hold', async () => {
    const { ds } = await migratedDataSource();
    try {
      const site = await new SiteDirectory(ds, 'bridge.test').create(
        { code: 'phuoc-hoa', name: 'Xã Phước Hòa', protocol: 'h323', h323Alias: 'Xa-Phuoc-Hoa', allowedNetworks: [], enabled: true },
        cliActor,
      );
      const directory = siteAliasDirectory(ds);
      assert.equal((await directory.lookupAlias('xa-phuoc-hoa'))?.siteId, site.id);
      // Before, these reached PostgreSQL and failed the RAS request with SQLSTATE 22021.
      for (const alias of ['xa-phuoc-hoa\u0000', '\ud800', 'a\u0000b']) assert.equal(await directory.lookupAlias(alias), null, JSON.stringify(alias));
    } finally {
      await ds.destroy();
    }
  });
});
