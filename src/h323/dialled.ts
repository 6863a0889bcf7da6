/**
 * The room an H.323 caller dialled, read like a SIP request URI's user part (`2001`, `2001*1234`,
 * `2001#1234`) by the shared parseDialledRoom. Aliases are untrusted text: parseDialledRoom
 * URI-decodes, which throws on a stray '%', so that is caught here and means "not a room".
 */
import { parseDialledRoom, type DialledRoom } from '../calls/dialled-room';

export function dialledRoom(alias: string): DialledRoom | undefined {
  try {
    return parseDialledRoom(alias);
  } catch {
    return undefined;
  }
}

/** The first alias naming a room, in the order given. */
export function firstDialledRoom(aliases: readonly string[]): DialledRoom | undefined {
  for (const a of aliases) {
    const r = dialledRoom(a);
    if (r) return r;
  }
  return undefined;
}
