import type { MediaRelay } from '../../media/rtpengine';
import type { Call } from '../call';
import type { ContentHub } from '../content/content-hub';
import type { ContentLeg } from '../content/content-leg';
import type { SipDialog, SipRequest, SipResponse, SrfApp } from './srf-types';

/**
 * A browser's content session (docs/content-sharing.md): a second SIP session from the join page,
 * naming its call in `X-Content-Of`, with one video line. It becomes that call's content leg through
 * its own rtpengine session. Its direction is the floor request: sending (`sendonly`/`sendrecv`) asks
 * for the floor, `recvonly` watches; a re-INVITE changes it, and the session's end gives the floor up.
 */

/** Whether an offer sends video (a browser that shares its screen). */
export function sendsVideo(sdp: string): boolean {
  const video = sdp.split(/\r?\n(?=m=)/).find((s) => s.startsWith('m=video '));
  return !!video && !/^a=(recvonly|inactive)\b/m.test(video);
}

export class BrowserContentSession {
  #closing: Promise<void> | null = null;
  #dialog: SipDialog | null = null;

  private constructor(
    private readonly call: Call,
    private readonly hub: ContentHub,
    private readonly relay: MediaRelay,
    private readonly leg: ContentLeg,
  ) {}

  /**
   * Answers the INVITE: the content leg answers the browser's offer through rtpengine, joins the content
   * conference, and asks for the floor when the browser sends. Throws (the caller refuses with 488)
   * when FreeSWITCH or rtpengine refuse the offer; nothing is left then.
   */
  static async answer(srf: SrfApp, hub: ContentHub, call: Call, relay: MediaRelay, req: SipRequest, res: SipResponse): Promise<BrowserContentSession> {
    let leg: ContentLeg | null = null;
    try {
      leg = await hub.openLeg(call, await relay.offerToFreeswitch(req.body));
      const answer = await relay.answerToBrowser(leg.localSdp);
      const session = new BrowserContentSession(call, hub, relay, leg);
      call.attachContent(session);
      leg.onClosed(() => void session.close());
      const dialog = await srf.createUAS(req, res, { localSdp: answer });
      session.#attach(dialog);
      await hub.joinLeg(leg);
      if (sendsVideo(req.body)) await session.#request();
      else hub.release(call);
      return session;
    } catch (err) {
      await leg?.close();
      await relay.delete().catch(() => undefined);
      throw err;
    }
  }

  #attach(dialog: SipDialog): void {
    if (this.#closing) {
      void dialog.destroy().catch(() => undefined);
      return;
    }
    this.#dialog = dialog;
    dialog.once('destroy', () => {
      this.#dialog = null; // the browser sent BYE
      void this.close();
    });
    dialog.on('modify', (req, res) => void this.#reinvite(req, res));
  }

  async #request(): Promise<void> {
    const answer = await this.hub.request(this.call);
    this.call.log.info({ granted: answer.granted }, 'browser asks to present');
  }

  /** A re-INVITE: new media through the same relay, and the direction says whether the browser presents. */
  async #reinvite(req: SipRequest, res: SipResponse): Promise<void> {
    try {
      const fsAnswer = await this.leg.modify(await this.relay.reofferFromBrowser(req.body));
      res.send(200, { body: await this.relay.reanswerFromFreeswitch(fsAnswer) });
      if (sendsVideo(req.body)) await this.#request();
      else this.hub.release(this.call);
    } catch (err) {
      this.call.log.warn({ err: (err as Error).message }, 'content re-INVITE refused');
      res.send(488, 'Not Acceptable Here');
    }
  }

  /** Ends the session: BYE unless the browser ended it, the leg (which gives the floor up) and the relay. Twice is a no-op. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const dialog = this.#dialog;
      this.#dialog = null;
      await Promise.allSettled([dialog?.destroy(), this.leg.close()]);
      await this.relay.delete().catch((err: Error) => this.call.log.warn({ err: err.message }, 'content relay not deleted'));
    })();
    return this.#closing;
  }
}
