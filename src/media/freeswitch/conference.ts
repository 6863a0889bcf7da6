/**
 * Every FreeSWITCH conference command string diemcau sends is built here, so the rest of the code
 * speaks in meetings and members, never in mod_conference syntax.
 */

/** The FreeSWITCH conference that mixes a meeting. */
export function conferenceName(meetingId: string): string {
  return `diemcau-${meetingId}`;
}
