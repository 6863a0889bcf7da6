/**
 * An H.323 call's content (H.239, docs/content-sharing.md): its content leg in the meeting's content
 * conference, the presentation channels' media mapped onto that leg, and the presentation token
 * mapped onto the meeting's floor.
 *
 * The leg answers a placeholder video-only offer when the call is offered, so the call's capability
 * set can name where the leg receives content before the endpoint opens a presentation channel. As
 * the channels open, the leg gets a re-offer in the endpoint's terms: the endpoint's payload type
 * (it chooses what it sends) and, once our channel toward it is acknowledged, where it receives.
 * Until then the leg sends to the discard port.
 *
 * The leg joins the content conference once the call is in the meeting and the endpoint's
 * capabilities list H.239; an endpoint without H.239 gets its leg closed, so that it counts as a
 * site without a content channel (content in its main picture).
 *
 * Floor → H.239: the holder's queued request is acknowledged and it gets no content back; a former
 * holder is told presentationTokenRelease; everyone else gets a presentation channel while someone
 * presents, closed when nobody does.
 */
import type { ContentFormat, ContentReceive, H323CallContent, VideoMedia } from '../../h323';
import type { ContentFloor, FloorChange } from '../../content/floor';
import type { Call } from '../call';
import type { ContentHub } from '../content/content-hub';
import type { ContentLeg } from '../content/content-leg';
import { contentLegPlaceholderOffer } from '../content/content-outgoing';
import type { KeyframeRelay } from '../keyframes';
import { offerAddresses, sdpFor } from './sdp';

export interface H323ContentDeps {
  hub: Pick<ContentHub, 'openLeg' | 'joinLeg' | 'floor'>;
  /** The call server's H.239 handle of a connected call (H323CallServer.content). */
  server(callId: string): H323CallContent | undefined;
}

/** Where a leg sends while the endpoint receives no content from it (RFC 863 discard). */
const DISCARD_PORT = 9;

export class H323Content {
  private from: ContentFormat | undefined;
  private to: VideoMedia | undefined;
  /** Re-offers reach the leg one at a time, in order. */
  private updates: Promise<void> = Promise.resolve();
  private readonly keyframes: KeyframeRelay;
  private inMeeting = false;
  private joining = false;
  private h239: boolean | undefined;

  private constructor(
    private readonly call: Call,
    private readonly deps: H323ContentDeps,
    private readonly leg: ContentLeg,
    private readonly floor: ContentFloor,
    /** The endpoint's signalling address: the leg's placeholder peer. */
    private readonly endpointIp: string,
    readonly receive: ContentReceive,
  ) {
    // FreeSWITCH asks the presenter's leg for a keyframe: the endpoint hears it on its presentation channel.
    this.keyframes = leg.relayKeyframes(() => void deps.server(call.info.callId)?.requestKeyframe());
  }

  /**
   * The call's content leg, owned by the call from here on, and its floor subscription; null (logged)
   * when FreeSWITCH gives no leg or no H.264 line: the call goes on without content.
   */
  static async open(call: Call, deps: H323ContentDeps, o: { endpointIp: string; maxBitRate100bps?: number }): Promise<H323Content | null> {
    let leg: ContentLeg;
    try {
      leg = await deps.hub.openLeg(call, contentLegPlaceholderOffer({ address: o.endpointIp }));
    } catch (err) {
      call.log.warn({ err: (err as Error).message }, 'no content leg; the H.323 call goes on without H.239');
      return null;
    }
    call.attachContent(leg);
    const at = offerAddresses(leg.localSdp).video;
    if (!at) {
      call.log.warn('the content leg answered no H.264; the H.323 call goes on without H.239');
      await leg.close();
      return null;
    }
    const floor = await deps.hub.floor(call.info.meetingId);
    const receive: ContentReceive = { ...at, ...(o.maxBitRate100bps !== undefined && { maxBitRate100bps: o.maxBitRate100bps }) };
    const content = new H323Content(call, deps, leg, floor, o.endpointIp, receive);
    const unsubscribe = floor.onChange((change) => content.floorChanged(change));
    call.attachContent({ close: async () => unsubscribe() });
    return content;
  }

  /** The call joined its meeting. */
  joined(): Promise<void> {
    this.inMeeting = true;
    return this.joinWhenReady();
  }

  /** The endpoint's capabilities say whether it does H.239; without, the leg goes. */
  capable(h239: boolean): void {
    if (this.h239 !== undefined) return;
    this.h239 = h239;
    if (!h239) {
      this.call.log.info('the H.323 endpoint does not do H.239: content goes to its main picture');
      void this.leg.close();
      return;
    }
    void this.joinWhenReady();
  }

  /** The leg joins the content conference, and gets content if someone presents. */
  private async joinWhenReady(): Promise<void> {
    if (!this.inMeeting || !this.h239 || this.leg.isClosed() || this.leg.memberId !== null || this.joining) return;
    this.joining = true;
    try {
      await this.deps.hub.joinLeg(this.leg);
    } catch (err) {
      this.call.log.warn({ err: (err as Error).message }, 'content leg did not join; the call goes on without content');
      await this.leg.close();
      return;
    }
    const holder = this.floor.holder;
    if (holder !== null && holder !== this.callId) this.handle()?.send();
  }

  tokenRequest(): 'granted' | 'refused' | 'queued' {
    if (this.leg.isClosed()) return 'refused';
    // The floor tells the holder's change too (floorChanged); an H.239 answer goes out once either way.
    return this.floor.request(this.callId).granted ? 'granted' : 'queued';
  }

  tokenReleased(): void {
    this.floor.release(this.callId);
  }

  contentFromEndpoint(format: ContentFormat): void {
    this.from = format;
    this.update();
  }

  contentToEndpoint(media: VideoMedia): void {
    this.to = media;
    this.update();
  }

  contentClosed(direction: 'from' | 'to'): void {
    if (direction === 'to') {
      this.to = undefined;
      this.update();
    }
  }

  /** The endpoint asks for a keyframe of the content it receives: FreeSWITCH asks the presenter. */
  keyframeRequest(): void {
    this.keyframes.toFreeswitch();
  }

  private get callId(): string {
    return this.call.info.callId;
  }

  private handle(): H323CallContent | undefined {
    return this.deps.server(this.callId);
  }

  private floorChanged(change: FloorChange): void {
    const h = this.handle();
    if (!h) return;
    if (change.holder === this.callId) {
      h.grantToken();
      h.stop();
      return;
    }
    if (change.previous === this.callId) h.revokeToken();
    if (change.holder !== null && this.leg.memberId !== null) h.send();
    else if (change.holder === null) h.stop();
  }

  /** The leg's re-offer in the endpoint's current terms. */
  private update(): void {
    const payloadType = this.from?.payloadType ?? this.to?.payloadType ?? this.receive.payloadType;
    const profileLevelId = this.from?.profileLevelId ?? this.to?.profileLevelId;
    const at = this.to ?? { ip: this.endpointIp, port: DISCARD_PORT };
    const sdp = sdpFor({ video: { ...at, payloadType, ...(profileLevelId && { profileLevelId }) } });
    this.updates = this.updates.then(async () => {
      if (this.leg.isClosed()) return;
      try {
        await this.leg.modify(sdp);
      } catch (err) {
        this.call.log.warn({ err: (err as Error).message }, 'FreeSWITCH refused the H.323 content channel; content ends for this call');
        await this.leg.close();
      }
    });
  }
}
