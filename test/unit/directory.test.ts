import assert from 'node:assert/strict';
import { FailureLimiter } from '../../src/access/failure-limiter';
import { ipInNetworks, parseCidr } from '../../src/directory/networks';
import { foldForSearch } from '../../src/directory/search-text';
import { parseSiteCsv } from '../../src/directory/site-import';
import { demoCode } from '../../src/directory/demo-seed';

describe('directory rules', () => {
  it('folds Vietnamese names for search', () => {
    assert.equal(foldForSearch('Xã Bờ Ngoong'), 'xa bo ngoong');
    assert.equal(foldForSearch('  Đắk   Đoa '), 'dak doa');
    assert.equal(foldForSearch('Ia Hlốp'.normalize('NFD')), 'ia hlop');
    assert.equal(demoCode('Thị trấn Chư Sê'), 'chu-se');
    assert.equal(demoCode('Xã H Bông'), 'h-bong');
  });

  it('parses CIDR networks strictly and matches addresses', () => {
    assert.equal(parseCidr('10.20.0.0/16'), '10.20.0.0/16');
    assert.equal(parseCidr('10.20.1.7'), '10.20.1.7/32');
    assert.equal(parseCidr('10.20.1.7/16'), undefined, 'host bits set');
    assert.equal(parseCidr('10.0.0.300/24'), undefined);
    assert.equal(parseCidr('2001:db8:0:0::/32'), '2001:db8::/32');
    assert.equal(parseCidr('fe80::1/129'), undefined);
    assert.equal(parseCidr('example.com/24'), undefined);
    const nets = ['10.20.0.0/16', '2001:db8::/32'];
    assert.ok(ipInNetworks('10.20.255.1', nets));
    assert.ok(ipInNetworks('::ffff:10.20.0.9', nets));
    assert.ok(ipInNetworks('2001:db8:1::5', nets));
    assert.ok(!ipInNetworks('10.21.0.1', nets));
    assert.ok(!ipInNetworks('not-an-ip', nets));
  });

  it('blocks a source after repeated failures, for a while', () => {
    let now = 0;
    const limiter = new FailureLimiter({ maxFailures: 3, windowMs: 1000, blockMs: 5000, now: () => now });
    assert.equal(limiter.fail('a'), false);
    now = 1500; // the first failure is outside the window by now
    assert.equal(limiter.fail('a'), false);
    assert.equal(limiter.fail('a'), false);
    assert.equal(limiter.blockedFor('a'), 0);
    assert.equal(limiter.fail('a'), true);
    assert.equal(limiter.blockedFor('a'), 5000);
    limiter.succeed('a');
    assert.equal(limiter.blockedFor('a'), 5000, 'a success does not lift a block');
    assert.equal(limiter.blockedFor('b'), 0);
    now = 6500;
    assert.equal(limiter.blockedFor('a'), 0);
  });

  it('forgets the oldest sources first when it tracks too many', () => {
    const limiter = new FailureLimiter({ maxFailures: 1, windowMs: 1000, blockMs: 1000, maxSources: 2, now: () => 0 });
    limiter.fail('a');
    limiter.fail('b');
    limiter.fail('c');
    assert.equal(limiter.blockedFor('a'), 0);
    assert.ok(limiter.blockedFor('c') > 0);
  });

  it('parses site CSV with line numbers that match the file', () => {
    const { rows, errors } = parseSiteCsv('code,name,notes\n');
    assert.equal(rows.length, 0);
    assert.match(errors[0]!.message, /unknown column/);
    const multi = parseSiteCsv('code,name\n"ia-pal","Xã Ia\nPal"\nBAD,Xã X\n');
    assert.equal(multi.rows[0]!.line, 3, 'a quoted line break moves the next record down');
    assert.deepEqual(
      multi.errors.map((e) => [e.line, e.field]),
      [[4, 'code']],
    );
  });
});
