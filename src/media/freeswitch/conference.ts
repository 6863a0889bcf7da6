/**
 * Every FreeSWITCH API command string diemcau sends is built here, so the rest of the code speaks in
 * meetings, members and channels, never in mod_conference or ESL syntax.
 */

/** The FreeSWITCH conference that mixes a meeting. */
export function conferenceName(meetingId: string): string {
  return `diemcau-${meetingId}`;
}

/**
 * The conference that carries a meeting's content (slides): every content leg is a member, and
 * FreeSWITCH forwards the floor holder's video to the others as it is (passthrough, no decode).
 */
export function contentConferenceName(meetingId: string): string {
  return `diemcau-content-${meetingId}`;
}

/** The conference profiles content needs (dialplans/freeswitch/autoload_configs/conference.conf.xml). */
export const CONTENT_PROFILE = 'diemcau-content';
/** The main canvas while content is shown in it: content large (its reserved slot), speakers small. */
export const PRESENTATION_LAYOUT = 'presentation';
/** The slot of the presentation layout the content member is placed in. */
const CONTENT_SLOT = 'content';

/** mod_conference API commands for one meeting's conference. */
export const conferenceCommands = {
  list: (meetingId: string) => `conference ${conferenceName(meetingId)} list`,
  mute: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} mute ${memberId}`,
  unmute: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} unmute ${memberId}`,
  layout: (meetingId: string, layout: CanvasLayout) => `conference ${conferenceName(meetingId)} vid-layout ${layout}`,
  watchCanvas: (meetingId: string, canvas: number) => `conference ${conferenceName(meetingId)} vid-watching-canvas all ${canvas}`,
  memberWatchesCanvas: (meetingId: string, memberId: number, canvas: number) =>
    `conference ${conferenceName(meetingId)} vid-watching-canvas ${memberId} ${canvas}`,
  floor: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} vid-floor ${memberId} force`,
  play: (meetingId: string, file: string) => `conference ${conferenceName(meetingId)} play ${file}`,
  playTo: (meetingId: string, memberId: number, file: string) => `conference ${conferenceName(meetingId)} play ${file} ${memberId}`,
  // The format follows the extension: .mp4 goes to mod_av (the video canvas and the mixed audio),
  // .wav to mod_sndfile (the mixed audio).
  record: (meetingId: string, file: string) => `conference ${conferenceName(meetingId)} record ${file}`,
  stopRecording: (meetingId: string, file: string) => `conference ${conferenceName(meetingId)} norecord ${file}`,
  /** Lists the files the conference is writing now, one `Record file <path>` line each. */
  recordings: (meetingId: string) => `conference ${conferenceName(meetingId)} chkrecord`,
  /** The member whose video fills the presentation layout's content slot. */
  reserveContentSlot: (meetingId: string, memberId: number) => `conference ${conferenceName(meetingId)} vid-res-id ${memberId} ${CONTENT_SLOT}`,
} as const;

/** mod_conference API commands for one meeting's content conference. */
export const contentCommands = {
  /** The member whose content every other member receives. */
  presenter: (meetingId: string, memberId: number) => `conference ${contentConferenceName(meetingId)} vid-floor ${memberId} force`,
  /** Nobody presents: the floor is free. */
  noPresenter: (meetingId: string) => `conference ${contentConferenceName(meetingId)} clear-vid-floor`,
} as const;

/** Channel API commands. */
export const channelCommands = {
  kill: (uuid: string) => `uuid_kill ${uuid}`,
  /** The live RTP counters of the channel (mod_commands' JSON API, FreeSWITCH 1.10+). */
  mediaStats: (uuid: string) => `json ${JSON.stringify({ command: 'mediaStats', data: { uuid } })}`,
} as const;

/** Layouts dialplans/freeswitch/autoload_configs/conference_layouts.conf.xml defines (groups first). */
export const conferenceLayouts = ['group:grid', 'group:speaker', '1x1', '2x1', '2x2', '3x3', '4x4', '1up_top_left+5', '1up_top_left+9'] as const;
export type ConferenceLayout = (typeof conferenceLayouts)[number];
/** What the main canvas can be set to: an operator's layout, or the presentation layout while content is in it. */
export type CanvasLayout = ConferenceLayout | typeof PRESENTATION_LAYOUT;

export interface ConferenceMember {
  memberId: number;
  channelUuid: string;
  muted: boolean;
}

/**
 * Parses `conference <name> chkrecord`: the files being written (none when the conference does not
 * exist). FreeSWITCH 1.10 answers `+OK Record file {video_time_audio=false,…,fps=30.30}/path/file.wav`
 * per file: the file handle's parameters, then the path.
 */
export function parseRecordingList(reply: string): string[] {
  return reply
    .split('\n')
    .map((line) => /^(?:\+OK )?Record file (?:\{[^}]*\})?(.+)$/.exec(line.trim())?.[1])
    .filter((f): f is string => f !== undefined);
}

/** Parses `conference <name> list`: `id;channel;uuid;caller name;caller number;flags;…` per member. */
export function parseMemberList(reply: string): Map<number, ConferenceMember> {
  const members = new Map<number, ConferenceMember>();
  for (const line of reply.split('\n')) {
    const f = line.trim().split(';');
    if (f.length < 6 || !/^\d+$/.test(f[0]!)) continue;
    members.set(Number(f[0]), { memberId: Number(f[0]), channelUuid: f[2]!, muted: !f[5]!.split('|').includes('speak') });
  }
  return members;
}
