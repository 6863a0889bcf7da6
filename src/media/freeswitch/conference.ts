/**
 * Every FreeSWITCH conference command string diemcau sends is built here, so the rest of the code
 * speaks in meetings and members, never in mod_conference syntax.
 */

/** The FreeSWITCH conference that mixes a meeting. */
export function conferenceName(meetingId: string): string {
  return `diemcau-${meetingId}`;
}

export const conferenceCommands = {
  list: (meetingId: string) => `conference ${conferenceName(meetingId)} list`,
  mute: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} mute ${memberId}`,
  unmute: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} unmute ${memberId}`,
  kick: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} kick ${memberId}`,
  lock: (meetingId: string) => `conference ${conferenceName(meetingId)} lock`,
  unlock: (meetingId: string) => `conference ${conferenceName(meetingId)} unlock`,
  layout: (meetingId: string, layout: string) => `conference ${conferenceName(meetingId)} vid-layout ${layout}`,
  floor: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} vid-floor ${memberId} force`,
  hangupAll: (meetingId: string) => `conference ${conferenceName(meetingId)} hup all`,
} as const;
