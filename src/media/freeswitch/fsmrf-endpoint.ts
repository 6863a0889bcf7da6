import type Mrf from 'drachtio-fsmrf';
import { InvalidStateError } from '../../errors';
import { withTimeout } from '../../timeout';
import {
  channelCommands,
  conferenceCommands,
  conferenceName,
  contentCommands,
  contentConferenceName,
  parseMemberList,
  parseRecordingList,
  type CanvasLayout,
  type ConferenceMember,
} from './conference';
import type { MediaCounters } from '../quality/quality-math';
import { countersFromFreeswitch, rtcpReportFromEvent, withFreeswitchRtcp, type RtcpReport } from '../quality/media-stats';
import type {
  ConferenceControl,
  ConferenceSeat,
  CreateEndpointOptions,
  EndpointEnd,
  JoinOptions,
  MediaEndpoint,
  MediaInfo,
  MemberChange,
  PlayCollectOptions,
  PlayCollectResult,
} from './media-endpoint';
import { seatedJoin } from './media-endpoint';

/**
 * drachtio-fsmrf behind the interfaces of media-endpoint.ts: the one place that holds its Endpoint
 * and MediaServer objects, their events and their quirks.
 */

/** drachtio-fsmrf's hangup can wait behind a running conference application; then the channel is killed. */
const HANGUP_GRACE_MS = 2000;
/** drachtio-fsmrf waits for the conference's add-member event with no limit of its own. */
const JOIN_TIMEOUT_MS = 10_000;
/** Nor for an API reply: a FreeSWITCH that died with the command in flight never sends one. */
const API_TIMEOUT_MS = 5000;

/** An API command on `ms`, rejected when no reply comes in time (its FreeSWITCH gone). */
function api(ms: Mrf.MediaServer, command: string, timeoutMs = API_TIMEOUT_MS): Promise<string> {
  return withTimeout(ms.api(command), timeoutMs, `FreeSWITCH did not answer ${command.split(' ')[0]} within ${timeoutMs} ms`);
}

/** Whether FreeSWITCH answers `status` within `timeoutMs`: a server behind a dead network sends no FIN. */
export async function pingFsmrf(ms: Mrf.MediaServer, timeoutMs: number): Promise<boolean> {
  try {
    return /UP/.test(await api(ms, 'status', timeoutMs));
  } catch {
    return false;
  }
}

interface LegRequest {
  get(header: string): string | undefined;
  readonly body: string;
}
interface LegResponse {
  send(status: number, opts?: { body: string }): void;
  send(status: number, reason: string): void;
}

class FsmrfEndpoint implements MediaEndpoint {
  #memberId: number | null = null;
  #hangingUp: Promise<void> | null = null;
  #ended = false;
  /** The latest RTCP report blocks FreeSWITCH sent (about what it receives) and received. */
  #rtcpSent: RtcpReport | undefined;
  #rtcpReceived: RtcpReport | undefined;

  constructor(
    private readonly ep: Mrf.Endpoint,
    private readonly ms: Mrf.MediaServer,
    private readonly seat?: () => ConferenceSeat | undefined,
  ) {
    ep.once('destroy', () => {
      this.#ended = true;
    });
    // The dialplan turns RTCP events on (fire_rtcp_events); the channel's connection is filtered to it.
    const conn = ep.conn as (typeof ep.conn & { subscribe?(events: string): void }) | undefined;
    conn?.subscribe?.('SEND_RTCP_MESSAGE RECV_RTCP_MESSAGE');
    conn?.on(`esl::event::SEND_RTCP_MESSAGE::${ep.uuid}`, (evt: Mrf.EslEvent) => {
      this.#rtcpSent = rtcpReportFromEvent((h) => evt.getHeader(h)) ?? this.#rtcpSent;
    });
    conn?.on(`esl::event::RECV_RTCP_MESSAGE::${ep.uuid}`, (evt: Mrf.EslEvent) => {
      this.#rtcpReceived = rtcpReportFromEvent((h) => evt.getHeader(h)) ?? this.#rtcpReceived;
    });
  }

  get uuid(): string {
    return this.ep.uuid;
  }

  get localSdp(): string {
    return this.ep.local.sdp;
  }

  modify(sdp: string): Promise<string> {
    return this.ep.modify(sdp);
  }

  async set(vars: Record<string, string>): Promise<void> {
    await this.ep.set(vars);
  }

  async play(file: string | string[]): Promise<void> {
    await this.ep.play(file);
  }

  playCollect(opts: PlayCollectOptions): Promise<PlayCollectResult> {
    return this.ep.playCollect(opts);
  }

  async join(meetingId: string, asked: JoinOptions): Promise<number> {
    const content = asked.conference === 'content';
    const opts = seatedJoin(asked, this.seat);
    // mod_conference reads the canvases from channel variables as the member is added.
    const canvases = {
      ...(opts.canvas !== undefined && { video_initial_canvas: String(opts.canvas) }),
      ...(opts.watchingCanvas !== undefined && { video_initial_watching_canvas: String(opts.watchingCanvas) }),
    };
    if (Object.keys(canvases).length) await this.ep.set(canvases);
    const { memberId } = await withTimeout(
      this.ep.join(content ? contentConferenceName(meetingId) : conferenceName(meetingId), {
        profile: opts.profile,
        flags: {
          ...(opts.moderator && { moderator: true }),
          ...(opts.muted && { mute: true }),
          // mod_conference encodes the picture for every member on the shared encoder, whatever its
          // video's direction; off it, an inactive member gets no frames and costs no encoding.
          ...(opts.noVideo && { noMinimizeEncoding: true }),
        },
      }),
      JOIN_TIMEOUT_MS,
      `the conference did not take the call within ${JOIN_TIMEOUT_MS} ms`,
    );
    this.#memberId = memberId;
    // The node's part may have changed while the call joined (a secondary promoted): what is watched
    // now is set for this member; a later change finds it in the conference.
    const watching = content ? undefined : (this.seat?.()?.watchingCanvas ?? 1);
    if (watching !== undefined && watching !== (opts.watchingCanvas ?? 1)) {
      await api(this.ms, conferenceCommands.memberWatchesCanvas(meetingId, memberId, watching));
    }
    return memberId;
  }

  async info(contentType: string, body: string): Promise<void> {
    await this.ep.dialog.request({ method: 'INFO', headers: { 'Content-Type': contentType }, body });
  }

  onInfo(handler: (info: MediaInfo) => number): void {
    // With a listener attached, drachtio-srf no longer answers the INFO itself.
    this.ep.dialog.on('info', (req, res) => res.send(handler({ contentType: req.get('Content-Type'), body: req.body })));
  }

  onReinvite(handler: (offer: string) => Promise<string>): void {
    this.ep.dialog.on('modify', (req: LegRequest, res: LegResponse) => {
      handler(req.body).then(
        (answer) => res.send(200, { body: answer }),
        () => res.send(488, 'Not Acceptable Here'),
      );
    });
  }

  onMemberChange(listener: (change: MemberChange) => void): void {
    this.ep.conn?.on('esl::event::CUSTOM::*', (evt: Mrf.EslEvent) => {
      if (evt.getHeader('Event-Subclass') !== 'conference::maintenance') return;
      if (this.#memberId === null || Number(evt.getHeader('Member-ID')) !== this.#memberId) return;
      const action = evt.getHeader('Action');
      if (action === 'start-talking' || action === 'stop-talking') listener({ talking: action === 'start-talking' });
      else if (action === 'mute-member' || action === 'unmute-member') listener({ muted: action === 'mute-member' });
    });
  }

  async mediaStats(): Promise<MediaCounters | undefined> {
    if (this.#ended) return undefined;
    const reply = await api(this.ms, channelCommands.mediaStats(this.ep.uuid));
    let parsed: unknown;
    try {
      parsed = JSON.parse(reply);
    } catch {
      return undefined; // not JSON: FreeSWITCH answered -ERR
    }
    const counters = countersFromFreeswitch(parsed);
    return counters && withFreeswitchRtcp(counters, this.#rtcpSent, this.#rtcpReceived);
  }

  onEnded(listener: (how: EndpointEnd) => void): () => void {
    const once = (detail?: { reason?: string }): void => listener(endCause(detail));
    this.ep.once('destroy', once);
    return () => void this.ep.removeListener('destroy', once);
  }

  hangUp(): Promise<void> {
    this.#hangingUp ??= this.#ended ? Promise.resolve() : this.#hangUp();
    return this.#hangingUp;
  }

  async #hangUp(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), HANGUP_GRACE_MS);
    });
    try {
      const outcome = await Promise.race([
        this.ep.destroy().then(
          () => 'done' as const,
          () => 'failed' as const,
        ),
        graceOver,
      ]);
      if (outcome !== 'done' && !this.#ended) await api(this.ms, channelCommands.kill(this.ep.uuid));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Hang-up causes of a FreeSWITCH going away rather than of one call ending. */
const SERVER_GONE_CAUSES = new Set(['SYSTEM_SHUTDOWN', 'CRASH']);

/**
 * drachtio-fsmrf emits 'destroy' with the Hangup-Cause when it sees FreeSWITCH hang the channel up,
 * and with nothing when the channel's event socket closed first: after `uuid_kill`, or because its
 * FreeSWITCH died.
 */
export function endCause(detail?: { reason?: string }): EndpointEnd {
  const reason = detail?.reason;
  if (reason === undefined) return 'gone';
  return SERVER_GONE_CAUSES.has(reason) ? 'lost' : 'hangup';
}

/** A drachtio-fsmrf endpoint as a MediaEndpoint; `ms` is the server it is on (for the kill fallback). */
export function fsmrfEndpoint(ep: Mrf.Endpoint, ms: Mrf.MediaServer, seat?: () => ConferenceSeat | undefined): MediaEndpoint {
  return new FsmrfEndpoint(ep, ms, seat);
}

/** A new channel on `ms`. */
export async function createFsmrfEndpoint(ms: Mrf.MediaServer, opts: CreateEndpointOptions = {}): Promise<MediaEndpoint> {
  return fsmrfEndpoint(await ms.createEndpoint(opts.remoteSdp !== undefined ? { remoteSdp: opts.remoteSdp } : {}), ms, opts.seat);
}

/** Kills a channel by uuid. */
export async function killFsmrfChannel(ms: Mrf.MediaServer, uuid: string): Promise<void> {
  await api(ms, channelCommands.kill(uuid));
}

/** Control of the conferences a connected drachtio-fsmrf MediaServer mixes. */
export function fsmrfConferenceControl(ms: Mrf.MediaServer): ConferenceControl {
  const command = async (text: string): Promise<void> => {
    const reply = await api(ms, text);
    if (/^-ERR/m.test(reply)) throw new InvalidStateError(`the conference refused: ${reply.trim()}`);
  };
  return {
    members: async (meetingId: string): Promise<Map<number, ConferenceMember>> => parseMemberList(await api(ms, conferenceCommands.list(meetingId))),
    mute: (meetingId: string, memberId: number, muted: boolean) =>
      command(muted ? conferenceCommands.mute(meetingId, memberId) : conferenceCommands.unmute(meetingId, memberId)),
    layout: (meetingId: string, layout: CanvasLayout) => command(conferenceCommands.layout(meetingId, layout)),
    reserveContentSlot: (meetingId: string, memberId: number) => command(conferenceCommands.reserveContentSlot(meetingId, memberId)),
    presenter: (meetingId: string, memberId: number | null) =>
      command(memberId === null ? contentCommands.noPresenter(meetingId) : contentCommands.presenter(meetingId, memberId)),
    watchCanvas: (meetingId: string, canvas: number) => command(conferenceCommands.watchCanvas(meetingId, canvas)),
    floor: (meetingId: string, memberId: number) => command(conferenceCommands.floor(meetingId, memberId)),
    play: (meetingId: string, file: string) => command(conferenceCommands.play(meetingId, file)),
    playTo: (meetingId: string, memberId: number, file: string) => command(conferenceCommands.playTo(meetingId, memberId, file)),
    record: (meetingId: string, file: string) => command(conferenceCommands.record(meetingId, file)),
    stopRecording: (meetingId: string, file: string) => command(conferenceCommands.stopRecording(meetingId, file)),
    recordings: async (meetingId: string) => parseRecordingList(await api(ms, conferenceCommands.recordings(meetingId))),
    killChannel: (uuid: string) => killFsmrfChannel(ms, uuid),
  };
}
