import type { MediaServerPool } from '../media/freeswitch/media-servers';
import { conferenceCommands, type ConferenceLayout } from '../media/freeswitch/conference';
import { InvalidStateError, NotFoundError } from '../errors';
import type { Call } from './call';
import type { CallRegistry } from './call-registry';

export interface ParticipantView {
  id: string;
  callId: string;
  name: string;
  siteId: string | null;
  protocol: string;
  direction: string;
  audioCodec: string | null;
  videoCodec: string | null;
  joinedAt: string;
  muted: boolean;
  talking: boolean;
  moderator: boolean;
}

/**
 * What an operator does to a running meeting. Every action goes to the FreeSWITCH conference the
 * meeting's calls share; the roster is the calls this process carries.
 */
export class LiveControl {
  constructor(
    private readonly calls: CallRegistry,
    private readonly media: MediaServerPool,
  ) {}

  participants(meetingId: string): ParticipantView[] {
    return this.calls
      .inMeeting(meetingId)
      .filter((c) => c.participationId && c.joinedAt)
      .map((c) => ({
        id: c.participationId!,
        callId: c.info.callId,
        name: c.info.displayName,
        siteId: c.info.siteId,
        protocol: c.info.protocol,
        direction: c.info.direction,
        audioCodec: c.codecs.audio,
        videoCodec: c.codecs.video,
        joinedAt: c.joinedAt!.toISOString(),
        muted: c.muted,
        talking: c.talking,
        moderator: c.info.moderator,
      }));
  }

  async mute(meetingId: string, participantId: string, muted: boolean): Promise<void> {
    const call = this.#participant(meetingId, participantId);
    await this.#api(meetingId, muted ? conferenceCommands.mute(meetingId, call.memberId!) : conferenceCommands.unmute(meetingId, call.memberId!));
  }

  /** Everyone but the moderators (the chair keeps the floor). Returns how many were changed. */
  async muteAll(meetingId: string, muted: boolean): Promise<number> {
    const targets = this.calls.inMeeting(meetingId).filter((c) => c.memberId !== null && !c.info.moderator);
    for (const c of targets) {
      await this.#api(meetingId, muted ? conferenceCommands.mute(meetingId, c.memberId!) : conferenceCommands.unmute(meetingId, c.memberId!));
    }
    return targets.length;
  }

  async kick(meetingId: string, participantId: string): Promise<void> {
    await this.#participant(meetingId, participantId).close('kicked');
  }

  /**
   * A locked room answers new callers 486; those in it stay, and the operator can still dial sites
   * in. The lock is the bridge's, not FreeSWITCH's: a locked FreeSWITCH conference would refuse
   * the operator's own dial-outs too.
   */
  lock(meetingId: string, locked: boolean): void {
    this.calls.setLocked(meetingId, locked);
  }

  async layout(meetingId: string, layout: ConferenceLayout): Promise<void> {
    await this.#api(meetingId, conferenceCommands.layout(meetingId, layout));
  }

  /** Pins a participant to the main tile. */
  async floor(meetingId: string, participantId: string): Promise<void> {
    const call = this.#participant(meetingId, participantId);
    await this.#api(meetingId, conferenceCommands.floor(meetingId, call.memberId!));
  }

  /** Plays a sound file to everyone in the meeting (the end-of-meeting warning). */
  async announce(meetingId: string, file: string): Promise<void> {
    await this.#api(meetingId, conferenceCommands.play(meetingId, file));
  }

  /** Hangs up every call of the meeting. */
  async endCalls(meetingId: string): Promise<void> {
    await Promise.all(this.calls.inMeeting(meetingId).map((c) => c.close('meeting-ended')));
  }

  isLocked(meetingId: string): boolean {
    return this.calls.roomState(meetingId).locked;
  }

  #participant(meetingId: string, participantId: string): Call {
    const call = this.calls.inMeeting(meetingId).find((c) => c.participationId === participantId);
    if (!call || call.memberId === null) throw new NotFoundError('participant', participantId);
    return call;
  }

  async #api(meetingId: string, command: string): Promise<string> {
    const server = this.calls.mediaServerOf(meetingId);
    const ms = server ? this.media.server(server) : undefined;
    if (!ms) throw new InvalidStateError('nobody is connected to this meeting');
    const reply = await ms.api(command);
    if (/^-ERR/m.test(reply)) throw new InvalidStateError(`the conference refused: ${reply.trim()}`);
    return reply;
  }
}
