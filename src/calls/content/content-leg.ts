import type { Logger } from '../../log';
import type { MediaEndpoint, MediaLease } from '../../media/freeswitch/media-endpoint';
import { CONTENT_PROFILE } from '../../media/freeswitch/conference';
import { KEYFRAME_MIN_INTERVAL_MS, rateGate, relayKeyframes, type KeyframeRelay } from '../keyframes';

/**
 * A call's second FreeSWITCH channel: video only, a member of the meeting's content conference, where
 * the presenter's content is forwarded to it (or, while it presents, from it). It belongs to its call
 * and closes with it (docs/teardown.md); FreeSWITCH hanging it up alone ends the content, not the call.
 */
export class ContentLeg {
  #memberId: number | null = null;
  #closing: Promise<void> | null = null;
  readonly #closed = new Set<() => void>();
  #toFarEnd: (() => void) | null = null;
  #wanted: (() => void) | null = null;
  readonly #gate = rateGate(KEYFRAME_MIN_INTERVAL_MS);

  constructor(
    readonly callId: string,
    readonly meetingId: string,
    private readonly lease: MediaLease,
    private readonly endpoint: MediaEndpoint,
    private readonly log: Logger,
  ) {
    endpoint.onEnded(() => void this.close());
  }

  /** FreeSWITCH's SDP for this leg: its answer to the leg's offer, or its offer when it had none. */
  get localSdp(): string {
    return this.endpoint.localSdp;
  }

  get serverId(): string {
    return this.lease.serverId;
  }

  /** Its member in the content conference; null until it joined. */
  get memberId(): number | null {
    return this.#memberId;
  }

  isClosed(): boolean {
    return this.#closing !== null;
  }

  /** A new remote SDP (the site's re-offer, or its answer to our offer when dialling out); resolves with FreeSWITCH's answer. */
  modify(sdp: string): Promise<string> {
    return this.endpoint.modify(sdp);
  }

  /**
   * Keyframe requests on this leg for a far end that asks out of band (SIP INFO picture_fast_update,
   * H.323 videoFastUpdatePicture): FreeSWITCH's go to `toFarEnd`, and the far end's go to FreeSWITCH
   * and to whoever listens with `onKeyframeWanted` (the hub, which asks the presenter: FreeSWITCH's
   * passthrough conference does not pass a member's request on, it only asks the floor holder every
   * few seconds on its own).
   */
  relayKeyframes(toFarEnd: () => void): KeyframeRelay {
    this.#toFarEnd = toFarEnd;
    const relay = relayKeyframes(this.endpoint, toFarEnd, this.log);
    return {
      toFreeswitch: () => {
        relay.toFreeswitch();
        this.#wanted?.();
      },
    };
  }

  /** The far end of this leg wants a keyframe of the content it receives. One listener. */
  onKeyframeWanted(listener: () => void): void {
    this.#wanted = listener;
  }

  /** Asks this leg's far end (a presenter) for a keyframe, at most once per KEYFRAME_MIN_INTERVAL_MS. */
  askFarEnd(): void {
    if (this.#toFarEnd && this.#gate()) this.#toFarEnd();
  }

  /** Joins the content conference; call it once the call is in the meeting. */
  async join(): Promise<number> {
    this.#memberId = await this.endpoint.join(this.meetingId, { profile: CONTENT_PROFILE, conference: 'content' });
    return this.#memberId;
  }

  /** Runs once the leg has closed, whoever closed it. */
  onClosed(listener: () => void): void {
    if (this.#closing) queueMicrotask(listener);
    else this.#closed.add(listener);
  }

  /** Hangs the channel up and releases the lease; twice is a no-op. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    // Listeners first: the floor is given up the moment the leg goes, not once FreeSWITCH confirms.
    const listeners = [...this.#closed];
    this.#closed.clear();
    this.#closing = (async () => {
      for (const l of listeners) l();
      try {
        await this.endpoint.hangUp();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'content leg not hung up');
      }
      this.lease.release();
    })();
    return this.#closing;
  }
}
