import type { Logger } from '../../log';
import type { JoinOptions, MediaEndpoint, MediaLease } from '../../media/freeswitch/media-endpoint';

/**
 * Two FreeSWITCH channels offered to each other, each a member of its own conference: what one hears
 * and sees in its conference, the other sends into the other conference. The bridge uses it to show
 * the content conference in a meeting's main canvas. No SIP leaves FreeSWITCH: the first channel makes
 * an offer (3PCC), the second answers it, the first gets the answer.
 */
export class ConferenceLink {
  #closing: Promise<void> | null = null;

  private constructor(
    private readonly lease: MediaLease,
    private readonly a: MediaEndpoint,
    private readonly b: MediaEndpoint,
    /** B's member in its conference. */
    readonly memberB: number,
    private readonly log: Logger,
  ) {}

  /**
   * Joins A to `from` and B to `to` (both of the meeting, on the lease's server). On failure nothing
   * is left: both channels are hung up and the lease released.
   */
  static async open(lease: MediaLease, meetingId: string, from: JoinOptions, to: JoinOptions, log: Logger): Promise<ConferenceLink> {
    const made: MediaEndpoint[] = [];
    try {
      const a = await lease.createEndpoint();
      made.push(a);
      const b = await lease.createEndpoint({ remoteSdp: a.localSdp });
      made.push(b);
      await a.modify(b.localSdp);
      await a.join(meetingId, from);
      const memberB = await b.join(meetingId, to);
      return new ConferenceLink(lease, a, b, memberB, log);
    } catch (err) {
      await Promise.allSettled(made.map((e) => e.hangUp()));
      lease.release();
      throw err;
    }
  }

  /** Runs when FreeSWITCH hangs up either channel (the link is broken; close it). */
  onBroken(listener: () => void): void {
    this.a.onEnded(listener);
    this.b.onEnded(listener);
  }

  /** Hangs both channels up and releases the lease; twice is a no-op. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const results = await Promise.allSettled([this.a.hangUp(), this.b.hangUp()]);
      for (const r of results) if (r.status === 'rejected') this.log.warn({ err: (r.reason as Error).message }, 'link channel not hung up');
      this.lease.release();
    })();
    return this.#closing;
  }
}
