import type { BfcpServer as BfcpListener } from '../../bfcp/server';
import type { Call } from '../call';
import type { ContentHub, PreparedLeg } from '../content/content-hub';
import { buildContentOffer, contentLegPlaceholderOffer, splitContentAnswer } from '../content/content-outgoing';
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

/** The floor id the bridge serves when the offer names none (RFC 8856 lets the server choose). */
const DEFAULT_FLOOR_ID = 1;

/**
 * A room system's content (docs/content-sharing.md): the content leg FreeSWITCH answers the offer's
 * content line with, and the BFCP user the bridge answers its BFCP line as. Built from the first offer,
 * it answers re-offers the same way, keeping the BFCP ids the room system was given.
 */
export class RoomContent {
  constructor(
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
      } catch (err) {
        call.log.warn({ err: (err as Error).message }, 'content leg refused; content line answered with port 0');
      }
    }
    let bfcp: BfcpServer | null = null;
    if (leg && offer.bfcp && content.bfcp && bfcpServable(offer.bfcp).ok) {
      const ids = await content.hub.bfcpIds(call.info.meetingId);
      const floorId = offer.bfcp.floorIds[0]?.id ?? DEFAULT_FLOOR_ID;
      bfcp = await addBfcpUser(call, content.hub, content.bfcp, { ...ids, floorId }, offer.bfcp.proto);
    }
    return new RoomContent(call, content, leg, bfcp);
  }

  /**
   * Dialling out: the content leg answers a placeholder offer, and its answer is the content line of
   * the bridge's offer beside a BFCP line over UDP (every room system with BFCP speaks it; no TCP setup
   * to agree). Nothing is held for content when the bridge has no BFCP server: the offer is FreeSWITCH's.
   */
  static async offer(content: SipContent, serverId: string, meetingId: string, mainOffer: string): Promise<OutgoingContent | null> {
    const listener = content.bfcp;
    if (!listener) return null;
    const address = /^c=IN IP[46] (\S+)/m.exec(mainOffer)?.[1] ?? listener.address;
    const prepared = await content.hub.prepareLeg(serverId, contentLegPlaceholderOffer({ address }));
    try {
      const ids = { ...(await content.hub.bfcpIds(meetingId)), floorId: DEFAULT_FLOOR_ID };
      const sdp = buildContentOffer({
        mainOffer,
        contentLine: prepared.endpoint.localSdp,
        bfcp: { ...ids, address: listener.address, port: listener.server.udpPort, proto: 'UDP/BFCP' },
      });
      return new OutgoingContent(content, prepared, ids, sdp);
    } catch (err) {
      await prepared.release();
      throw err;
    }
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

/** The call's BFCP user on the bridge's server, closed with the call; what the call's SDP says of it. */
async function addBfcpUser(
  call: Call,
  hub: ContentHub,
  listener: BfcpEndpoint,
  ids: { conferenceId: number; userId: number; floorId: number },
  proto: string,
): Promise<BfcpServer> {
  const transport = proto.startsWith('TCP') ? 'tcp' : 'udp';
  const user = listener.server.addUser({
    ...ids,
    transport,
    floor: await hub.floor(call.info.meetingId),
    holderKey: call.info.callId,
    displayName: call.info.displayName,
  });
  call.attachContent({ close: async () => user.close() });
  return { ...ids, address: listener.address, port: transport === 'tcp' ? listener.server.tcpPort : listener.server.udpPort };
}

/**
 * The content part of an offer the bridge sent a room system, until it answers: then it becomes the
 * call's content (leg adopted, BFCP user added) or is released. Exactly one of the two happens.
 */
export class OutgoingContent {
  #settled = false;

  constructor(
    private readonly content: SipContent,
    private readonly prepared: PreparedLeg,
    private readonly ids: { conferenceId: number; userId: number; floorId: number },
    /** The whole offer to send: FreeSWITCH's main offer, the content line and the BFCP line. */
    readonly sdp: string,
  ) {}

  /** The site answered: resolves with the main answer for FreeSWITCH and the call's content. */
  async answered(call: Call, answer: string): Promise<{ main: string; room: RoomContent }> {
    this.#settled = true;
    const split = splitContentAnswer(answer, this.sdp);
    let leg: ContentLeg | null = null;
    if (split.contentAnswer) {
      try {
        await this.prepared.endpoint.modify(split.contentAnswer);
        leg = await this.content.hub.adoptLeg(call, this.prepared);
      } catch (err) {
        call.log.warn({ err: (err as Error).message }, 'content leg refused the answer; no content');
      }
    }
    if (!leg) await this.prepared.release();
    const listener = this.content.bfcp;
    const bfcp = leg && split.bfcp && listener ? await addBfcpUser(call, this.content.hub, listener, this.ids, split.bfcp.proto) : null;
    return { main: split.main, room: new RoomContent(call, this.content, leg, bfcp) };
  }

  /** The attempt failed or was called off: the prepared leg is released. Twice, or after an answer, is a no-op. */
  async abandon(): Promise<void> {
    if (this.#settled) return;
    this.#settled = true;
    await this.prepared.release();
  }
}
