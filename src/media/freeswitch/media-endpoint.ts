import type { MediaCounters } from '../quality/quality-math';
import type { CanvasLayout, ConferenceMember } from './conference';

/**
 * What the call side may do with FreeSWITCH, in its own words: one endpoint (a channel that plays,
 * collects digits and mixes into a meeting's conference), a lease on a media server, and control of
 * the conferences a server mixes. fsmrf-endpoint.ts adapts drachtio-fsmrf to these interfaces;
 * test/support/fake-media.ts fakes them. Nothing here names drachtio-fsmrf or a FreeSWITCH command.
 */

export interface PlayCollectOptions {
  file: string;
  min?: number;
  max?: number;
  tries?: number;
  timeout?: number;
  terminators?: string;
  invalidFile?: string;
  varName?: string;
  regexp?: string;
  digitTimeout?: number;
}

export interface PlayCollectResult {
  digits: string;
  terminatorUsed?: string;
}

export interface JoinOptions {
  /** The conference profile (mod_conference) the meeting mixes in. */
  profile: string;
  /** The meeting's main conference (default), or the one that carries its content. */
  conference?: 'main' | 'content';
  moderator?: boolean;
  /** Joins with the microphone muted. */
  muted?: boolean;
  /**
   * The call carries no video although its FreeSWITCH leg offered some (a dial-out site that
   * answered audio-only). FreeSWITCH never takes video off a leg that once had it, and would
   * encode the meeting's picture for it; the member is kept out of the shared encoder instead.
   */
  noVideo?: boolean;
  /**
   * The canvas (1-based) the member's picture goes on, and the one it receives: a meeting's
   * conference on a cascade's secondary node has two (docs/scale.md, "Video"). Unset: the first.
   */
  canvas?: number;
  watchingCanvas?: number;
}

/**
 * Where a call sits in its meeting's conference on one node when that node is not the meeting's only
 * or primary one (docs/scale.md, "Video"): read as the call joins, since a node's part can change
 * while the call is set up. It overrides the caller's JoinOptions for the meeting's main conference.
 */
export type ConferenceSeat = Pick<JoinOptions, 'profile' | 'canvas' | 'watchingCanvas'>;

/** The options a join really uses: the seat's, read now, over the caller's, for the main conference only. */
export function seatedJoin(asked: JoinOptions, seat: (() => ConferenceSeat | undefined) | undefined): JoinOptions {
  return asked.conference === 'content' ? asked : { ...asked, ...seat?.() };
}

/** A change FreeSWITCH reports for the endpoint's conference member. */
export interface MemberChange {
  talking?: boolean;
  muted?: boolean;
}

/** A SIP INFO FreeSWITCH sent on the endpoint's leg. */
export interface MediaInfo {
  contentType: string | undefined;
  body: string;
}

/**
 * How a channel ended without us (docs/scale.md, "Failover"): `hangup`, FreeSWITCH hung it up;
 * `lost`, FreeSWITCH shut down or crashed under it; `gone`, its event socket closed with no hang-up
 * event, which is what both `uuid_kill` and a dead server look like: the lease's `serverDown` tells.
 */
export type EndpointEnd = 'hangup' | 'lost' | 'gone';

/**
 * One FreeSWITCH channel facing a caller. Its local SDP is FreeSWITCH's answer (or, created without a
 * remote SDP, its offer). It ends when FreeSWITCH hangs it up (`onEnded`) or when `hangUp` is called;
 * `hangUp` is idempotent and always ends the channel, killing it if an orderly hang-up is stuck.
 */
export interface MediaEndpoint {
  readonly uuid: string;
  readonly localSdp: string;
  /** Re-INVITE toward FreeSWITCH with a new remote SDP; resolves with FreeSWITCH's answer. */
  modify(sdp: string): Promise<string>;
  /** Sets channel variables. */
  set(vars: Record<string, string>): Promise<void>;
  /** Plays one file, or several in one playback. */
  play(file: string | string[]): Promise<void>;
  /** Plays a prompt and collects digits (RFC 4733 or SIP INFO, both arrive as channel DTMF). */
  playCollect(opts: PlayCollectOptions): Promise<PlayCollectResult>;
  /**
   * Puts the channel into the meeting's conference; resolves with its member id, rejects when the
   * conference has not taken it within 10 s.
   */
  join(meetingId: string, opts: JoinOptions): Promise<number>;
  /** Sends FreeSWITCH a SIP INFO on the endpoint's leg. */
  info(contentType: string, body: string): Promise<void>;
  /** FreeSWITCH's INFOs on the leg: the handler returns the status to answer with. One handler. */
  onInfo(handler: (info: MediaInfo) => number): void;
  /**
   * FreeSWITCH's re-INVITEs on the leg: the handler resolves with the answer SDP (sent in a 200) or
   * rejects (488). One handler.
   */
  onReinvite(handler: (offer: string) => Promise<string>): void;
  /** Talking and mute changes of the member this endpoint joined as. */
  onMemberChange(listener: (change: MemberChange) => void): void;
  /** The channel's audio counters so far; undefined once the channel is gone. */
  mediaStats(): Promise<MediaCounters | undefined>;
  /** The channel ended without us, and how. Returns a function that removes the listener. */
  onEnded(listener: (how: EndpointEnd) => void): () => void;
  /** Ends the channel; twice (or after FreeSWITCH ended it) is a no-op. */
  hangUp(): Promise<void>;
}

/** A new channel: with the caller's offer, or without one for FreeSWITCH to make an offer (3PCC). */
export interface CreateEndpointOptions {
  remoteSdp?: string;
  /** The placement's say in how the endpoint joins its meeting's main conference, asked at join time. */
  seat?: () => ConferenceSeat | undefined;
}

/** A claim on one media server for one call; releasing twice is a no-op. */
export interface MediaLease {
  readonly serverId: string;
  createEndpoint(opts?: CreateEndpointOptions): Promise<MediaEndpoint>;
  /** Kills a channel on this server by uuid (a call a previous process left running). */
  killChannel(uuid: string): Promise<void>;
  /** True once this server is down, at once or within `withinMs`; false if it stays up that long. */
  serverDown(withinMs: number): Promise<boolean>;
  release(): void;
}

/** `lease`, whose release (once, however often it is called) also runs `released`. */
export function onRelease(lease: MediaLease, released: () => void): MediaLease {
  let done = false;
  return {
    serverId: lease.serverId,
    createEndpoint: (opts) => lease.createEndpoint(opts),
    killChannel: (uuid) => lease.killChannel(uuid),
    serverDown: (withinMs) => lease.serverDown(withinMs),
    release: () => {
      if (done) return;
      done = true;
      lease.release();
      released();
    },
  };
}

/** `lease`, whose endpoints join their meeting's main conference where `seat` says. */
export function seatedLease(lease: MediaLease, seat: () => ConferenceSeat | undefined): MediaLease {
  return {
    serverId: lease.serverId,
    createEndpoint: (opts) => lease.createEndpoint({ ...opts, seat }),
    killChannel: (uuid) => lease.killChannel(uuid),
    serverDown: (withinMs) => lease.serverDown(withinMs),
    release: () => lease.release(),
  };
}

/**
 * The conferences one media server mixes, addressed by meeting. Commands the conference refuses
 * reject with InvalidStateError.
 */
export interface ConferenceControl {
  /** The meeting's conference members by member id; empty when there is no such conference. */
  members(meetingId: string): Promise<Map<number, ConferenceMember>>;
  mute(meetingId: string, memberId: number, muted: boolean): Promise<void>;
  layout(meetingId: string, layout: CanvasLayout): Promise<void>;
  /** Places a member in the presentation layout's content slot. */
  reserveContentSlot(meetingId: string, memberId: number): Promise<void>;
  /** Whose content the content conference forwards to its other members; null: nobody's. */
  presenter(meetingId: string, memberId: number | null): Promise<void>;
  /** Every member of the meeting's conference receives canvas `canvas` (1-based). */
  watchCanvas(meetingId: string, canvas: number): Promise<void>;
  /** Pins a member to the main tile. */
  floor(meetingId: string, memberId: number): Promise<void>;
  /** Plays a file to every member. */
  play(meetingId: string, file: string): Promise<void>;
  /** Plays a file to one member. */
  playTo(meetingId: string, memberId: number, file: string): Promise<void>;
  /** Starts writing the conference to a file on the media server (format by extension: .mp4 or .wav). */
  record(meetingId: string, file: string): Promise<void>;
  /** Stops writing that file; FreeSWITCH closes it shortly after (see `recordings`). */
  stopRecording(meetingId: string, file: string): Promise<void>;
  /** The files the conference is writing now; empty when there is no such conference. */
  recordings(meetingId: string): Promise<string[]>;
  killChannel(uuid: string): Promise<void>;
}

/** The media servers as the call side sees them (MediaServerPool implements it). */
export interface MediaPool {
  /** A lease on the server `prefer` names when it is up, else on the least loaded one; undefined when none is up. */
  pick(prefer?: string): MediaLease | undefined;
  /** A lease on one given server, or undefined when it is not up. */
  leaseOn(serverId: string): MediaLease | undefined;
  /** Control of the conferences on a connected server. */
  control(serverId: string): ConferenceControl | undefined;
}
