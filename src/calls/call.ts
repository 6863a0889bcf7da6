import type { Logger } from '../log';
import { withTimeout } from '../timeout';
import type { MediaEndpoint, MediaLease } from '../media/freeswitch/media-endpoint';
import type { MediaRelay } from '../media/rtpengine';
import type { EndReason, Participations } from '../meetings/participations';
import type { QualitySampler } from './quality-sampler';
import type { SipDialog } from './sip/srf-types';

const STEP_TIMEOUT_MS = 5000;
/** The last media sample must not hold the hang-up behind a slow FreeSWITCH. */
const LAST_SAMPLE_TIMEOUT_MS = 1000;
/** How long a channel whose socket closed waits to learn whether its server died with it. */
const SERVER_DOWN_GRACE_MS = 500;
/** RFC 3326 on the BYE of a call whose media server died: Q.850 41, temporary failure (worth calling again). */
const MEDIA_SERVER_LOST = 'Q.850;cause=41;text="media server lost"';

export type CallState = 'setup' | 'answered' | 'joined' | 'closed';

export interface CallInfo {
  callId: string;
  meetingId: string;
  siteId: string | null;
  displayName: string;
  source: string;
  moderator: boolean;
  protocol: 'sip' | 'h323' | 'webrtc';
  direction: 'in' | 'out';
}

/**
 * The caller's SIP dialog of a call taken over after a restart: drachtio-server still holds it, this
 * process knows its id alone (src/calls/sip/dialog-by-id.ts).
 */
export interface AdoptedDialog {
  readonly id: string;
  /** Sends the caller a BYE in it. */
  end(headers?: Record<string, string>): Promise<void>;
  /**
   * Asks the caller in the dialog (OPTIONS): false when it has no such dialog any more (481), does not
   * answer (408), or drachtio-server no longer holds the dialog.
   */
  alive(): Promise<boolean>;
}

export interface CallHooks {
  /** The caller is in the conference. */
  joined(call: Call): void;
  /** At the start of teardown: forget the call (room counts, roster). */
  closing(call: Call): void;
  /** After teardown, with the reason recorded. */
  ended(call: Call, reason: EndReason): void;
  /** A participation of a call that goes on: it moved to another media server and joined there again. */
  left(call: Call, participationId: string, reason: EndReason): void;
  /** Mute and talking changes reported by the conference. */
  changed(call: Call, change: { muted?: boolean; talking?: boolean }): void;
}

/**
 * One caller from INVITE to hang-up. It owns, in the order they are acquired, a media lease, a
 * FreeSWITCH endpoint, the SIP dialog and the participation row, and `close` releases all of them in
 * the order docs/teardown.md gives. Closing twice is a no-op; a failing step does not stop the rest.
 */
export class Call {
  #state: CallState = 'setup';
  #lease: MediaLease | null = null;
  #endpoint: MediaEndpoint | null = null;
  #dialog: SipDialog | null = null;
  #participationId: string | null = null;
  #relay: MediaRelay | null = null;
  #sampler: QualitySampler | null = null;
  /** Its content leg and BFCP user (docs/content-sharing.md): closed with the call. */
  #content: { close(): Promise<void> }[] = [];
  /** Set for a call a previous process left running in FreeSWITCH: its channel, by uuid. */
  #adoptedChannel: string | null = null;
  /** And its dialog with its caller, by drachtio-server's id, when it is a SIP one. */
  #adoptedDialog: AdoptedDialog | null = null;
  #closing: Promise<void> | null = null;
  /** Stops listening for the endpoint's end: a call that moves must not hear its dead endpoint any more. */
  #stopWatching: (() => void) | null = null;
  /** Set by the ingress for a call that can keep its dialog when its media server dies. */
  #mover: ((call: Call) => Promise<void>) | null = null;
  #moving: Promise<void> | null = null;
  /** The participation on the server that died, announced as left when the call joins again. */
  #replaced: string | null = null;
  readonly #ended = new AbortController();
  readonly log: Logger;
  memberId: number | null = null;
  joinedAt: Date | null = null;
  muted = false;
  talking = false;
  codecs: { audio: string | null; video: string | null } = { audio: null, video: null };

  constructor(
    readonly info: CallInfo,
    private readonly participations: Pick<Participations, 'close'>,
    log: Logger,
    private readonly hooks: CallHooks,
  ) {
    // The caller's log already carries the Call-ID and meeting id.
    this.log = log;
  }

  get state(): CallState {
    return this.#state;
  }

  /** Aborts when the call closes, so a step in progress (the PIN prompt) stops at once. */
  get signal(): AbortSignal {
    return this.#ended.signal;
  }

  /** A method, not a getter, so that checks between awaits are not narrowed away by the compiler. */
  isClosed(): boolean {
    return this.#state === 'closed';
  }

  get endpoint(): MediaEndpoint | null {
    return this.#endpoint;
  }

  get participationId(): string | null {
    return this.#participationId;
  }

  get mediaServer(): string | null {
    return this.#lease?.serverId ?? null;
  }

  /** The endpoint is ours from here on; if FreeSWITCH hangs it up, the call ends. */
  attachMedia(lease: MediaLease, endpoint: MediaEndpoint): void {
    if (this.#state === 'closed') {
      // Arrived after the teardown (a CANCEL while FreeSWITCH was slow): release it at once.
      lease.release();
      void endpoint.hangUp().catch((err: Error) => this.log.warn({ err: err.message }, 'late endpoint not hung up'));
      return;
    }
    this.#lease = lease;
    this.#endpoint = endpoint;
    this.#stopWatching = endpoint.onEnded((how) => {
      if (this.#endpoint !== endpoint) return; // an endpoint the call has already let go of
      this.#endpoint = null; // FreeSWITCH already hung up: nothing to destroy there
      // A channel whose socket just closed was killed, or its server died: a dead server's own socket closes too.
      if (how !== 'gone') void (how === 'lost' ? this.mediaLost(lease.serverId) : this.close('bridge-hangup'));
      else
        void lease.serverDown(SERVER_DOWN_GRACE_MS).then((down) => {
          if (this.#lease !== lease) return; // moved to another server meanwhile
          void (down ? this.mediaLost(lease.serverId) : this.close('bridge-hangup'));
        });
    });
  }

  /**
   * How this call keeps its dialog when its media server dies: `move` gives it media on a server
   * that is left and joins it again (docs/scale.md, "Failover"). Without one, such a call ends
   * `media-server-lost` and the dialer calls its site back.
   */
  movable(move: (call: Call) => Promise<void>): void {
    this.#mover = move;
  }

  /**
   * Media server `serverId` died. A joined call on it with a way to move closes its participation
   * there and moves; any other, or one whose move fails, ends `media-server-lost`. Told again — during
   * the move, or about a server the call has left — it does nothing more.
   */
  mediaLost(serverId: string): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#moving) return this.#moving;
    if (this.mediaServer !== serverId) return Promise.resolve();
    const mover = this.#mover;
    if (!mover || this.#state !== 'joined' || !this.#dialog) return this.close('media-server-lost');
    this.#moving = this.#move(mover).finally(() => {
      this.#moving = null;
    });
    return this.#moving;
  }

  #unwatch(): void {
    this.#stopWatching?.();
    this.#stopWatching = null;
  }

  async #move(mover: (call: Call) => Promise<void>): Promise<void> {
    const participation = this.#participationId;
    this.log.warn({ mediaServer: this.mediaServer }, 'media server lost: moving the call to a server that is left');
    // What the dead server held is gone with it: nothing to hang up there, nothing to sample.
    this.#unwatch();
    this.#sampler?.abandon();
    this.#sampler = null;
    this.#endpoint = null;
    this.#lease?.release();
    this.#lease = null;
    const content = this.#content;
    this.#content = [];
    await Promise.all(content.map((part) => part.close().catch((err: Error) => this.log.warn({ err: err.message }, 'content part not closed'))));
    this.#state = 'answered';
    this.#participationId = null;
    this.memberId = null;
    this.talking = false;
    this.#replaced = participation;
    if (participation) {
      await this.participations
        .close(participation, 'media-server-lost')
        .catch((err: Error) => this.log.warn({ err: err.message }, 'participation not closed'));
    }
    try {
      if (this.isClosed()) return;
      await mover(this);
      if (!this.isClosed()) this.log.info({ mediaServer: this.mediaServer, memberId: this.memberId }, 'call moved to another media server');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'call not moved: ending it');
      // The teardown leaves a lost server's endpoint alone; one the move made on a live server must go.
      const fresh = this.endpoint; // the getter: the field was narrowed to null above
      this.#unwatch();
      this.#endpoint = null;
      await fresh?.hangUp().catch((e: Error) => this.log.warn({ err: e.message }, 'endpoint of the failed move not hung up'));
      await this.close('media-server-lost');
    }
  }

  /**
   * Takes over a call a previous process left in a FreeSWITCH conference (found by its member). There
   * is no dialog or endpoint object: closing kills the FreeSWITCH channel and sends the caller a BYE
   * in `dialog`, its SIP dialog by id (an H.323 call has none: the gateway's connection went with the
   * previous process).
   */
  adopt(
    lease: MediaLease,
    channelUuid: string,
    member: { participationId: string; memberId: number; joinedAt: Date; muted: boolean },
    dialog: AdoptedDialog | null = null,
  ): void {
    this.#lease = lease;
    this.#adoptedChannel = channelUuid;
    this.#adoptedDialog = dialog;
    this.#participationId = member.participationId;
    this.#state = 'joined';
    this.memberId = member.memberId;
    this.joinedAt = member.joinedAt;
    this.muted = member.muted;
  }

  get adopted(): boolean {
    return this.#adoptedChannel !== null;
  }

  /** drachtio-server's id of the caller's SIP dialog, while there is one. */
  get sipDialogId(): string | null {
    return this.#dialog?.id ?? this.#adoptedDialog?.id ?? null;
  }

  /**
   * A call taken over is asked whether its caller is still in the dialog. The caller's BYE never
   * reaches this process: drachtio-server answers it itself when the process that owned the dialog is
   * gone, and forgets the dialog. Without asking, its FreeSWITCH channel would wait for the RTP
   * timeout (5 minutes) and the roster would show it all that time.
   */
  async checkCaller(): Promise<void> {
    const dialog = this.#adoptedDialog;
    if (!dialog || this.#closing) return;
    // A failure to ask (drachtio-server unreachable for a moment) says nothing of the caller.
    const alive = await dialog.alive().catch(() => true);
    if (alive || this.#adoptedDialog !== dialog) return;
    this.#adoptedDialog = null; // nothing left to send a BYE in
    this.log.info({ dialog: dialog.id }, 'the caller of a call taken over has left');
    await this.close('caller-hangup');
  }

  /** The rtpengine session of a browser call; deleted with the call. */
  attachRelay(relay: MediaRelay): void {
    if (this.#state === 'closed') {
      void relay.delete().catch((err: Error) => this.log.warn({ err: err.message }, 'late relay not deleted'));
      return;
    }
    this.#relay = relay;
  }

  get relay(): MediaRelay | null {
    return this.#relay;
  }

  /** Samples the call's media from now on; its last sample is taken as the call ends. */
  attachSampler(sampler: QualitySampler): void {
    if (this.#state === 'closed') {
      void sampler.finish();
      return;
    }
    this.#sampler = sampler;
  }

  /** A content leg or BFCP user of the call; it closes with the call, alongside the main endpoint. */
  attachContent(part: { close(): Promise<void> }): void {
    if (this.#state === 'closed') {
      void part.close().catch((err: Error) => this.log.warn({ err: err.message }, 'late content part not closed'));
      return;
    }
    this.#content.push(part);
  }

  /** The call's latest media quality sample; null before the first or without a sampler. */
  get quality(): QualitySampler['latest'] {
    return this.#sampler?.latest ?? null;
  }

  /** The caller's dialog; a BYE from the caller ends the call. */
  attachDialog(dialog: SipDialog): void {
    if (this.#state === 'closed') {
      void dialog.destroy().catch((err: Error) => this.log.warn({ err: err.message }, 'late dialog not ended'));
      return;
    }
    this.#dialog = dialog;
    this.#state = 'answered';
    dialog.once('destroy', () => {
      this.#dialog = null; // the caller hung up: no BYE to send
      void this.close('caller-hangup');
    });
  }

  /** In the conference as `memberId`, recorded as `participationId`; follows the member's mute and talk events. */
  joined(participationId: string, memberId: number, muted: boolean): void {
    this.#participationId = participationId;
    // The caller may have gone while the row was written: the call stays closed, and the caller of
    // joined() closes the row (the teardown ran before it existed).
    if (this.#state === 'closed') return;
    this.#state = 'joined';
    this.memberId = memberId;
    this.muted = muted;
    this.joinedAt = new Date();
    const replaced = this.#replaced;
    this.#replaced = null;
    if (replaced) this.hooks.left(this, replaced, 'media-server-lost');
    this.hooks.joined(this);
    this.#endpoint?.onMemberChange((change) => {
      if (change.talking !== undefined) {
        this.talking = change.talking;
        this.hooks.changed(this, { talking: this.talking });
      }
      if (change.muted !== undefined) {
        this.muted = change.muted;
        this.hooks.changed(this, { muted: this.muted });
      }
    });
  }

  /**
   * A restart leaves the call running for the next process (docs/teardown.md, "Restarts"): from here
   * nothing this process still hears — a channel's socket closing, a late BYE — ends the call or
   * writes its row; the next process owns both. A later `close` is a no-op.
   */
  detach(): void {
    if (this.#closing) return;
    this.#state = 'closed';
    this.#closing = Promise.resolve();
    this.#ended.abort();
    this.#sampler?.abandon();
    this.#sampler = null;
  }

  /** Tears everything down once; later calls wait for the same teardown. */
  close(reason: EndReason): Promise<void> {
    this.#closing ??= this.#teardown(reason);
    return this.#closing;
  }

  async #teardown(reason: EndReason): Promise<void> {
    const was = this.#state;
    this.#state = 'closed';
    // Ended while moving: the participation on the dead server is the one to announce as left.
    this.#participationId ??= this.#replaced;
    this.#replaced = null;
    this.#ended.abort();
    this.hooks.closing(this);
    const step = async (what: string, fn: () => Promise<unknown> | undefined) => {
      try {
        // A peer that never answers our BYE must not hold the rest of the teardown.
        await withTimeout(Promise.resolve().then(fn), STEP_TIMEOUT_MS, `no answer within ${STEP_TIMEOUT_MS} ms`);
      } catch (err) {
        this.log.warn({ err: (err as Error).message, step: what }, 'teardown step failed');
      }
    };
    // The last sample first: FreeSWITCH forgets the channel's counters once it is hung up. A server
    // that is gone has none to give: waiting for them would only delay the call back.
    const serverLost = reason === 'media-server-lost';
    const sampler = this.#sampler;
    if (sampler && serverLost) sampler.abandon();
    else if (sampler) await step('quality', () => withTimeout(sampler.finish(), LAST_SAMPLE_TIMEOUT_MS, `no last sample within ${LAST_SAMPLE_TIMEOUT_MS} ms`));
    const dialog = this.#dialog;
    const adoptedDialog = this.#adoptedDialog;
    const endpoint = this.#endpoint;
    this.#dialog = null;
    this.#adoptedDialog = null;
    this.#endpoint = null;
    const lease = this.#lease;
    const adopted = this.#adoptedChannel;
    const content = this.#content;
    this.#content = [];
    await Promise.all([
      ...content.map((part) => step('content', () => part.close())),
      step('dialog', () => dialog?.destroy(serverLost ? { headers: { Reason: MEDIA_SERVER_LOST } } : undefined)),
      step('dialog', () => adoptedDialog?.end(serverLost ? { Reason: MEDIA_SERVER_LOST } : undefined)),
      // hangUp kills the channel itself if an orderly hang-up is stuck. A lost server is not asked:
      // a frozen one would hold the call back for the step's 5 s, and its channels end on their own
      // (RTP timeout) if it ever comes back.
      step('endpoint', () => (serverLost ? undefined : endpoint?.hangUp())),
      step('channel', () => (adopted && lease && !serverLost ? lease.killChannel(adopted) : undefined)),
    ]);
    this.#lease?.release();
    const relay = this.#relay;
    if (relay) await step('relay', () => relay.delete());
    const participation = this.#participationId;
    if (participation) await step('participation', () => this.participations.close(participation, reason));
    this.log.info({ reason, was }, 'call ended');
    this.hooks.ended(this, reason);
  }
}
