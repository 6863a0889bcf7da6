/**
 * An H323CallSink for the tests: records offers, hangups, slow-start channel reports and keyframe
 * requests, and answers as a test tells it to (by default with the address of an RTP peer standing
 * in for the SIP side).
 */
import type { H323CallAnswer, H323CallOffer, H323CallSink, H323HangupInfo, H323Media } from '../../../src/h323/call/sink';

export class TestSink implements H323CallSink {
  readonly offers: H323CallOffer[] = [];
  readonly hangups: { callId: string; info: H323HangupInfo }[] = [];
  readonly channels: { callId: string; media: H323Media }[] = [];
  readonly keyframes: string[] = [];
  private readonly offerWaiters: ((o: H323CallOffer) => void)[] = [];
  private readonly hangupWaiters: (() => void)[] = [];

  constructor(public answer: (o: H323CallOffer) => Promise<H323CallAnswer>) {}

  offer(call: H323CallOffer): Promise<H323CallAnswer> {
    this.offers.push(call);
    for (const w of this.offerWaiters.splice(0)) w(call);
    return this.answer(call);
  }

  hangup(callId: string, info: H323HangupInfo): void {
    this.hangups.push({ callId, info });
    for (const w of this.hangupWaiters.splice(0)) w();
  }

  channelsOpen(callId: string, media: H323Media): void {
    this.channels.push({ callId, media });
  }

  keyframeRequest(callId: string): void {
    this.keyframes.push(callId);
  }

  nextOffer(): Promise<H323CallOffer> {
    return new Promise((r) => this.offerWaiters.push(r));
  }

  async hangupOf(callId: string, timeoutMs = 5000): Promise<H323HangupInfo> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = this.hangups.find((x) => x.callId === callId);
      if (h) return h.info;
      if (Date.now() > deadline) throw new Error(`no hangup for ${callId}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.hangupWaiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }
}
