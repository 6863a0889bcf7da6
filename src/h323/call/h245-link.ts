/**
 * A call's H.245 control link: the H245Session and how its PDUs travel, either tunnelled in
 * H.225 messages (H.323 8.2.1) or on a separate TCP channel the endpoint listens on.
 *
 * Tunnelled PDUs wait in a queue: the next call-signalling message we send carries them
 * (takeTunnelled), and if none is due in this turn of the event loop a Facility does
 * (sendFacility), but only once CallProceeding is out, since nothing may precede it.
 */
import type { Logger } from '../../log';
import type { IpPort } from '../messages/common';
import { H245Channel } from './h245-channel';
import { H245Session, type H245StartOptions } from './h245-session';
import type { LogicalChannelHooks } from './logical-channels';
import type { PresentationHooks } from './presentation';
import type { ContentReceive, H323CallContent, ReceiveOffer } from './sink';

export interface H245LinkHooks {
  log(): Logger;
  keyframeRequest(): void;
  /** Sends a Facility carrying these tunnelled PDUs (if the call is still up). */
  sendFacility(control: Uint8Array[]): void;
}

export class H245Link {
  private session: H245Session | undefined;
  private channel: H245Channel | undefined;
  private readonly queue: Uint8Array[] = [];
  private facilityAllowed = false;
  private flush: NodeJS.Immediate | undefined;

  constructor(private readonly hooks: H245LinkHooks) {}

  get active(): boolean {
    return this.session !== undefined;
  }

  /**
   * Tunnelling: handles the PDUs the Setup carried, then opens our side (TCS + MSD; an incoming
   * call sends its TCS later, once the sink has answered: advertise or openChannels).
   */
  startTunnel(initial: readonly Uint8Array[], o: H245StartOptions = { capabilities: true }): void {
    if (this.session) return;
    this.session = this.newSession((pdus) => this.enqueue(pdus));
    this.receiveTunnelled(initial);
    this.session.start(o);
  }

  /**
   * No tunnelling, and the endpoint listens for H.245 at `to`: connect. Only to the host the call
   * came from (`callerIp`), so a Setup cannot make the gateway open connections elsewhere.
   */
  openChannel(to: IpPort | undefined, callerIp: string, o: H245StartOptions = { capabilities: true }): void {
    if (!to || this.session) return;
    if (to.ip !== callerIp.replace(/^::ffff:/, '')) {
      this.hooks.log().info({ h245Address: to }, 'H.245: address on another host than the call; not connecting');
      return;
    }
    const channel = new H245Channel(to, (pdu) => this.session?.receive(pdu), this.hooks.log());
    this.channel = channel;
    this.session = this.newSession((pdus) => channel.send(pdus));
    this.session.start(o);
  }

  /** Fast start, answered: our capability set, video held to the site's limit (H245Session.advertise). */
  advertise(videoMaxBitRate100bps: number | undefined): void {
    this.session?.advertise(videoMaxBitRate100bps);
  }

  /** Slow start: logical channels over this link (false when there is no H.245 session). */
  openChannels(receive: ReceiveOffer, hooks: Omit<LogicalChannelHooks, 'send'>): boolean {
    if (!this.session) return false;
    this.session.openChannels(receive, hooks);
    return true;
  }

  /** H.239 on this call (H245Session.enableContent); undefined when there is no H.245 session. */
  enableContent(receive: ContentReceive, hooks: Omit<PresentationHooks, 'send' | 'masterSlave'>): H323CallContent | undefined {
    const session = this.session;
    if (!session) return undefined;
    session.enableContent(receive, hooks);
    return {
      send: () => session.sendContent(),
      stop: () => session.stopContent(),
      grantToken: () => session.grantToken(),
      revokeToken: () => session.revokeToken(),
      requestKeyframe: () => session.requestContentKeyframe(),
    };
  }

  /** Slow start: the channel the endpoint sends video on. */
  get videoFromEndpoint(): number | undefined {
    return this.session?.videoFromEndpoint;
  }

  receiveTunnelled(pdus: readonly Uint8Array[]): void {
    if (this.channel) return;
    for (const p of pdus) this.session?.receive(p);
  }

  /** The PDUs waiting for a ride in the message about to be sent. */
  takeTunnelled(): Uint8Array[] {
    return this.queue.splice(0);
  }

  /** CallProceeding is out: queued PDUs may now travel in a Facility of their own. */
  allowFacility(): void {
    this.facilityAllowed = true;
    if (this.queue.length) this.scheduleFlush();
  }

  requestKeyframe(channel: number): boolean {
    if (!this.session) return false;
    this.session.requestKeyframe(channel);
    return true;
  }

  /** The call is over: a separate channel gets endSessionCommand and is closed (H.323 8.5). */
  end(): void {
    this.cancelFlush();
    this.session?.close();
    if (this.channel) {
      this.session?.endSession();
      this.channel.close();
    }
  }

  destroy(): void {
    this.cancelFlush();
    this.session?.close();
    this.channel?.destroy();
  }

  private newSession(send: (pdus: readonly Uint8Array[]) => void): H245Session {
    return new H245Session(
      send,
      {
        keyframeRequest: () => this.hooks.keyframeRequest(),
        endSession: () => this.session?.endSession(),
      },
      this.hooks.log(),
    );
  }

  private enqueue(pdus: readonly Uint8Array[]): void {
    this.queue.push(...pdus);
    if (this.facilityAllowed) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flush) return;
    this.flush = setImmediate(() => {
      this.flush = undefined;
      const control = this.takeTunnelled();
      if (control.length) this.hooks.sendFacility(control);
    });
  }

  private cancelFlush(): void {
    if (this.flush) clearImmediate(this.flush);
    this.flush = undefined;
  }
}
