import type { BfcpServer as BfcpListener } from '../../bfcp/server';
import type { Call } from '../call';
import type { ContentHub } from '../content/content-hub';
import type { ContentLeg } from '../content/content-leg';
import { bfcpServable, buildContentAnswer, splitContentOffer, type BfcpServer, type ContentOffer } from '../content/content-sdp';

/** The bridge's BFCP floor control server and the address room systems reach it at. */
export interface BfcpEndpoint {
  server: BfcpListener;
  address: string;
}

/** Content sharing as the SIP side sees it; null where the bridge does not offer it. */
export interface SipContent {
  hub: ContentHub;
  /** null: no BFCP (BFCP_HOST unset): content lines are answered with port 0. */
  bfcp: BfcpEndpoint | null;
}

/** The floor id the bridge serves when the offer names none (RFC 8855 lets the server choose). */
const DEFAULT_FLOOR_ID = 1;

/**
 * A room system's content (docs/content-sharing.md): the content leg FreeSWITCH answers the offer's
 * content line with, and the BFCP user the bridge answers its BFCP line as. Built from the first offer,
 * it answers re-offers the same way, keeping the BFCP ids the room system was given.
 */
export class RoomContent {
  private constructor(
    private readonly call: Call,
    private readonly content: SipContent,
    readonly leg: ContentLeg | null,
    private readonly bfcp: BfcpServer | null,
  ) {}

  /**
   * Opens what the offer asks for and the bridge can serve; the call owns each part from here on. A
   * part that fails is only left out (its line is refused): the call goes on without content.
   */
  static async open(call: Call, content: SipContent, offer: ContentOffer): Promise<RoomContent> {
    let leg: ContentLeg | null = null;
    if (offer.video) {
      try {
        leg = await content.hub.openLeg(call, offer.video.legOffer);
        call.attachContent(leg);
      } catch (err) {
        call.log.warn({ err: (err as Error).message }, 'content leg refused; content line answered with port 0');
      }
    }
    let bfcp: BfcpServer | null = null;
    const listener = content.bfcp;
    if (leg && offer.bfcp && listener && bfcpServable(offer.bfcp).ok) {
      const { conferenceId, userId } = await content.hub.bfcpIds(call.info.meetingId);
      const floorId = offer.bfcp.floorIds[0]?.id ?? DEFAULT_FLOOR_ID;
      const transport = offer.bfcp.proto.startsWith('TCP') ? 'tcp' : 'udp';
      const user = listener.server.addUser({
        conferenceId,
        userId,
        floorId,
        transport,
        floor: await content.hub.floor(call.info.meetingId),
        holderKey: call.info.callId,
        displayName: call.info.displayName,
      });
      call.attachContent({ close: async () => user.close() });
      const port = transport === 'tcp' ? listener.server.tcpPort : listener.server.udpPort;
      bfcp = { address: listener.address, port, conferenceId, userId, floorId };
    }
    return new RoomContent(call, content, leg, bfcp);
  }

  /** The answer to the offer: FreeSWITCH's main answer, the content leg's and the BFCP line, in the offer's order. */
  answer(offer: string, mainAnswer: string): string {
    return buildContentAnswer({ offer, mainAnswer, contentAnswer: this.leg && !this.leg.isClosed() ? this.leg.localSdp : null, bfcp: this.bfcp });
  }

  /** A re-offer: the content line goes to the content leg; resolves with the content leg's answer (null: none). */
  async reoffer(offer: string): Promise<{ main: string; contentAnswer: string | null }> {
    const split = splitContentOffer(offer);
    const video = split.content?.video;
    const contentAnswer = video && this.leg && !this.leg.isClosed() ? await this.leg.modify(video.legOffer) : null;
    return { main: split.main, contentAnswer };
  }

  /** The answer to a re-offer, given FreeSWITCH's main answer and the content leg's. */
  reanswer(offer: string, mainAnswer: string, contentAnswer: string | null): string {
    return buildContentAnswer({ offer, mainAnswer, contentAnswer, bfcp: this.bfcp });
  }

  /** Puts the content leg in the content conference, once the call has joined the meeting. */
  async joined(): Promise<void> {
    if (!this.leg || this.leg.isClosed()) return;
    try {
      await this.content.hub.joinLeg(this.leg);
    } catch (err) {
      this.call.log.warn({ err: (err as Error).message }, 'content leg did not join; the call goes on without content');
      await this.leg.close();
    }
  }
}
