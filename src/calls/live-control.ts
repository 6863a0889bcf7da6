import type { ConferenceLayout } from '../media/freeswitch/conference';
import type { ConferenceControl, MediaPool } from '../media/freeswitch/media-endpoint';
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
  quality: Call['quality'];
}

/** Everything a participant's view is made of; `info`, `codecs` and `quality` are replaced, never changed in place. */
interface ViewInputs {
  participationId: string;
  joinedAt: Date;
  info: Call['info'];
  codecs: Call['codecs'];
  muted: boolean;
  talking: boolean;
  quality: Call['quality'];
}

/** What the operator's actions need to know of the meeting's other parts. */
export interface LiveControlLinks {
  /**
   * The member on the meeting's primary that brings `node`'s picture (its link member), or null:
   * a pin of a site on a secondary goes to it (docs/scale.md, "Video").
   */
  linkMemberOf?: (meetingId: string, node: string) => number | null;
  /** Content is in the meeting's main canvas now (its presentation layout): the operator's layout waits. */
  showsContent?: (meetingId: string) => boolean;
}

/**
 * What an operator does to a running meeting; the roster is the calls this process carries. An action
 * on one participant goes to the FreeSWITCH node that participant's call is on (a meeting may spread
 * over several, docs/scale.md); the layout and an announcement go to the meeting's primary only: every
 * site watches its canvas, and the links carry the announcement to the others.
 */
export class LiveControl {
  constructor(
    private readonly calls: CallRegistry,
    private readonly media: Pick<MediaPool, 'control'>,
    private readonly links: LiveControlLinks = {},
  ) {}

  /**
   * Each live meeting's layout, once an operator has chosen one (FreeSWITCH cannot be asked), and the
   * server it was last set on: the meeting's primary then.
   */
  readonly #layouts = new Map<string, { layout: ConferenceLayout; on: string }>();

  /**
   * The meeting's roster. A participant's view is made again only when something in it changed, so
   * an unchanged roster is the same objects every time: consoles poll it, and the API serialises it
   * again only when one of them is new (`RosterBodies`).
   */
  participants(meetingId: string): readonly ParticipantView[] {
    const views: ParticipantView[] = [];
    for (const call of this.calls.inMeeting(meetingId)) if (call.participationId && call.joinedAt) views.push(this.#view(call));
    return views;
  }

  readonly #views = new WeakMap<Call, { view: ParticipantView; of: ViewInputs }>();

  #view(call: Call): ParticipantView {
    const now: ViewInputs = {
      participationId: call.participationId!,
      joinedAt: call.joinedAt!,
      info: call.info,
      codecs: call.codecs,
      muted: call.muted,
      talking: call.talking,
      quality: call.quality,
    };
    const last = this.#views.get(call);
    if (last && (Object.keys(now) as (keyof ViewInputs)[]).every((k) => last.of[k] === now[k])) return last.view;
    const view: ParticipantView = Object.freeze({
      id: now.participationId,
      callId: now.info.callId,
      name: now.info.displayName,
      siteId: now.info.siteId,
      protocol: now.info.protocol,
      direction: now.info.direction,
      audioCodec: now.codecs.audio,
      videoCodec: now.codecs.video,
      joinedAt: now.joinedAt.toISOString(),
      muted: now.muted,
      talking: now.talking,
      moderator: now.info.moderator,
      quality: now.quality,
    });
    this.#views.set(call, { view, of: now });
    return view;
  }

  async mute(meetingId: string, participantId: string, muted: boolean): Promise<void> {
    const call = this.#participant(meetingId, participantId);
    await this.#conferenceOf(call).mute(meetingId, call.memberId!, muted);
  }

  /** Everyone but the moderators (the chair keeps the floor). Returns how many were changed. */
  async muteAll(meetingId: string, muted: boolean): Promise<number> {
    const targets = this.calls.inMeeting(meetingId).filter((c) => c.memberId !== null && !c.info.moderator);
    for (const c of targets) await this.#conferenceOf(c).mute(meetingId, c.memberId!, muted);
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
    await this.#conference(meetingId).layout(meetingId, layout);
    this.#layouts.set(meetingId, { layout, on: this.calls.mediaServerOf(meetingId)! });
  }

  /**
   * A call joined: if the meeting's conference is now on another server (its node died and the calls
   * moved, or a secondary took over), the operator's layout is set there too, unless content holds
   * the canvas (its layout gives the operator's back when it leaves).
   */
  async followPrimary(meetingId: string): Promise<void> {
    const chosen = this.#layouts.get(meetingId);
    const primary = this.calls.mediaServerOf(meetingId);
    if (!chosen || !primary || chosen.on === primary || this.links.showsContent?.(meetingId)) return;
    const control = this.media.control(primary);
    if (!control) return;
    chosen.on = primary;
    await control.layout(meetingId, chosen.layout);
  }

  /** The layout an operator last chose, or null: then it is the conference profile's default. */
  currentLayout(meetingId: string): ConferenceLayout | null {
    return this.#layouts.get(meetingId)?.layout ?? null;
  }

  /**
   * Pins a participant to the main tile. A site on a secondary node has no tile where every site looks
   * (the primary's canvas): its node's does, so that one is pinned.
   */
  async floor(meetingId: string, participantId: string): Promise<void> {
    const call = this.#participant(meetingId, participantId);
    const primary = this.calls.mediaServerOf(meetingId);
    if (!call.mediaServer || !primary || call.mediaServer === primary) {
      await this.#conferenceOf(call).floor(meetingId, call.memberId!);
      return;
    }
    const member = this.links.linkMemberOf?.(meetingId, call.mediaServer) ?? null;
    if (member === null) throw new InvalidStateError('this participant\u2019s media server is not linked to the meeting\u2019s yet');
    await this.#control(primary).floor(meetingId, member);
  }

  /** Plays a sound file to everyone in the meeting (the end-of-meeting warning). */
  async announce(meetingId: string, file: string): Promise<void> {
    await this.#conference(meetingId).play(meetingId, file);
  }

  /** Hangs up every call of the meeting. */
  async endCalls(meetingId: string): Promise<void> {
    this.#layouts.delete(meetingId);
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

  /** The meeting's conference (on its primary node); the commands refused by it throw InvalidStateError. */
  #conference(meetingId: string): ConferenceControl {
    return this.#control(this.calls.mediaServerOf(meetingId));
  }

  /** The conference on the node the call is on. */
  #conferenceOf(call: Call): ConferenceControl {
    return this.#control(call.mediaServer ?? this.calls.mediaServerOf(call.info.meetingId));
  }

  #control(server: string | null | undefined): ConferenceControl {
    const control = server ? this.media.control(server) : undefined;
    if (!control) throw new InvalidStateError('nobody is connected to this meeting');
    return control;
  }
}
