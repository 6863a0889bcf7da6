import type { Logger } from '../../log';
import type { ConferenceMember } from '../../media/freeswitch/conference';
import type { JoinOptions, MediaEndpoint, MediaLease } from '../../media/freeswitch/media-endpoint';

/** Where each of the link's two channels lives: one lease for both, or one per FreeSWITCH node. */
export interface LinkEnds {
  /** A, created without SDP: FreeSWITCH offers, and A's conference is the one linked from. */
  a: MediaLease;
  /** B, answering A's offer, in the conference linked to. */
  b: MediaLease;
}

/** What the link needs of each channel: the endpoint it made, or one a previous process made. */
type LinkChannel = Pick<MediaEndpoint, 'uuid' | 'onEnded' | 'hangUp'>;

/**
 * Two FreeSWITCH channels offered to each other, each a member of its own conference: what one hears
 * and sees in its conference, the other sends into the other conference. The bridge uses it to show
 * the content conference in a meeting's main canvas (both channels on one server), and to join a
 * meeting's conferences on two FreeSWITCH nodes (docs/scale.md): then the RTP flows node to node. No
 * SIP leaves FreeSWITCH: the first channel makes an offer (3PCC), the second answers it, the first
 * gets the answer.
 */
export class ConferenceLink {
  #closing: Promise<void> | null = null;

  private constructor(
    private readonly ends: LinkEnds,
    private readonly a: LinkChannel,
    private readonly b: LinkChannel,
    /** A's member in its conference. */
    readonly memberA: number,
    /** B's member in its conference. */
    readonly memberB: number,
    private readonly log: Logger,
  ) {}

  /**
   * Joins A to `from` and B to `to` (both of the meeting, on their leases' servers). On failure
   * nothing is left: both channels are hung up and the leases released. The link owns the leases.
   * `beforeJoin` runs once both channels exist, before either joins its conference.
   */
  static async open(
    ends: LinkEnds,
    meetingId: string,
    from: JoinOptions,
    to: JoinOptions,
    log: Logger,
    beforeJoin?: (channels: [string, string]) => Promise<void>,
  ): Promise<ConferenceLink> {
    const made: MediaEndpoint[] = [];
    try {
      const a = await ends.a.createEndpoint();
      made.push(a);
      const b = await ends.b.createEndpoint({ remoteSdp: a.localSdp });
      made.push(b);
      await a.modify(b.localSdp);
      await beforeJoin?.([a.uuid, b.uuid]);
      const memberA = await a.join(meetingId, from);
      const memberB = await b.join(meetingId, to);
      return new ConferenceLink(ends, a, b, memberA, memberB, log);
    } catch (err) {
      await Promise.allSettled(made.map((e) => e.hangUp()));
      releaseEnds(ends);
      throw err;
    }
  }

  /**
   * A link a previous process opened and left running (a restart, a take-over), whose members `a`
   * and `b` are still in their conferences. FreeSWITCH tells this process nothing of them: whoever
   * adopts it looks for them now and then, and closing it kills them.
   */
  static adopted(ends: LinkEnds, a: ConferenceMember, b: ConferenceMember, log: Logger): ConferenceLink {
    const channel = (lease: MediaLease, uuid: string): LinkChannel => ({ uuid, onEnded: () => () => undefined, hangUp: () => lease.killChannel(uuid) });
    return new ConferenceLink(ends, channel(ends.a, a.channelUuid), channel(ends.b, b.channelUuid), a.memberId, b.memberId, log);
  }

  /** The channels' uuids (A, B): what a test or an operator finds in `show channels`. */
  get channels(): [string, string] {
    return [this.a.uuid, this.b.uuid];
  }

  /** Runs when FreeSWITCH hangs up either channel (the link is broken; close it). */
  onBroken(listener: () => void): void {
    this.a.onEnded(listener);
    this.b.onEnded(listener);
  }

  /** A restart: the channels stay for the next process, this one lets go of them. */
  detach(): void {
    this.#closing ??= Promise.resolve(releaseEnds(this.ends));
  }

  /** Hangs both channels up and releases the leases; twice is a no-op. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const results = await Promise.allSettled([this.a.hangUp(), this.b.hangUp()]);
      for (const r of results) if (r.status === 'rejected') this.log.warn({ err: (r.reason as Error).message }, 'link channel not hung up');
      releaseEnds(this.ends);
    })();
    return this.#closing;
  }
}

function releaseEnds(ends: LinkEnds): void {
  ends.a.release();
  if (ends.b !== ends.a) ends.b.release();
}
