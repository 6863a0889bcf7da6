/**
 * The room an H.323 caller dialled, by the rule a SIP user part follows (`2001`, `2001*1234`,
 * `2001#1234`; see parseDialledRoom). Aliases are plain text, never URI-escaped (dialledDigits allow
 * only 0-9 # * ,; an h323-ID is a BMPString), so nothing is decoded: the alias `2001%2A1234` is no room.
 */
import { parseDialledRoom, type DialledRoom } from '../calls/dialled-room';

/** The first alias naming a room, in the order given. */
export function firstDialledRoom(aliases: readonly string[]): DialledRoom | undefined {
  for (const a of aliases) {
    const r = parseDialledRoom(a);
    if (r) return r;
  }
  return undefined;
}
