import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { skipFor } from '../support/skip';
import {
  challengeHeader,
  digestHa1,
  digestResponse,
  DigestVerifier,
  digestUriMatches,
  NonceIssuer,
  parseAuthorization,
  type DigestCredentials,
} from '../../src/sip-auth';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const REALM = 'diemcau.test';
const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');
const TTL = 60_000;

/** A controllable clock, so expiry tests do not sleep. */
function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

function setup(opts: { maxTrackedNonces?: number } = {}) {
  const c = clock();
  const nonces = new NonceIssuer({ secret: SECRET, realm: REALM, ttlMs: TTL, now: c.now });
  const verifier = new DigestVerifier({ realm: REALM, nonces, ...opts });
  const ha1 = md5(`alice:${REALM}:s3cret`);
  /** What a well-behaved UA would send for `nonce` with nonce-count `nc` (undefined: no qop). */
  const creds = (nonce: string, nc?: number, method = 'REGISTER', uri = 'sip:diemcau.test'): DigestCredentials => {
    const base = { username: 'alice', realm: REALM, nonce, uri, algorithm: 'MD5' as const };
    if (nc === undefined) return { ...base, response: digestResponse(ha1, method, uri, { nonce }) };
    const q = { nonce, qop: 'auth' as const, nc: nc.toString(16).padStart(8, '0'), cnonce: 'c0ffee' };
    return { ...base, ...q, response: digestResponse(ha1, method, uri, q) };
  };
  return { clock: c, nonces, verifier, ha1, creds };
}

describe('sip-auth', () => {
  describe('digestResponse', () => {
    it('reproduces the RFC 2617 §3.5 example', () => {
      const ha1 = md5('Mufasa:testrealm@host.com:Circle Of Life');
      assert.equal(digestHa1('Mufasa', 'testrealm@host.com', 'Circle Of Life'), ha1);
      const response = digestResponse(ha1, 'GET', '/dir/index.html', {
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      });
      assert.equal(response, '6629fae49393a05397450978507c4ef1');
    });

    it('treats an upper-case HA1 like the lower-case one', () => {
      const ha1 = md5('a:b:c');
      const c = { nonce: 'n' };
      assert.equal(digestResponse(ha1.toUpperCase(), 'INVITE', 'sip:x', c), digestResponse(ha1, 'INVITE', 'sip:x', c));
    });

    it('refuses what it cannot compute', () => {
      assert.throws(() => digestResponse(md5('x'), 'INVITE', 'sip:x', { nonce: 'n', qop: 'auth-int', nc: '00000001', cnonce: 'c' }));
      assert.throws(() => digestResponse(md5('x'), 'INVITE', 'sip:x', { nonce: 'n', qop: 'auth' }));
    });

    it('agrees with an independent implementation (Python hashlib)', function () {
      let python = true;
      try {
        execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
      } catch {
        python = false;
      }
      if (!python) skipFor(this, 'digest against Python hashlib', 'python3 not found');

      const printable = (n: number): string =>
        Array.from(randomBytes(n), (b) => String.fromCharCode(0x21 + (b % 94)))
          .join('')
          .replace(/:/g, '.');
      const cases = Array.from({ length: 8 }, (_, i) => ({
        user: `user${i}-${printable(6)}`,
        realm: `realm-${printable(5)}`,
        password: `p ${printable(10)} ü`,
        method: ['INVITE', 'REGISTER', 'BYE', 'SUBSCRIBE'][i % 4]!,
        uri: `sip:${3000 + i}@bridge.example;transport=tcp`,
        nonce: randomBytes(24).toString('base64url'),
        // Half with qop=auth, half RFC 2069 style; nc in upper case for one, since it is hashed verbatim.
        qop: i % 2 === 0 ? 'auth' : undefined,
        nc: i === 2 ? '0000000A' : (i + 1).toString(16).padStart(8, '0'),
        cnonce: randomBytes(8).toString('hex'),
      }));
      const script = [
        'import hashlib, json, sys',
        'h = lambda s: hashlib.md5(s.encode("utf-8")).hexdigest()',
        'out = []',
        'for c in json.load(sys.stdin):',
        '    ha1 = h(c["user"] + ":" + c["realm"] + ":" + c["password"])',
        '    ha2 = h(c["method"] + ":" + c["uri"])',
        '    if c.get("qop"):',
        '        out.append(h(":".join([ha1, c["nonce"], c["nc"], c["cnonce"], c["qop"], ha2])))',
        '    else:',
        '        out.append(h(":".join([ha1, c["nonce"], ha2])))',
        'json.dump(out, sys.stdout)',
      ].join('\n');
      const expected = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' })) as string[];
      assert.equal(expected.length, cases.length);
      cases.forEach((c, i) => {
        const ha1 = digestHa1(c.user, c.realm, c.password);
        const got = c.qop
          ? digestResponse(ha1, c.method, c.uri, { nonce: c.nonce, qop: c.qop, nc: c.nc, cnonce: c.cnonce })
          : digestResponse(ha1, c.method, c.uri, { nonce: c.nonce });
        assert.equal(got, expected[i], `case ${i}`);
      });
    });
  });

  describe('NonceIssuer', () => {
    it('issues distinct nonces that are safe inside a quoted-string and check valid', () => {
      const { nonces } = setup();
      const a = nonces.issue();
      const b = nonces.issue();
      assert.notEqual(a, b);
      assert.match(a, /^[A-Za-z0-9_-]+$/);
      assert.equal(nonces.check(a), 'valid');
      assert.equal(nonces.check(b), 'valid');
    });

    it('rejects tampered, truncated and garbage nonces', () => {
      const { nonces } = setup();
      const n = nonces.issue();
      const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
      assert.equal(nonces.check(flip(n, n.length - 1)), 'invalid'); // MAC
      assert.equal(nonces.check(flip(n, 3)), 'invalid'); // issue time
      assert.equal(nonces.check(flip(n, 15)), 'invalid'); // random part
      assert.equal(nonces.check(n.slice(0, -1)), 'invalid');
      assert.equal(nonces.check(`${n}A`), 'invalid');
      assert.equal(nonces.check(''), 'invalid');
      assert.equal(nonces.check('dcd98b7102dd2f0e8b11d0f600bfb0c093'), 'invalid');
      assert.equal(nonces.check(n.replace(/.$/, '=')), 'invalid');
    });

    it('rejects a nonce issued for another realm or with another secret', () => {
      const c = clock();
      const ours = new NonceIssuer({ secret: SECRET, realm: REALM, ttlMs: TTL, now: c.now });
      const otherRealm = new NonceIssuer({ secret: SECRET, realm: 'other.test', ttlMs: TTL, now: c.now });
      const otherKey = new NonceIssuer({ secret: randomBytes(32), realm: REALM, ttlMs: TTL, now: c.now });
      assert.equal(ours.check(otherRealm.issue()), 'invalid');
      assert.equal(ours.check(otherKey.issue()), 'invalid');
    });

    it('goes stale after ttlMs, and refuses nonces from the future beyond the skew', () => {
      const c = clock();
      const nonces = new NonceIssuer({ secret: SECRET, realm: REALM, ttlMs: TTL, now: c.now });
      const n = nonces.issue();
      c.advance(TTL);
      assert.equal(nonces.check(n), 'valid');
      c.advance(1);
      assert.equal(nonces.check(n), 'stale');
      c.advance(365 * 24 * 3600_000);
      assert.equal(nonces.check(n), 'stale');

      const ahead = clock(c.now() + 60_000);
      const fromFuture = new NonceIssuer({ secret: SECRET, realm: REALM, ttlMs: TTL, now: ahead.now }).issue();
      assert.equal(nonces.check(fromFuture), 'invalid');
      const slightlyAhead = clock(c.now() + 1_000);
      assert.equal(nonces.check(new NonceIssuer({ secret: SECRET, realm: REALM, ttlMs: TTL, now: slightlyAhead.now }).issue()), 'valid');
    });

    it('refuses weak configuration', () => {
      assert.throws(() => new NonceIssuer({ secret: Buffer.from('short'), realm: REALM, ttlMs: TTL }));
      assert.throws(() => new NonceIssuer({ secret: SECRET, realm: REALM, ttlMs: 0 }));
    });
  });

  describe('DigestVerifier', () => {
    it('accepts a correct response', () => {
      const { nonces, verifier, ha1, creds } = setup();
      assert.deepEqual(verifier.verify('REGISTER', creds(nonces.issue(), 1), ha1), { ok: true });
    });

    it('accepts a response produced by parsing a real header', () => {
      const { nonces, verifier, ha1 } = setup();
      const nonce = nonces.issue();
      const uri = 'sip:3001@diemcau.test';
      const response = digestResponse(ha1, 'INVITE', uri, { nonce, qop: 'auth', nc: '00000001', cnonce: 'a1b2' });
      const header = `Digest username="alice",realm="${REALM}",nonce="${nonce}",uri="${uri}",response="${response}",cnonce="a1b2",nc=00000001,qop=auth,algorithm=MD5`;
      const parsed = parseAuthorization(header);
      assert.ok(parsed);
      assert.deepEqual(verifier.verify('INVITE', parsed, ha1), { ok: true });
    });

    it('reports a wrong password, method or uri as response', () => {
      const { nonces, verifier, ha1, creds } = setup();
      const n = nonces.issue();
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 1), md5(`alice:${REALM}:wrong`)), { ok: false, reason: 'response' });
      assert.deepEqual(verifier.verify('INVITE', creds(n, 1), ha1), { ok: false, reason: 'response' });
      assert.deepEqual(verifier.verify('REGISTER', { ...creds(n, 1), uri: 'sip:elsewhere' }, ha1), { ok: false, reason: 'response' });
      // Failed attempts must not burn the nonce-count for the legitimate client.
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 1), ha1), { ok: true });
    });

    it('accepts an upper-case response', () => {
      const { nonces, verifier, ha1, creds } = setup();
      const c = creds(nonces.issue(), 1);
      assert.deepEqual(verifier.verify('REGISTER', { ...c, response: c.response.toUpperCase() }, ha1), { ok: true });
    });

    it('checks realm, then nonce, before the response', () => {
      const { clock: c, nonces, verifier, ha1, creds } = setup();
      const n = nonces.issue();
      assert.deepEqual(verifier.verify('REGISTER', { ...creds(n, 1), realm: 'other' }, ha1), { ok: false, reason: 'realm' });
      const forged = randomBytes(36).toString('base64url');
      assert.deepEqual(verifier.verify('REGISTER', creds(forged, 1), ha1), { ok: false, reason: 'nonce-invalid' });
      c.advance(TTL + 1);
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 1), ha1), { ok: false, reason: 'nonce-stale' });
    });

    it('refuses a replayed nonce-count', () => {
      const { nonces, verifier, ha1, creds } = setup();
      const n = nonces.issue();
      const first = creds(n, 1);
      assert.deepEqual(verifier.verify('REGISTER', first, ha1), { ok: true });
      assert.deepEqual(verifier.verify('REGISTER', first, ha1), { ok: false, reason: 'replay' });
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 3), ha1), { ok: true });
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 2), ha1), { ok: false, reason: 'replay' });
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 3), ha1), { ok: false, reason: 'replay' });
    });

    it('keeps accepting REGISTER refreshes with increasing nc until the nonce goes stale', () => {
      const { clock: c, nonces, verifier, ha1, creds } = setup();
      const n = nonces.issue();
      for (let nc = 1; nc <= 5; nc++) {
        assert.deepEqual(verifier.verify('REGISTER', creds(n, nc), ha1), { ok: true }, `nc ${nc}`);
        c.advance(TTL / 5 - 1);
      }
      c.advance(10);
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 6), ha1), { ok: false, reason: 'nonce-stale' });
      assert.equal(challengeHeader(REALM, nonces.issue(), { stale: true }).endsWith(', stale=true'), true);
    });

    it('lets a nonce be used only once without qop', () => {
      const { nonces, verifier, ha1, creds } = setup();
      const n = nonces.issue();
      assert.deepEqual(verifier.verify('REGISTER', creds(n), ha1), { ok: true });
      assert.deepEqual(verifier.verify('REGISTER', creds(n), ha1), { ok: false, reason: 'replay' });
      assert.deepEqual(verifier.verify('REGISTER', creds(n, 1), ha1), { ok: false, reason: 'replay' });
      const m = nonces.issue();
      assert.deepEqual(verifier.verify('REGISTER', creds(m, 1), ha1), { ok: true });
      assert.deepEqual(verifier.verify('REGISTER', creds(m), ha1), { ok: false, reason: 'replay' });
    });

    it('answers stale, not ok and not replay, for a nonce that may have been evicted', () => {
      const { clock: c, nonces, verifier, ha1, creds } = setup({ maxTrackedNonces: 2 });
      const a = nonces.issue();
      c.advance(1);
      const b = nonces.issue();
      c.advance(1);
      const d = nonces.issue();
      c.advance(1);
      assert.deepEqual(verifier.verify('REGISTER', creds(a, 1), ha1), { ok: true });
      assert.deepEqual(verifier.verify('REGISTER', creds(b, 1), ha1), { ok: true });
      // Refreshing a keeps it tracked; b is now the least recently used.
      assert.deepEqual(verifier.verify('REGISTER', creds(a, 2), ha1), { ok: true });
      assert.deepEqual(verifier.verify('REGISTER', creds(d, 1), ha1), { ok: true }); // evicts b
      assert.deepEqual(verifier.verify('REGISTER', creds(a, 2), ha1), { ok: false, reason: 'replay' });
      assert.deepEqual(verifier.verify('REGISTER', creds(b, 1), ha1), { ok: false, reason: 'nonce-stale' });
      assert.deepEqual(verifier.verify('REGISTER', creds(b, 2), ha1), { ok: false, reason: 'nonce-stale' });
      // A nonce issued after the eviction is unambiguous: first use is fine.
      assert.deepEqual(verifier.verify('REGISTER', creds(nonces.issue(), 1), ha1), { ok: true });
    });

    it('refuses a verifier whose realm differs from its nonce issuer', () => {
      const nonces = new NonceIssuer({ secret: SECRET, realm: REALM, ttlMs: TTL });
      assert.throws(() => new DigestVerifier({ realm: 'other', nonces }));
      assert.throws(() => new DigestVerifier({ realm: REALM, nonces, maxTrackedNonces: 0 }));
    });
  });

  describe('digestUriMatches', () => {
    it('accepts the Request-URI as UAs copy it: same scheme, user, host and port, parameters aside', () => {
      for (const [digest, request] of [
        ['sip:2001@bridge.example', 'sip:2001@bridge.example'],
        ['sip:2001@Bridge.Example', 'sip:2001@bridge.example;transport=tcp'],
        ['SIP:2001@bridge.example:5060', 'sip:2001@bridge.example'],
        ['sip:bridge.example', 'sip:bridge.example'],
        ['sips:2001@[2001:db8::1]:5061', 'sips:2001@[2001:DB8::1]:5061;transport=tls'],
        ['sip:2001@10.0.0.1;transport=ws', 'sip:2001@10.0.0.1:5080'],
      ]) {
        assert.ok(digestUriMatches(digest!, request!), `${digest} ~ ${request}`);
      }
    });

    it('refuses a response computed for another target: another room, host, port or scheme, or garbage', () => {
      for (const [digest, request] of [
        ['sip:2002@bridge.example', 'sip:2001@bridge.example'],
        ['sip:2001@other.example', 'sip:2001@bridge.example'],
        ['sip:2001@bridge.example:5070', 'sip:2001@bridge.example:5060'],
        ['sips:2001@bridge.example', 'sip:2001@bridge.example'],
        ['sip:bridge.example', 'sip:2001@bridge.example'],
        ['*', 'sip:2001@bridge.example'],
        ['', 'sip:2001@bridge.example'],
        ['http://bridge.example/', 'sip:2001@bridge.example'],
      ]) {
        assert.equal(digestUriMatches(digest!, request!), false, `${digest} vs ${request}`);
      }
    });
  });

  describe('parseAuthorization', () => {
    const RFC =
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
      'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
      'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"';

    it('parses the RFC 2617 example', () => {
      assert.deepEqual(parseAuthorization(RFC), {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        uri: '/dir/index.html',
        response: '6629fae49393a05397450978507c4ef1',
        algorithm: 'MD5',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
        opaque: '5ccc069c403ebaf9f0171e9517f40e41',
      });
    });

    it('unescapes quoted-pairs', () => {
      const c = parseAuthorization(
        String.raw`Digest username="room \"A\" \\ 1", realm="r", nonce="n", uri="sip:a@b", response="6629fae49393a05397450978507c4ef1"`,
      );
      assert.equal(c?.username, 'room "A" \\ 1');
      assert.equal(c?.qop, undefined);
      assert.equal(c?.nc, undefined);
    });

    it('tolerates odd spacing, case, order, folding, empty elements and quoted or bare tokens', () => {
      const c = parseAuthorization(
        'digest   NC = 0000000a ,CNonce="x y",,  QOP="Auth",\r\n\tAlgorithm="md5", Response=6629FAE49393A05397450978507C4EF1 ,' +
          ' uri=sip:3001@bridge;transport=tcp,NONCE="n" , Realm = "r",USERNAME="u",  ',
      );
      assert.deepEqual(c, {
        username: 'u',
        realm: 'r',
        nonce: 'n',
        uri: 'sip:3001@bridge;transport=tcp',
        response: '6629FAE49393A05397450978507C4EF1',
        algorithm: 'MD5',
        qop: 'auth',
        nc: '0000000a',
        cnonce: 'x y',
      });
    });

    it('ignores unknown parameters', () => {
      assert.equal(parseAuthorization(`${RFC}, foo=bar, baz="q,u"`)?.username, 'Mufasa');
    });

    it('returns undefined for other schemes and malformed headers', () => {
      assert.equal(parseAuthorization('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='), undefined);
      assert.equal(parseAuthorization('Digestusername="u"'), undefined);
      assert.equal(parseAuthorization('Digest'), undefined);
      assert.equal(parseAuthorization(''), undefined);
      assert.equal(parseAuthorization(RFC.replace('"0a4f113b"', '"0a4f113b')), undefined); // unterminated
      assert.equal(parseAuthorization(RFC.slice(0, -1)), undefined); // unterminated at the end
      assert.equal(parseAuthorization(`${RFC}, username="other"`), undefined); // duplicate
      assert.equal(parseAuthorization(RFC.replace('qop=auth,', 'qop=auth junk,')), undefined);
      assert.equal(parseAuthorization(RFC.replace('qop=auth,', 'qop=au"th,')), undefined);
      assert.equal(parseAuthorization(RFC.replace('qop=auth,', '=auth,')), undefined);
    });

    it('returns undefined when a required parameter is missing', () => {
      for (const p of ['username', 'realm', 'nonce', 'uri', 'response']) {
        const params = RFC.replace(/^Digest /, '').split(', ');
        assert.equal(params.filter((kv) => kv.startsWith(`${p}=`)).length, 1, p);
        const without = `Digest ${params.filter((kv) => !kv.startsWith(`${p}=`)).join(', ')}`;
        assert.equal(parseAuthorization(without), undefined, p);
      }
      assert.equal(parseAuthorization(RFC.replace('response="6629fae49393a05397450978507c4ef1"', 'response="xyz"')), undefined);
    });

    it('returns undefined for algorithms and qops it cannot verify', () => {
      assert.equal(parseAuthorization(`${RFC}, algorithm=MD5`)?.algorithm, 'MD5');
      assert.equal(parseAuthorization(`${RFC}, algorithm=MD5-sess`), undefined);
      assert.equal(parseAuthorization(`${RFC}, algorithm=SHA-256`), undefined);
      assert.equal(parseAuthorization(RFC.replace('qop=auth', 'qop=auth-int')), undefined);
      assert.equal(parseAuthorization(RFC.replace('qop=auth', 'qop="auth,auth-int"')), undefined);
    });

    it('requires a well-formed nc and a cnonce with qop', () => {
      assert.equal(parseAuthorization(RFC.replace('nc=00000001, ', '')), undefined);
      assert.equal(parseAuthorization(RFC.replace('cnonce="0a4f113b", ', '')), undefined);
      assert.equal(parseAuthorization(RFC.replace('nc=00000001', 'nc=1')), undefined);
      assert.equal(parseAuthorization(RFC.replace('nc=00000001', 'nc=0000000g')), undefined);
      assert.equal(parseAuthorization(RFC.replace('nc=00000001', 'nc=00000000')), undefined);
      assert.equal(parseAuthorization(RFC.replace('cnonce="0a4f113b"', 'cnonce=""')), undefined);
    });
  });

  describe('challengeHeader', () => {
    it('formats a challenge, with stale=true on request', () => {
      assert.equal(challengeHeader('diemcau.test', 'abc_-1'), 'Digest realm="diemcau.test", nonce="abc_-1", qop="auth", algorithm=MD5');
      assert.equal(challengeHeader('diemcau.test', 'abc', { stale: true }), 'Digest realm="diemcau.test", nonce="abc", qop="auth", algorithm=MD5, stale=true');
      assert.equal(challengeHeader('diemcau.test', 'abc', { stale: false }).includes('stale'), false);
    });

    it('escapes the realm and refuses header injection', () => {
      assert.equal(challengeHeader('a "b" \\c', 'n'), String.raw`Digest realm="a \"b\" \\c", nonce="n", qop="auth", algorithm=MD5`);
      assert.throws(() => challengeHeader('evil\r\nVia: x', 'n'));
    });

    it('round-trips through the UA side: challenge, compute, parse, verify', () => {
      const { nonces, verifier, ha1 } = setup();
      const challenge = challengeHeader(REALM, nonces.issue());
      const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
      const uri = 'sip:diemcau.test';
      const response = digestResponse(ha1, 'REGISTER', uri, { nonce, qop: 'auth', nc: '00000001', cnonce: 'abc' });
      const header = `Digest username="alice", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="abc"`;
      assert.deepEqual(verifier.verify('REGISTER', parseAuthorization(header)!, ha1), { ok: true });
    });
  });
});
