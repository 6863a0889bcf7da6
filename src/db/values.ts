/**
 * Client values the database cannot take as sent. Each check answers with what a field error says,
 * or undefined when the value is fine.
 */

/**
 * PostgreSQL refuses U+0000 in `text` and `jsonb` (SQLSTATE 22021 / 22P05), which would surface as
 * a 500. An unpaired UTF-16 surrogate has no UTF-8 form: both drivers (pg, PGlite) silently write
 * U+FFFD instead, so what is stored would differ from what was accepted.
 */
export function unstorableText(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain the NUL character (U+0000)';
  // With the u flag a well-formed pair is one code point; only an unpaired half is in Cs.
  if (/\p{Cs}/u.test(s)) return 'must be well-formed Unicode (it has an unpaired UTF-16 surrogate)';
  return undefined;
}

const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * PGlite sends a Date as its toISOString, which writes a year outside 0001–9999 signed and with six
 * digits (-000001, +010000); PostgreSQL refuses that text. A four-digit year with an offset can
 * still land there ("0000-01-01T00:00:00+14:00" is in 2 BC). Not a number is not this check's business.
 */
export function unstorableInstant(ms: number): string | undefined {
  return ms < FIRST_INSTANT || ms > LAST_INSTANT ? 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z' : undefined;
}
