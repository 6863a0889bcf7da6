import assert from 'node:assert/strict';
import { parseDialledRoom, type DialledRoom } from '../../src/calls/dialled-room';
import { addressUser, uriUser, type UriUser } from '../../src/calls/sip/uri-user';
import { firstDialledRoom } from '../../src/h323/dialled';

const user = (u: string): UriUser => ({ kind: 'user', user: u });
const NONE: UriUser = { kind: 'none' };

/** What the INVITE path makes of a Request-URI: decode once, then read the room. */
function dialled(uri: string): DialledRoom | 'malformed' | undefined {
  const u = uriUser(uri);
  if (u.kind === 'malformed') return 'malformed';
  return u.kind === 'user' ? parseDialledRoom(u.user) : undefined;
}

describe('the dialled URI, decoded exactly once', () => {
  describe('uriUser', () => {
    it('reads the user of a SIP or SIPS URI, whatever follows the host', () => {
      assert.deepEqual(uriUser('sip:2001@bridge.test'), user('2001'));
      assert.deepEqual(uriUser('SIPS:2001*1234@bridge.test;transport=tls'), user('2001*1234'));
      assert.deepEqual(uriUser('sip:2001@bridge.test;user=phone?subject=giao%20ban'), user('2001'));
      assert.deepEqual(uriUser('sip:2001@[2001:db8::1]:5060'), user('2001'));
      assert.deepEqual(uriUser('sip:2001:secret@bridge.test'), user('2001'), 'a password is not part of the user');
    });

    it('has no user for a URI without userinfo or of another scheme', () => {
      for (const uri of ['sip:bridge.test', 'sip:bridge.test;transport=udp', 'sip:bridge.test?x=y', 'tel:2001', 'h323:2001@bridge', '', '2001', 'sip2001@b']) {
        assert.deepEqual(uriUser(uri), NONE, uri);
      }
    });

    it('decodes escapes once: %2A is *, %252A is the text %2A', () => {
      assert.deepEqual(uriUser('sip:2001%2A1234@b'), user('2001*1234'));
      assert.deepEqual(uriUser('sip:2001%2a1234@b'), user('2001*1234'));
      assert.deepEqual(uriUser('sip:2001%231234@b'), user('2001#1234'));
      assert.deepEqual(uriUser('sip:ia%2Dpal@b'), user('ia-pal'));
      assert.deepEqual(uriUser('sip:2001%252A1234@b'), user('2001%2A1234'));
      assert.deepEqual(uriUser('sip:2001%25252A1234@b'), user('2001%252A1234'));
      assert.deepEqual(uriUser('sip:%32%30%30%31@b'), user('2001'));
      assert.deepEqual(uriUser('sip:x%C3%A3@b'), user('xã'), 'UTF-8 is fine');
    });

    it('calls a % without two hex digits after it malformed', () => {
      for (const raw of ['2001%', '2001%2', '20%zz', '%%32', '%G0', '2001%%2A', '%-1', '%+F']) {
        assert.deepEqual(uriUser(`sip:${raw}@b`), { kind: 'malformed', why: 'a % not followed by two hex digits' }, raw);
      }
    });

    it('calls escapes that are not UTF-8 malformed, and never throws', () => {
      // %FF: never in UTF-8; %C0%B2 and %E0%80%B2: overlong forms of '2'; %ED%A0%80: a lone
      // surrogate; %E2%82: a truncated sequence; %80: a continuation byte alone.
      for (const raw of ['20%FF', '20%ff', '%FF%FE', '2001%C0%B2', '200%E0%80%B2', '%ED%A0%80', '%E2%82', '%80', '2001*%FF1234']) {
        assert.deepEqual(uriUser(`sip:${raw}@b`), { kind: 'malformed', why: 'an escape that is not UTF-8' }, raw);
      }
    });

    it('calls control characters malformed, escaped or not (%00 would also fail the database lookup)', () => {
      for (const raw of ['20%00', '%00', '2001%0D%0AX-Evil:%201', '2001%09', '2001%7F', '20\u000101', '2001\u007f']) {
        assert.deepEqual(uriUser(`sip:${raw}@b`), { kind: 'malformed', why: 'a control character' }, JSON.stringify(raw));
      }
    });

    it('calls an empty user malformed', () => {
      assert.deepEqual(uriUser('sip:@bridge.test'), { kind: 'malformed', why: 'the user part is empty' });
      assert.deepEqual(uriUser('sip::pw@bridge.test'), { kind: 'malformed', why: 'the user part is empty' });
    });

    it('keeps ;params and ?headers inside the user part as user text (RFC 3261 user-unreserved)', () => {
      assert.deepEqual(uriUser('sip:2001;x=y@b'), user('2001;x=y'));
      assert.deepEqual(uriUser('sip:2001?x=y@b'), user('2001?x=y'));
      assert.deepEqual(uriUser('sip:2001%3Bx@b'), user('2001;x'));
    });

    it('takes an overlong user part in its stride', () => {
      const long = '2'.repeat(100_000);
      assert.deepEqual(uriUser(`sip:${long}@b`), user(long));
      assert.deepEqual(uriUser(`sip:${'%32'.repeat(10_000)}@b`), user('2'.repeat(10_000)));
      assert.equal(uriUser(`sip:${'%FF'.repeat(10_000)}@b`).kind, 'malformed');
    });
  });

  describe('addressUser (From, To)', () => {
    it('reads the URI of a name-addr or addr-spec', () => {
      assert.deepEqual(addressUser('"Xã Ia Pal" <sip:ia-pal@bridge.test>;tag=a1'), user('ia-pal'));
      assert.deepEqual(addressUser('Xa Ia Pal <sip:ia-pal@bridge.test>'), user('ia-pal'));
      assert.deepEqual(addressUser('  <sips:ia%2Dpal@bridge.test;transport=tls>;tag=a1'), user('ia-pal'));
      assert.deepEqual(addressUser('sip:guest@caller.test;tag=a1'), user('guest'));
      assert.deepEqual(addressUser('<sip:2001;x=y@b>'), user('2001;x=y'));
    });

    it('is not fooled by a display name that looks like an address', () => {
      assert.deepEqual(addressUser('"<sip:ia-pal@bridge.test>" <sip:guest@caller.test>'), user('guest'));
      assert.deepEqual(addressUser('"a \\" <sip:ia-pal@b>" <sip:guest@c>;tag=1'), user('guest'));
      assert.deepEqual(addressUser('"sip:ia-pal@b;x" <sip:guest@c>'), user('guest'));
    });

    it('has no user without an address or a user part', () => {
      for (const v of [undefined, '', '   ', '<sip:bridge.test>', '"Name" <sip:bridge.test>;tag=1', '<tel:+842693822222>', 'sip:bridge.test;tag=1']) {
        assert.deepEqual(addressUser(v), NONE, String(v));
      }
    });

    it('calls an unreadable address or user part malformed', () => {
      for (const v of ['"unterminated <sip:a@b>', '<sip:a@b', '"Name" sip:a@b']) {
        assert.deepEqual(addressUser(v), { kind: 'malformed', why: 'the address is neither name-addr nor addr-spec' }, v);
      }
      assert.equal(addressUser('<sip:gu%FFest@caller.test>;tag=1').kind, 'malformed');
      assert.equal(addressUser('"Guest" <sip:gu%00est@caller.test>').kind, 'malformed');
      assert.equal(addressUser('sip:ia%zzpal@b;tag=1').kind, 'malformed');
      assert.equal(addressUser('<sip:@b>').kind, 'malformed');
    });
  });

  describe('parseDialledRoom (text already decoded)', () => {
    it('reads 3–9 room digits and an optional * or # PIN of 1–16 digits', () => {
      assert.deepEqual(parseDialledRoom('200'), { room: 200, pin: null });
      assert.deepEqual(parseDialledRoom('123456789'), { room: 123456789, pin: null });
      assert.deepEqual(parseDialledRoom('2001*1'), { room: 2001, pin: '1' });
      assert.deepEqual(parseDialledRoom('2001#1234567890123456'), { room: 2001, pin: '1234567890123456' });
    });

    it('decodes nothing: escapes are text here', () => {
      for (const s of ['2001%2A1234', '2001%231234', '%32%30%30%31', '2001%', '20%FF']) assert.equal(parseDialledRoom(s), undefined, s);
    });

    it('refuses anything but the exact shape: no trimming, signs, exponents or extra separators', () => {
      const bad = [
        '',
        '20',
        '1234567890',
        '2001*',
        '2001#',
        '*1234',
        '2001*12345678901234567',
        '2001**1234',
        '2001*1234*',
        '2001*#1234',
        ' 2001',
        '2001 ',
        '2001\t',
        '2001\n',
        '2001 *1234',
        '2001* 1234',
        '+2001',
        '-2001',
        '2001.0',
        '2e3',
        '0x7D1',
        '2_001',
        '2001;x=y',
        '2001?x=y',
        '2001\u0000',
        'conference',
      ];
      for (const s of bad) assert.equal(parseDialledRoom(s), undefined, JSON.stringify(s));
    });

    it('counts only ASCII digits as room or PIN digits', () => {
      // JavaScript's \d is [0-9] with or without the u flag; the rule must not drift from that.
      for (const d of ['\u0662', '\uff12', '\u0968', '\u00b2', '\u09e8']) {
        assert.equal(/\d/.test(d), false, d);
        assert.equal(/\d/u.test(d), false, d);
      }
      const unicode = [
        '\u0662\u0660\u0660\u0661', // Arabic-Indic ٢٠٠١
        '\u06f2\u06f0\u06f0\u06f1', // Extended Arabic-Indic (Persian) ۲۰۰۱
        '\uff12\uff10\uff10\uff11', // fullwidth ２００１
        '\u0968\u0966\u0966\u0967', // Devanagari २००१
        '\u00b2\u2070\u2070\u00b9', // superscripts
        '2001*\u0661\u0662\u0663\u0664', // an Arabic-Indic PIN
        '\uff12001',
      ];
      for (const s of unicode) assert.equal(parseDialledRoom(s), undefined, s);
      // The same digits arriving percent-encoded in a Request-URI.
      assert.equal(dialled('sip:%D9%A2%D9%A0%D9%A0%D9%A1@b'), undefined);
      assert.equal(dialled('sip:%EF%BC%92%EF%BC%90%EF%BC%90%EF%BC%91@b'), undefined);
    });
  });

  describe('Request-URI to room, end to end', () => {
    it('admits a room dialled plainly or with a singly escaped separator', () => {
      assert.deepEqual(dialled('sip:2001@bridge.test'), { room: 2001, pin: null });
      assert.deepEqual(dialled('sip:2001*1234@bridge.test;transport=tcp'), { room: 2001, pin: '1234' });
      assert.deepEqual(dialled('sip:2001%2A1234@bridge.test'), { room: 2001, pin: '1234' });
      assert.deepEqual(dialled('sip:2001%231234@bridge.test'), { room: 2001, pin: '1234' });
    });

    it('never turns a double escape into a PIN', () => {
      assert.equal(dialled('sip:2001%252A1234@bridge.test'), undefined);
      assert.equal(dialled('sip:2001%2523%2531%2532%2533%2534@bridge.test'), undefined);
    });

    it('tells a malformed user part from one that names no room', () => {
      assert.equal(dialled('sip:20%FF@b'), 'malformed');
      assert.equal(dialled('sip:2001%00@b'), 'malformed');
      assert.equal(dialled('sip:2001%@b'), 'malformed');
      assert.equal(dialled('sip:@b'), 'malformed');
      for (const uri of ['sip:2001%20@b', 'sip:%202001@b', 'sip:2001;x=y@b', 'sip:2001?x=y@b', 'sip:b', `sip:${'2'.repeat(5000)}@b`, 'sip:conference@b']) {
        assert.equal(dialled(uri), undefined, uri.slice(0, 40));
      }
    });
  });

  describe('H.323 aliases (never escaped)', () => {
    it('takes the first alias naming a room, decoding nothing and throwing on nothing', () => {
      assert.deepEqual(firstDialledRoom(['ia-pal', '2001%2A1234', '20%', '20%FF', '2002*99']), { room: 2002, pin: '99' });
      assert.equal(firstDialledRoom(['2001%2A1234', '%', '\uff12\uff10\uff10\uff11']), undefined);
      assert.equal(firstDialledRoom([]), undefined);
    });
  });
});
