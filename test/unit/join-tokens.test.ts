import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { issueJoinToken, JOIN_TOKEN_TTL_MS, verifyJoinToken, type JoinTokenClaims } from '../../src/access/join-tokens';

const SECRET = 'a-join-token-secret-of-some-length';
const NOW = new Date('2026-12-01T01:00:00.000Z');
const claims: JoinTokenClaims = {
  meetingId: '5b1f1a52-8f0e-4f57-9a3c-0d4b8f6b2c11',
  room: 2001,
  name: 'Nguyễn Thị Hồng Nhung',
  expiresAt: new Date(NOW.getTime() + JOIN_TOKEN_TTL_MS),
};

/** Re-signs a hand-made payload, to test what the verifier does with well-signed nonsense. */
function forge(payload: unknown, secret = SECRET): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('join tokens', () => {
  it('round-trips the claims, with a Vietnamese name and the exact expiry', () => {
    const token = issueJoinToken(SECRET, claims);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'header-safe: base64url payload.signature');
    const r = verifyJoinToken(SECRET, token, { room: 2001, now: NOW });
    assert.ok(r.ok);
    assert.equal(r.claims.meetingId, claims.meetingId);
    assert.equal(r.claims.room, 2001);
    assert.equal(r.claims.name, claims.name);
    assert.equal(r.claims.expiresAt.getTime(), claims.expiresAt.getTime());
    assert.match(r.claims.tokenId, /^[A-Za-z0-9_-]{12}$/);
  });

  it('accepts a Buffer secret equal to the string one', () => {
    const token = issueJoinToken(Buffer.from(SECRET), claims);
    assert.ok(verifyJoinToken(SECRET, token, { room: 2001, now: NOW }).ok);
  });

  it('gives every token its own id', () => {
    const ids = new Set(
      Array.from({ length: 20 }, () => {
        const r = verifyJoinToken(SECRET, issueJoinToken(SECRET, claims), { room: 2001, now: NOW });
        return r.ok ? r.claims.tokenId : '';
      }),
    );
    assert.equal(ids.size, 20);
  });

  it('refuses a token signed with another secret', () => {
    const token = issueJoinToken('another-secret-of-16-chars', claims);
    assert.deepEqual(verifyJoinToken(SECRET, token, { room: 2001, now: NOW }), { ok: false, reason: 'signature' });
  });

  it('refuses a token whose payload was changed (another room, a longer expiry)', () => {
    const token = issueJoinToken(SECRET, claims);
    const [body, sig] = token.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...payload, r: 2002, e: Date.parse('2030-01-01') })).toString('base64url');
    assert.deepEqual(verifyJoinToken(SECRET, `${tampered}.${sig}`, { room: 2002, now: NOW }), { ok: false, reason: 'signature' });
  });

  it('refuses a truncated or padded signature without throwing', () => {
    const token = issueJoinToken(SECRET, claims);
    assert.deepEqual(verifyJoinToken(SECRET, token.slice(0, -2), { room: 2001, now: NOW }), { ok: false, reason: 'signature' });
    assert.deepEqual(verifyJoinToken(SECRET, `${token}AA`, { room: 2001, now: NOW }), { ok: false, reason: 'signature' });
  });

  it('refuses an expired token, at the expiry instant and after', () => {
    const token = issueJoinToken(SECRET, claims);
    assert.ok(verifyJoinToken(SECRET, token, { room: 2001, now: new Date(claims.expiresAt.getTime() - 1) }).ok);
    assert.deepEqual(verifyJoinToken(SECRET, token, { room: 2001, now: claims.expiresAt }), { ok: false, reason: 'expired' });
    assert.deepEqual(verifyJoinToken(SECRET, token, { room: 2001, now: new Date(claims.expiresAt.getTime() + 3600_000) }), {
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses a token for another room', () => {
    const token = issueJoinToken(SECRET, claims);
    assert.deepEqual(verifyJoinToken(SECRET, token, { room: 2002, now: NOW }), { ok: false, reason: 'room' });
  });

  it('calls malformed whatever is not payload.signature in base64url', () => {
    const token = issueJoinToken(SECRET, claims);
    for (const bad of ['', '.', 'abc', `${token}.x`, 'a b.c', `${token.replace('.', '.+')}`, 'é.é', 'x'.repeat(5000)]) {
      assert.deepEqual(verifyJoinToken(SECRET, bad, { room: 2001, now: NOW }), { ok: false, reason: 'malformed' }, JSON.stringify(bad.slice(0, 30)));
    }
  });

  it('calls malformed a well-signed payload of the wrong shape', () => {
    const good = { v: 1, m: 'x', r: 2001, n: 'A', e: NOW.getTime() + 1000, j: 'id' };
    assert.ok(verifyJoinToken(SECRET, forge(good), { room: 2001, now: NOW }).ok);
    for (const bad of [null, [], 'text', { ...good, v: 2 }, { ...good, r: '2001' }, { ...good, e: 'soon' }, { ...good, n: 5 }, { ...good, r: 1.5 }]) {
      assert.deepEqual(verifyJoinToken(SECRET, forge(bad), { room: 2001, now: NOW }), { ok: false, reason: 'malformed' }, JSON.stringify(bad));
    }
    const notJson = Buffer.from('{not json').toString('base64url');
    const sig = createHmac('sha256', SECRET).update(notJson).digest('base64url');
    assert.deepEqual(verifyJoinToken(SECRET, `${notJson}.${sig}`, { room: 2001, now: NOW }), { ok: false, reason: 'malformed' });
  });

  it('refuses to sign or verify with an empty secret, or to issue a token for an invalid date', () => {
    assert.throws(() => issueJoinToken('', claims), TypeError);
    assert.throws(() => verifyJoinToken(Buffer.alloc(0), 'a.b', { room: 2001, now: NOW }), TypeError);
    assert.throws(() => issueJoinToken(SECRET, { ...claims, expiresAt: new Date('nope') }), TypeError);
  });
});
