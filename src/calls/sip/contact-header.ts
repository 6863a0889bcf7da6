/** One binding asked for in a REGISTER's Contact header. */
export interface ContactBinding {
  /** The URI inside <…>, or the bare URI. */
  uri: string;
  /** The contact's own `expires` parameter, when given. */
  expires?: number;
}

export type ParsedContacts = { kind: 'wildcard' } | { kind: 'list'; contacts: ContactBinding[] } | { kind: 'invalid' };

/**
 * Parses a Contact header value (RFC 3261 §20.10): `*`, or a comma-separated list of
 * `"Name" <uri>;params` / `uri;params`. Commas inside quotes or angle brackets do not split.
 */
export function parseContacts(value: string | undefined): ParsedContacts {
  if (value === undefined || !value.trim()) return { kind: 'list', contacts: [] };
  if (value.trim() === '*') return { kind: 'wildcard' };
  const contacts: ContactBinding[] = [];
  for (const part of splitTopLevel(value)) {
    const m = /^\s*(?:"(?:[^"\\]|\\.)*"\s*|[^<"]*?)?<([^>]+)>(.*)$/.exec(part) ?? /^\s*([^;\s]+)(.*)$/.exec(part);
    if (!m || !/^sips?:/i.test(m[1]!)) return { kind: 'invalid' };
    const expires = /;\s*expires\s*=\s*(\d+)/i.exec(m[2] ?? '');
    contacts.push(expires ? { uri: m[1]!, expires: Number(expires[1]) } : { uri: m[1]! });
  }
  return { kind: 'list', contacts };
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.filter((p) => p.trim());
}
