import type {
  ContentFormat,
  H323CallAnswer,
  H323CallOffer,
  H323CallSink,
  H323ContentSink,
  H323HangupInfo,
  H323Media,
  ReleaseWhy,
  VideoMedia,
} from '../../h323';
import type { Logger } from '../../log';
import type { MediaEndpoint } from '../../media/freeswitch/media-endpoint';
import type { CallPlacement } from '../cascade/cascade';
import type { Participations } from '../../meetings/participations';
import type { AdmissionPolicy } from '../admission';
import type { Call } from '../call';
import type { CallRegistry } from '../call-registry';
import { applyProfile, h245VideoMaxBitRate, type DeviceProfile } from '../device-profile';
import { H323Content, type H323ContentDeps } from './content';
import { answerMedia, offerAddresses, sdpFor } from './sdp';
import { admit, openEndpoint, startCall } from '../incoming-call';
import { relayKeyframes, type KeyframeRelay } from '../keyframes';
import type { CallLookups } from '../lookups';
import { joinMeeting } from '../steps/join-meeting';

export interface H323SinkDeps {
  lookups: Pick<CallLookups, 'roomBookings' | 'siteForSource' | 'siteById'>;
  calls: CallRegistry;
  placement: CallPlacement;
  participations: Pick<Participations, 'open' | 'close'>;
  policy: AdmissionPolicy;
  conferenceProfile: string;
  log: Logger;
  /** Ends the H.323 side of a call the bridge hung up (H323CallServer.release). */
  release(callId: string, why: ReleaseWhy): void;
  /** Asks the endpoint for a keyframe of the video it sends (H323CallServer.requestKeyframe). */
  requestKeyframe(callId: string): void;
  /** The site a registered endpoint belongs to, when the call comes from its host (the gatekeeper). */
  identify(alias: string | null, ip: string): string | undefined;
  /** Content sharing (H.239); without it calls advertise none. */
  content?: H323ContentDeps;
}

/** What the sink keeps of a call it answered, until the call closes. */
interface SinkCall {
  readonly call: Call;
  readonly endpoint: MediaEndpoint;
  readonly keyframes: KeyframeRelay;
  readonly join: { muted: boolean; mediaServer: string; device: DeviceProfile | null };
  /** Slow start: FreeSWITCH has had the endpoint's addresses at least once and the call is joining. */
  joining: boolean;
  /** Slow start: channel updates reach FreeSWITCH one at a time, in order. */
  updates: Promise<void>;
  /** H.239: the call's content leg and token; null without content. */
  readonly content: H323Content | null;
}

/**
 * H.323 calls into meetings: the same room routing and admission as a SIP caller, with FreeSWITCH
 * facing the endpoint's RTP directly (no SIP leg to a room system). With fast start the Setup gives
 * the endpoint's addresses and FreeSWITCH answers them; with slow start FreeSWITCH makes the offer,
 * its addresses go out over H.245, and the endpoint's come back through channelsOpen().
 * The call is a Call like any other, protocol `h323`: roster, mute, kick, attendance and teardown
 * are the same.
 */
export class H323Sink implements H323CallSink {
  readonly #calls = new Map<string, SinkCall>();
  readonly content?: H323ContentSink;

  constructor(private readonly deps: H323SinkDeps) {
    if (!deps.content) return;
    const of = (callId: string): H323Content | null => this.#calls.get(callId)?.content ?? null;
    this.content = {
      tokenRequest: (callId) => of(callId)?.tokenRequest() ?? 'refused',
      tokenReleased: (callId) => of(callId)?.tokenReleased(),
      contentCapable: (callId, capable) => of(callId)?.capable(capable),
      contentFromEndpoint: (callId, format: ContentFormat) => of(callId)?.contentFromEndpoint(format),
      contentToEndpoint: (callId, media: VideoMedia) => of(callId)?.contentToEndpoint(media),
      contentClosed: (callId, direction) => of(callId)?.contentClosed(direction),
      contentKeyframeRequest: (callId) => of(callId)?.keyframeRequest(),
    };
  }

  async offer(offer: H323CallOffer): Promise<H323CallAnswer> {
    const { deps } = this;
    const log = deps.log.child({ callId: offer.callId, protocol: 'h323', room: offer.room });
    const reject = (sipStatus: number, reason: string): H323CallAnswer => {
      log.info({ sipStatus, reason }, 'H.323 call refused');
      return { kind: 'reject', sipStatus, reason };
    };
    const offered = offer.media;
    if (offered && !offered.audio) return reject(488, 'no audio channel was offered');

    const at = new Date();
    const bookings = await deps.lookups.roomBookings(offer.room, at, deps.policy.openBeforeMs);
    const registered = deps.identify(offer.callerAlias, offer.source.ip);
    const byRegistration = registered ? await deps.lookups.siteById(registered) : null;
    const site = (byRegistration?.enabled ? byRegistration : null) ?? (await deps.lookups.siteForSource(offer.source.ip));
    const incoming = {
      callId: offer.callId,
      protocol: 'h323' as const,
      dialled: { room: offer.room, pin: offer.pin },
      source: `${offer.source.ip}:${offer.source.port}`,
      site,
      tokenName: null,
      displayName: offer.callerName ?? offer.callerAlias ?? 'H.323',
      // H.323 keypad digits arrive as H.245 user input, which the prompt cannot hear: the PIN comes inline.
      canCollectPin: false,
      bookings,
      at,
    };
    const admitted = admit(deps, incoming);
    if (admitted.kind === 'refused') return reject(admitted.status, admitted.why);
    const started = startCall(deps, incoming, admitted, log.child({ meetingId: admitted.decision.meetingId }));
    if (started.kind === 'refused') return reject(started.status, started.why);
    const { call, lease, decision, device } = started;
    // Slow start: FreeSWITCH offers (3PCC) and learns the endpoint's addresses later.
    const endpoint = await openEndpoint(started, offered ? { remoteSdp: applyProfile(sdpFor(offered), device) } : {});
    if ('kind' in endpoint) return reject(endpoint.status, endpoint.why);
    // However the bridge ends the call, the endpoint hears a Release Complete.
    call.signal.addEventListener(
      'abort',
      () => {
        this.#calls.delete(offer.callId);
        deps.release(offer.callId, { sipStatus: 200 });
      },
      { once: true },
    );
    if (call.isClosed()) return reject(480, 'the media server hung up at once');
    const maxBitRate100bps = h245VideoMaxBitRate(device);
    const content = deps.content
      ? await H323Content.open(call, deps.content, { endpointIp: offer.source.ip, ...(maxBitRate100bps !== undefined && { maxBitRate100bps }) })
      : null;
    if (call.isClosed()) return reject(480, 'the call ended while its content leg opened');
    const entry: SinkCall = {
      call,
      endpoint,
      join: { muted: decision.muted, mediaServer: lease.serverId, device },
      joining: offered !== null,
      updates: Promise.resolve(),
      keyframes: relayKeyframes(endpoint, () => deps.requestKeyframe(offer.callId), call.log),
      content,
    };
    this.#calls.set(offer.callId, entry);
    const withContent = content ? { content: content.receive } : {};

    if (!offered) {
      const receive = offerAddresses(endpoint.localSdp);
      if (!receive.audio) {
        await call.close('media-failure');
        return reject(488, 'the media server offered no audio format H.323 carries');
      }
      const video = receive.video && { ...receive.video, ...(maxBitRate100bps !== undefined && { maxBitRate100bps }) };
      return { kind: 'open-channels', receive: { audio: receive.audio, ...(video ? { video } : {}) }, ...withContent };
    }
    const answer = answerMedia(endpoint.localSdp, offered);
    if (!answer.audio) {
      await call.close('media-failure');
      return reject(488, 'the media server chose no audio channel');
    }
    void this.#join(entry);
    return { kind: 'answer', media: answer, ...(maxBitRate100bps !== undefined && { videoMaxBitRate100bps: maxBitRate100bps }), ...withContent };
  }

  channelsOpen(callId: string, media: H323Media): void {
    const entry = this.#calls.get(callId);
    if (!entry) return;
    entry.updates = entry.updates.then(async () => {
      if (entry.call.isClosed()) return;
      try {
        await entry.endpoint.modify(applyProfile(sdpFor(media), entry.join.device));
      } catch (err) {
        entry.call.log.warn({ err: (err as Error).message }, 'FreeSWITCH refused the H.323 channels');
        await entry.call.close('media-failure');
        return;
      }
      if (entry.joining) return;
      entry.joining = true;
      await this.#join(entry);
    });
  }

  keyframeRequest(callId: string): void {
    this.#calls.get(callId)?.keyframes.toFreeswitch();
  }

  hangup(callId: string, info: H323HangupInfo): void {
    const call = this.deps.calls.get(callId);
    if (!call) return;
    call.log.info({ cause: info.cause, reason: info.reason }, 'H.323 endpoint hung up');
    void call.close('caller-hangup');
  }

  async #join({ call, endpoint, join, content }: SinkCall): Promise<void> {
    try {
      await joinMeeting(call, endpoint, { profile: this.deps.conferenceProfile, ...join }, this.deps.participations);
      call.log.info({ memberId: call.memberId }, 'H.323 caller joined');
    } catch (err) {
      call.log.warn({ err: (err as Error).message }, 'H.323 caller could not join');
      await call.close('media-failure');
      return;
    }
    await content?.joined();
  }
}
