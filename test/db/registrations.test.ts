import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { cliActor } from '../../src/audit/audit';
import { type RegisterContext, Registrations } from '../../src/directory/registrations';
import { SiteDirectory } from '../../src/directory/sites';
import { migratedDataSource, migratedEmbeddedDataSource } from '../support/db';
import { QueryCounter } from '../support/query-counter';

const engines = [
  { name: 'PostgreSQL', open: async () => (await migratedDataSource()).ds, counts: true },
  { name: 'PGlite', open: migratedEmbeddedDataSource, counts: false },
];

for (const engine of engines)
  describe(`registrations on ${engine.name}: refreshes of many sites at once`, () => {
    let ds: DataSource;
    let ids: string[];
    const ctx = (callId: string, cseq: number, sourcePort = 5060): RegisterContext => ({
      callId,
      cseq,
      userAgent: 'Poly G7500',
      sourceAddress: '10.1.0.1',
      sourcePort,
      transport: 'udp',
    });
    const contact = (i: number) => `sip:site-${i}@10.1.0.1:5060`;

    before(async () => {
      ds = await engine.open();
      const sites = new SiteDirectory(ds, 'bridge.test');
      ids = [];
      for (let i = 0; i < 5; i++) {
        const site = await sites.create(
          { code: `reg-${i}`, name: `Xã ${i}`, protocol: 'sip', sipUsername: `site-${i}`, sipPassword: `pw-${i}`, allowedNetworks: [], enabled: true },
          cliActor,
        );
        ids.push(site.id);
      }
    });
    after(() => ds.destroy());

    it('share one statement, each answered as if alone; two of one site are not mixed', async () => {
      const registrations = new Registrations(ds);
      // Sites 0–3 have a binding; site 4 has none.
      for (let i = 0; i < 4; i++) await registrations.apply(ids[i]!, [{ contact: contact(i), expires: 120 }], ctx(`call-${i}`, 1));
      const rowOf = async (i: number) =>
        (
          (await ds.query(`SELECT cseq, source_port, expires_at FROM registration WHERE site_id = $1`, [ids[i]])) as {
            cseq: number;
            source_port: number;
            expires_at: Date;
          }[]
        )[0]!;
      const site1 = await rowOf(1);

      const counter = engine.counts ? new QueryCounter(ds) : null;
      counter?.start();
      const [renewed, late, otherContact, none, renewedAgain] = await Promise.all([
        registrations.refresh(ids[0]!, { contact: contact(0), expires: 3600 }, ctx('call-0', 2, 5062)),
        // The same Call-ID with a CSeq not higher: out of order, nothing changes.
        registrations.refresh(ids[1]!, { contact: contact(1), expires: 3600 }, ctx('call-1', 1)),
        // A contact the site has not registered is not a refresh (apply adds it).
        registrations.refresh(ids[2]!, { contact: 'sip:site-2@10.9.9.9:5060', expires: 3600 }, ctx('call-2b', 1)),
        registrations.refresh(ids[4]!, { contact: contact(4), expires: 3600 }, ctx('call-4', 1)),
        // Site 0 again, in the same turn: it waits for the next statement and sees the first one's row.
        registrations.refresh(ids[0]!, { contact: contact(0), expires: 1800 }, ctx('call-0', 3, 5064)),
      ]);
      if (counter) {
        const statements = counter.stop();
        counter.close();
        assert.equal(statements, 2, `one statement for four sites, one for site 0's second refresh: ${counter.statements.join(' | ')}`);
      }
      assert.ok('bindings' in renewed && 'bindings' in renewedAgain);
      assert.deepEqual(
        renewed.bindings.map((b) => [b.contact, b.source]),
        [[contact(0), '10.1.0.1:5062']],
      );
      assert.deepEqual(
        renewedAgain.bindings.map((b) => [b.contact, b.source]),
        [[contact(0), '10.1.0.1:5064']],
      );
      const left = (renewedAgain.bindings[0]!.expiresAt.getTime() - Date.now()) / 1000;
      assert.ok(left > 1790 && left <= 1800, `the last refresh's expiry: ${left} s`);
      assert.deepEqual(late, { outOfOrder: true });
      assert.deepEqual(otherContact, { outOfOrder: false });
      assert.deepEqual(none, { outOfOrder: false });

      assert.deepEqual(await rowOf(1), site1, 'the out-of-order REGISTER changed nothing');
      assert.deepEqual((await ds.query(`SELECT contact FROM registration WHERE site_id = $1`, [ids[2]])) as unknown[], [{ contact: contact(2) }]);
      assert.equal(((await ds.query(`SELECT count(*)::int AS n FROM registration WHERE site_id = $1`, [ids[4]])) as { n: number }[])[0]!.n, 0);
      assert.equal((await rowOf(0)).cseq, 3);
    });
  });
