import type { DataSource } from 'typeorm';
import { siteForSource } from '../directory/site-lookup';
import { SiteEntity } from '../directory/site.entity';
import type { H323CallAnswer, H323CallOffer, H323CallSink, H323HangupInfo, H323Media, ReleaseWhy } from '../h323';
import type { Logger } from '../log';
import type { MediaServerPool } from '../media/freeswitch/media-servers';
import type { Participations } from '../meetings/participations';
import { findRoomBookings } from '../meetings/room-bookings';
import { decideAdmission, type AdmissionPolicy } from './admission';
import type { Call } from './call';
import type { CallRegistry } from './call-registry';
import { mediaLines } from './sdp';
import { joinMeeting } from './steps/join-meeting';

export interface H323SinkDeps {
  ds: DataSource;
  calls: CallRegistry;
  media: MediaServerPool;
  participations: Participations;
  policy: AdmissionPolicy;
  conferenceProfile: string;
  log: Logger;
  /** Ends the H.323 side of a call the bridge hung up (H323CallServer.release). */
  release(callId: string, why: ReleaseWhy): void;
  /** The site a registered endpoint belongs to, when the call comes from its host (the gatekeeper). */
  identify(alias: string | null, ip: string): string | undefined;
}

const payloadTypes = { PCMU: 0, PCMA: 8, G722: 9 } as const;

/**
 * H.323 calls into meetings: the same room routing and admission as a SIP caller, with FreeSWITCH
 * facing the endpoint's RTP directly (fast start gives both addresses, so no SIP leg is needed).
 * The call is a Call like any other, protocol `h323`: roster, mute, kick, attendance and teardown
 * are the same.
 */
export class H323Sink implements H323CallSink {
  constructor(private readonly deps: H323SinkDeps) {}

  async offer(offer: H323CallOffer): Promise<H323CallAnswer> {
    const { deps } = this;
    const log = deps.log.child({ callId: offer.callId, protocol: 'h323', room: offer.room });
    const reject = (sipStatus: number, reason: string): H323CallAnswer => {
      log.info({ sipStatus, reason }, 'H.323 call refused');
      return { kind: 'reject', sipStatus, reason };
    };
    if (!offer.media.audio) return reject(488, 'no audio channel was offered');

    const now = new Date();
    const bookings = await findRoomBookings(deps.ds, offer.room, now, deps.policy.openBeforeMs);
    const registered = deps.identify(offer.callerAlias, offer.source.ip);
    const site = (registered ? await deps.ds.manager.findOneBy(SiteEntity, { id: registered, enabled: true }) : null) ?? (await siteForSource(deps.ds, offer.source.ip));
    const decision = decideAdmission(now, { pin: offer.pin }, bookings, { siteId: site?.id ?? null }, bookings.current ? deps.calls.roomState(bookings.current.meeting.id) : { locked: false, participants: 0 }, deps.policy);
    if (decision.kind === 'reject') return reject(decision.status, decision.why);
    // H.323 keypad digits arrive as H.245 user input, which the prompt cannot hear: ask for the PIN inline.
    if (decision.pin === 'collect') return reject(403, 'dial the room with its PIN, e.g. 2001*1234');

    const lease = deps.media.pick(deps.calls.mediaServerOf(decision.meetingId));
    if (!lease) return reject(503, 'no media server is available');
    let endpoint;
    try {
      endpoint = await lease.ms.createEndpoint({ remoteSdp: sdpFor(offer.media) });
    } catch (err) {
      lease.release();
      return reject(488, `the media server refused the channels: ${(err as Error).message}`);
    }
    const call = deps.calls.start(
      {
        callId: offer.callId,
        meetingId: decision.meetingId,
        siteId: site?.id ?? null,
        displayName: site?.name ?? offer.callerName ?? offer.callerAlias ?? 'H.323',
        source: `${offer.source.ip}:${offer.source.port}`,
        moderator: decision.moderator,
        protocol: 'h323',
        direction: 'in',
      },
      log.child({ meetingId: decision.meetingId }),
    );
    call.attachMedia(lease, endpoint);
    // However the bridge ends the call, the endpoint hears a Release Complete.
    call.signal.addEventListener('abort', () => deps.release(offer.callId, { sipStatus: 200 }), { once: true });
    const answer = answerMedia(endpoint.local.sdp, offer.media);
    if (!answer.audio) {
      await call.close('media-failure');
      return reject(488, 'the media server chose no audio channel');
    }
    void this.#join(call, endpoint, decision.muted, lease.serverId);
    return { kind: 'answer', media: answer };
  }

  hangup(callId: string, info: H323HangupInfo): void {
    const call = this.deps.calls.get(callId);
    if (!call) return;
    call.log.info({ cause: info.cause, reason: info.reason }, 'H.323 endpoint hung up');
    void call.close('caller-hangup');
  }

  async #join(call: Call, endpoint: Parameters<typeof joinMeeting>[1], muted: boolean, mediaServer: string): Promise<void> {
    try {
      await joinMeeting(call, endpoint, { profile: this.deps.conferenceProfile, muted, mediaServer }, this.deps.participations);
      call.log.info({ memberId: call.memberId }, 'H.323 caller joined');
    } catch (err) {
      call.log.warn({ err: (err as Error).message }, 'H.323 caller could not join');
      await call.close('media-failure');
    }
  }
}

/** The SDP FreeSWITCH answers: what the endpoint's fast-start channels offer. */
export function sdpFor(media: H323Media): string {
  const lines = ['v=0', 'o=diemcau-h323 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0'];
  if (media.audio) {
    const pt = payloadTypes[media.audio.codec];
    // G.722's RTP clock is 8000 Hz although it samples at 16 kHz (RFC 3551 §4.5.2).
    lines.push(`m=audio ${media.audio.port} RTP/AVP ${pt}`, `c=IN IP4 ${media.audio.ip}`, `a=rtpmap:${pt} ${media.audio.codec}/8000`, 'a=sendrecv');
  }
  if (media.video) {
    const v = media.video;
    lines.push(
      `m=video ${v.port} RTP/AVP ${v.payloadType}`,
      `c=IN IP4 ${v.ip}`,
      `a=rtpmap:${v.payloadType} H264/90000`,
      `a=fmtp:${v.payloadType} packetization-mode=1${v.profileLevelId ? `;profile-level-id=${v.profileLevelId}` : ''}`,
      'a=sendrecv',
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Where FreeSWITCH receives each stream, from its answer, in the endpoint's terms. */
export function answerMedia(sdp: string, offered: H323Media): H323Media {
  const sessionIp = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const blocks = sdp.split(/\r?\n(?=m=)/).slice(1);
  const find = (kind: string) => {
    const block = blocks.find((b) => b.startsWith(`m=${kind} `));
    const line = block && mediaLines(block)[0];
    if (!block || !line || line.port === 0) return undefined;
    return { ip: /^c=IN IP4 (\S+)/m.exec(block)?.[1] ?? sessionIp ?? '', port: line.port };
  };
  const audio = find('audio');
  const video = find('video');
  return {
    ...(audio && offered.audio && { audio: { ...audio, codec: offered.audio.codec } }),
    ...(video && offered.video && { video: { ...video, payloadType: offered.video.payloadType, ...(offered.video.profileLevelId && { profileLevelId: offered.video.profileLevelId }) } }),
  };
}
