import assert from 'node:assert/strict';
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from '../../src/access/passwords';

/** Cheap parameters: these tests are about the format, not the cost. */
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

describe('operator passwords (scrypt)', () => {
  it('verifies the password it was made from, and nothing else', async () => {
    const hash = await hashPassword('mật khẩu đủ dài', CHEAP);
    assert.match(hash, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.equal(await verifyPassword('mật khẩu đủ dài', hash), true);
    assert.equal(await verifyPassword('mật khẩu đủ dàI', hash), false);
    assert.equal(await verifyPassword('mật khẩu đủ dài'.normalize('NFD'), hash), true, 'compared after NFC');
    assert.notEqual(await hashPassword('mật khẩu đủ dài', CHEAP), hash, 'a salt of its own');
  });

  it('reads the parameters from the stored hash, so they can be raised later', async () => {
    const old = await hashPassword('mật khẩu đủ dài', CHEAP);
    assert.equal(needsRehash(old, CHEAP), false);
    assert.equal(needsRehash(old, { N: 2 ** 11, r: 8, p: 1 }), true);
    assert.equal(needsRehash(old, { N: 2 ** 10, r: 8, p: 2 }), true);
    assert.equal(await verifyPassword('mật khẩu đủ dài', old), true, 'old hashes still verify');
  });

  it('verifies nothing against a malformed or extravagant hash', async () => {
    const good = await hashPassword('mật khẩu đủ dài', CHEAP);
    for (const bad of ['', 'plain', good.replace('$1024$', '$1000$'), good.replace('$1024$', `$${2 ** 24}$`), good.replace('$8$', '$0$'), `${good}$x`]) {
      assert.equal(await verifyPassword('mật khẩu đủ dài', bad), false, bad);
      assert.equal(needsRehash(bad, CHEAP), true);
    }
  });

  it('asks for at least 10 characters and at most 200, counted after NFC', () => {
    assert.match(passwordProblem('ngắn') ?? '', /at least 10/);
    assert.equal(passwordProblem('đủ mười ký'), null);
    assert.equal(passwordProblem('ế'.normalize('NFD').repeat(10)), null, 'ten letters, however they were typed');
    assert.match(passwordProblem('x'.repeat(201)) ?? '', /at most 200/);
  });
});
