/**
 * The presentation token of one H.323 call, held by the bridge as the MCU (H.239 §7.2): the
 * endpoint asks for it (presentationTokenRequest), the meeting's floor decides, and the answer
 * (presentationTokenResponse) acknowledges or rejects. A request the floor queues is answered
 * when the floor arrives (acknowledge) or is given up (reject). When the floor moves away the
 * former holder gets presentationTokenRelease; its own release gives the floor back.
 * Pure: no I/O, every message to send is returned.
 */
import type { H239Message } from '../messages/h239';

/** The meeting's floor, as this call sees it. */
export interface TokenFloor {
  /** The endpoint asks to present: granted now, refused, or waiting in the floor's queue. */
  request(): 'granted' | 'refused' | 'queued';
  /** The endpoint stops presenting, or gives up waiting. */
  release(): void;
}

/**
 * The terminal label the bridge uses for itself (as the owner of whatever it sends a terminal):
 * the bridge numbers no terminals over H.245, so every label it speaks for is this one.
 */
export const BRIDGE_TERMINAL_LABEL = 0;

type Asker = { readonly terminalLabel: number; readonly channelId: number };

export class PresentationToken {
  private state: { readonly kind: 'idle' } | { readonly kind: 'queued' | 'held'; readonly by: Asker } = { kind: 'idle' };

  constructor(private readonly floor: TokenFloor) {}

  /** The endpoint holds the token (it may present). */
  get held(): boolean {
    return this.state.kind === 'held';
  }

  /** An H.239 message from the endpoint: the answer to send, if any. */
  receive(msg: H239Message): H239Message | undefined {
    switch (msg.type) {
      case 'presentationTokenRequest':
        return this.onRequest({ terminalLabel: msg.terminalLabel, channelId: msg.channelId });
      case 'presentationTokenRelease':
        if (this.state.kind !== 'idle') {
          this.state = { kind: 'idle' };
          this.floor.release();
        }
        return undefined;
      case 'flowControlReleaseRequest':
        // Content goes out at the rate the receivers' lines take; nobody's limit is lifted.
        return { type: 'flowControlReleaseResponse', acknowledge: false, channelId: msg.channelId };
      default:
        // Answers to requests the bridge never makes, and owner indications (only the MCU's count).
        return undefined;
    }
  }

  /** The floor came to this call (a queued request's turn): the late acknowledge, if one is owed. */
  granted(): H239Message | undefined {
    if (this.state.kind !== 'queued') return undefined;
    const by = this.state.by;
    this.state = { kind: 'held', by };
    return { type: 'presentationTokenResponse', acknowledge: true, ...by };
  }

  /**
   * The floor is no longer this call's (someone took over, the operator stopped it, the meeting
   * ends): presentationTokenRelease to a holder, the reject a waiting request is owed.
   */
  revoke(): H239Message | undefined {
    const s = this.state;
    this.state = { kind: 'idle' };
    if (s.kind === 'held') return { type: 'presentationTokenRelease', ...s.by };
    if (s.kind === 'queued') return { type: 'presentationTokenResponse', acknowledge: false, ...s.by };
    return undefined;
  }

  /** Tells the endpoint that the token is the bridge's: it sends someone else's content on `channelId`. */
  static indicateOwner(channelId: number): H239Message {
    return { type: 'presentationTokenIndicateOwner', terminalLabel: BRIDGE_TERMINAL_LABEL, channelId };
  }

  private onRequest(by: Asker): H239Message | undefined {
    if (this.state.kind === 'held') return { type: 'presentationTokenResponse', acknowledge: true, ...by };
    const answer = this.floor.request();
    if (answer === 'queued') {
      this.state = { kind: 'queued', by };
      // Answered when it leaves the queue (granted / revoke): H.239 sets the terminal no deadline.
      return undefined;
    }
    this.state = answer === 'granted' ? { kind: 'held', by } : { kind: 'idle' };
    return { type: 'presentationTokenResponse', acknowledge: answer === 'granted', ...by };
  }
}
