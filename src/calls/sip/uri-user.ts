/**
 * The user part of the SIP URIs the bridge reads a user from (the Request-URI; From in an INVITE; To
 * in a REGISTER), percent-decoded here and nowhere else. RFC 3261 §19.1.4 makes `%2A` and `*` the
 * same character in a user part, so one decode is right and a second is wrong: `%252A` is the
 * literal text `%2A`, not `*`. Pure and total: hostile text comes back as `malformed`, never as an
 * exception, so handlers answer it with a 4xx instead of a 500.
 */

export type UriUser =
  /** The user part, decoded once. */
  | { readonly kind: 'user'; readonly user: string }
  /** No user part (`sip:bridge.test`), no address at all, or not a SIP URI. */
  | { readonly kind: 'none' }
  /** A user part nobody can mean; `why` names the fault without echoing the input (it goes into a Warning header). */
  | { readonly kind: 'malformed'; readonly why: string };

const NONE: UriUser = { kind: 'none' };
const malformed = (why: string): UriUser => ({ kind: 'malformed', why });

// drachtio-server refuses a bad escape in From/To (400) and drops one in the Request-URI, but the
// decoder does not lean on that: it is the one place that must be right about any text.
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
// A decoded NUL would also make PostgreSQL reject the query that looks the user up (a 500).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The user of a SIP or SIPS URI (`sip:2001*1234@bridge;transport=tcp` → `2001*1234`). */
export function uriUser(uri: string): UriUser {
  const scheme = /^sips?:/i.exec(uri);
  if (!scheme) return NONE;
  const rest = uri.slice(scheme[0].length);
  // Neither parameters nor headers may hold an unescaped '@' (§25.1), so the first one ends the
  // userinfo; ';' and '?' before it belong to the user (user-unreserved).
  const at = rest.indexOf('@');
  if (at < 0) return NONE;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':'); // userinfo = user [":" password]
  return decodeUser(colon < 0 ? userinfo : userinfo.slice(0, colon));
}

/** The user of the URI in a From/To value: `"Name" <uri>;tag=…`, `Name <uri>`, or `uri;tag=…`. */
export function addressUser(value: string | undefined): UriUser {
  if (value === undefined || !value.trim()) return NONE;
  const uri = addressUri(value);
  return uri === undefined ? malformed('the address is neither name-addr nor addr-spec') : uriUser(uri);
}

function addressUri(value: string): string | undefined {
  let i = value.length - value.trimStart().length;
  const quoted = value[i] === '"';
  if (quoted) {
    // A quoted display name may hold '<', '>' and ';': skip it before looking for the URI.
    for (i++; i < value.length && value[i] !== '"'; i++) if (value[i] === '\\') i++;
    if (i >= value.length) return undefined;
    i++;
  }
  const open = value.indexOf('<', i);
  if (open >= 0) {
    const close = value.indexOf('>', open);
    return close < 0 ? undefined : value.slice(open + 1, close).trim();
  }
  if (quoted) return undefined;
  // addr-spec: what follows the first ';' are the header's own parameters (a URI holding ';' must be in <>, §20).
  return /^[^;\s]*/.exec(value.slice(i))![0];
}

function decodeUser(raw: string): UriUser {
  if (!raw) return malformed('the user part is empty');
  if (BAD_ESCAPE.test(raw)) return malformed('a % not followed by two hex digits');
  let user: string;
  try {
    user = decodeURIComponent(raw);
  } catch {
    // With every escape well formed, the only failure left is bytes that are not UTF-8 (%FF, overlong forms, lone surrogates).
    return malformed('an escape that is not UTF-8');
  }
  if (CONTROL.test(user)) return malformed('a control character');
  return { kind: 'user', user };
}
