import type { CanvasLayout, ConferenceMember } from '../../src/media/freeswitch/conference';
import type {
  ConferenceControl,
  ConferenceSeat,
  EndpointEnd,
  JoinOptions,
  MediaEndpoint,
  MediaInfo,
  MediaLease,
  MediaPool,
  MemberChange,
  PlayCollectOptions,
  PlayCollectResult,
} from '../../src/media/freeswitch/media-endpoint';
import { seatedJoin } from '../../src/media/freeswitch/media-endpoint';
import type { MediaRelay, RelayKeys } from '../../src/media/rtpengine';
import { ZERO_COUNTERS, type MediaCounters, type RelayRtcp } from '../../src/media/quality/quality-math';

/**
 * In-memory media for unit tests: endpoints, leases and conferences that keep a log of what was done
 * to them, so a test can check an order of events and that nothing was left behind — no FreeSWITCH.
 */

/** A promise with its resolve exposed: a test holds a step back until it says so. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

let nextUuid = 1;

export class FakeEndpoint implements MediaEndpoint {
  readonly uuid = `fake-${nextUuid++}`;
  localSdp: string;
  /** Digits the caller "types" at each playCollect, in order; `undefined` entries wait for hang-up. */
  readonly entries: (string | undefined)[] = [];
  readonly played: (string | string[])[] = [];
  readonly infosToFreeswitch: MediaInfo[] = [];
  readonly vars: Record<string, string> = {};
  joinedAs: { meetingId: string; opts: JoinOptions; memberId: number } | null = null;
  /** Held back until opened: the conference is slow to take the call. */
  joinGate: Promise<void> | null = null;
  modified: string[] = [];
  hangUps = 0;
  /** What mediaStats reports; a test moves the counters on as "media flows". */
  counters: MediaCounters = { ...ZERO_COUNTERS };
  /** mediaStats calls, and those made after the endpoint was over. */
  statsReads = 0;
  statsReadsAfterEnd = 0;
  /** Over: hung up by us, or ended by FreeSWITCH. */
  ended: 'hung-up' | 'by-freeswitch' | null = null;
  #infoHandler: ((info: MediaInfo) => number) | null = null;
  #reinviteHandler: ((offer: string) => Promise<string>) | null = null;
  readonly #memberListeners: ((c: MemberChange) => void)[] = [];
  readonly #endedListeners = new Set<(how: EndpointEnd) => void>();

  constructor(
    private readonly media: FakeMedia,
    readonly remoteSdp: string | undefined,
    private readonly memberId: number,
    private readonly seat?: () => ConferenceSeat | undefined,
  ) {
    this.localSdp = fakeSdp(`fs-${this.uuid}`);
  }

  async modify(sdp: string): Promise<string> {
    this.#live('modify');
    this.modified.push(sdp);
    return this.localSdp;
  }

  async set(vars: Record<string, string>): Promise<void> {
    Object.assign(this.vars, vars);
  }

  async play(file: string | string[]): Promise<void> {
    this.#live('play');
    this.played.push(file);
  }

  async playCollect(opts: PlayCollectOptions): Promise<PlayCollectResult> {
    this.#live('playCollect');
    this.played.push(opts.file);
    const digits = this.entries.shift();
    if (digits === undefined) return new Promise<never>(() => undefined); // the caller types nothing
    return { digits };
  }

  async join(meetingId: string, asked: JoinOptions): Promise<number> {
    this.#live('join');
    if (this.joinGate) await this.joinGate;
    this.#live('join');
    const opts = seatedJoin(asked, this.seat);
    this.joinedAs = { meetingId, opts, memberId: this.memberId };
    this.media.log.push(`join ${this.uuid} ${meetingId}`);
    return this.memberId;
  }

  async info(contentType: string, body: string): Promise<void> {
    this.infosToFreeswitch.push({ contentType, body });
  }

  onInfo(handler: (info: MediaInfo) => number): void {
    this.#infoHandler = handler;
  }

  onReinvite(handler: (offer: string) => Promise<string>): void {
    this.#reinviteHandler = handler;
  }

  onMemberChange(listener: (change: MemberChange) => void): void {
    this.#memberListeners.push(listener);
  }

  onEnded(listener: (how: EndpointEnd) => void): () => void {
    this.#endedListeners.add(listener);
    return () => void this.#endedListeners.delete(listener);
  }

  async mediaStats(): Promise<MediaCounters | undefined> {
    this.statsReads++;
    if (this.ended) {
      this.statsReadsAfterEnd++;
      return undefined;
    }
    return { ...this.counters };
  }

  async hangUp(): Promise<void> {
    this.hangUps++;
    if (this.ended) return;
    this.ended = 'hung-up';
    this.media.log.push(`hangup ${this.uuid}`);
  }

  // What FreeSWITCH does, driven by the test.

  /** FreeSWITCH sends an INFO; resolves with the status the bridge answered. */
  infoFromFreeswitch(contentType: string, body: string): number | undefined {
    return this.#infoHandler?.({ contentType, body });
  }

  reinviteFromFreeswitch(offer: string): Promise<string> {
    if (!this.#reinviteHandler) return Promise.reject(new Error('no re-INVITE handler'));
    return this.#reinviteHandler(offer);
  }

  memberChange(change: MemberChange): void {
    for (const l of this.#memberListeners) l(change);
  }

  /** FreeSWITCH hangs the channel up (`lost`: its server died under it). */
  endFromFreeswitch(how: EndpointEnd = 'hangup'): void {
    if (this.ended) return;
    this.ended = 'by-freeswitch';
    this.media.log.push(`ended ${this.uuid}`);
    for (const l of [...this.#endedListeners]) l(how);
  }

  #live(what: string): void {
    if (this.ended) throw new Error(`${what} on an endpoint that is over`);
  }
}

export class FakeConference implements ConferenceControl {
  readonly members_ = new Map<string, Map<number, ConferenceMember>>();
  readonly commands: string[] = [];
  readonly killed: string[] = [];

  async members(meetingId: string): Promise<Map<number, ConferenceMember>> {
    return new Map(this.members_.get(meetingId) ?? []);
  }
  async mute(meetingId: string, memberId: number, muted: boolean): Promise<void> {
    this.commands.push(`${muted ? 'mute' : 'unmute'} ${meetingId} ${memberId}`);
  }
  async layout(meetingId: string, layout: CanvasLayout): Promise<void> {
    this.commands.push(`layout ${meetingId} ${layout}`);
  }
  async reserveContentSlot(meetingId: string, memberId: number): Promise<void> {
    this.commands.push(`content-slot ${meetingId} ${memberId}`);
  }
  async presenter(meetingId: string, memberId: number | null): Promise<void> {
    this.commands.push(`presenter ${meetingId} ${memberId ?? 'none'}`);
  }
  async floor(meetingId: string, memberId: number): Promise<void> {
    this.commands.push(`floor ${meetingId} ${memberId}`);
  }
  async watchCanvas(meetingId: string, canvas: number): Promise<void> {
    this.commands.push(`watch-canvas ${meetingId} ${canvas}`);
  }
  async play(meetingId: string, file: string): Promise<void> {
    this.commands.push(`play ${meetingId} ${file}`);
  }
  async playTo(meetingId: string, memberId: number, file: string): Promise<void> {
    this.commands.push(`play ${meetingId} ${file} to ${memberId}`);
  }
  async record(meetingId: string, file: string): Promise<void> {
    this.commands.push(`record ${meetingId} ${file}`);
    this.recording.add(file);
  }
  async stopRecording(meetingId: string, file: string): Promise<void> {
    this.commands.push(`norecord ${meetingId} ${file}`);
    this.recording.delete(file);
  }
  async recordings(): Promise<string[]> {
    return [...this.recording];
  }
  /** Files being recorded now. */
  readonly recording = new Set<string>();
  async killChannel(uuid: string): Promise<void> {
    this.killed.push(uuid);
  }
}

/** One or more fake media servers, their leases and every endpoint made on them. */
export class FakeMedia implements MediaPool {
  readonly endpoints: FakeEndpoint[] = [];
  readonly conference = new FakeConference();
  /** What happened, in order, across endpoints and leases (`lease fs1`, `release fs1`, `hangup fake-3`…). */
  readonly log: string[] = [];
  /** Servers that are up. */
  up: string[];
  /** Set: createEndpoint rejects with it (FreeSWITCH refuses the offer). */
  createError: Error | null = null;
  /** What callers type at each PIN prompt, copied into every new endpoint's `entries`. */
  typed: string[] = [];
  /** Set: createEndpoint waits for it (FreeSWITCH is slow). */
  createGate: Promise<void> | null = null;
  #active = 0;
  #nextMember = 1;

  constructor(servers: string[] = ['fs1']) {
    this.up = [...servers];
  }

  pick(prefer?: string): MediaLease | undefined {
    const id = prefer && this.up.includes(prefer) ? prefer : this.up[0];
    return id ? this.#lease(id) : undefined;
  }

  leaseOn(serverId: string): MediaLease | undefined {
    return this.up.includes(serverId) ? this.#lease(serverId) : undefined;
  }

  control(serverId: string): ConferenceControl | undefined {
    return this.up.includes(serverId) ? this.conference : undefined;
  }

  /** Leases not yet released. */
  leased(): number {
    return this.#active;
  }

  /** Endpoints neither hung up nor ended by FreeSWITCH. */
  liveEndpoints(): FakeEndpoint[] {
    return this.endpoints.filter((e) => !e.ended);
  }

  #lease(serverId: string): MediaLease {
    this.#active++;
    this.log.push(`lease ${serverId}`);
    let released = false;
    return {
      serverId,
      createEndpoint: async (opts = {}) => {
        if (this.createGate) await this.createGate;
        if (this.createError) throw this.createError;
        const ep = new FakeEndpoint(this, opts.remoteSdp, this.#nextMember++, opts.seat);
        ep.entries.push(...this.typed);
        this.endpoints.push(ep);
        this.log.push(`endpoint ${ep.uuid}`);
        return ep;
      },
      killChannel: (uuid) => this.conference.killChannel(uuid),
      serverDown: async () => !this.up.includes(serverId),
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        this.log.push(`release ${serverId}`);
      },
    };
  }
}

/** rtpengine for browser calls, in memory. */
export class FakeRelays {
  readonly relays: FakeRelay[] = [];
  constructor(private readonly log: string[] = []) {}
  pick(keys: RelayKeys): MediaRelay | undefined {
    const relay = new FakeRelay(keys, this.log);
    this.relays.push(relay);
    return relay;
  }
  /** Sessions not deleted. */
  live(): FakeRelay[] {
    return this.relays.filter((r) => !r.deleted);
  }
}

export class FakeRelay implements MediaRelay {
  readonly instance = 'rtpengine1';
  readonly toTag = undefined;
  deleted = 0;
  constructor(
    private readonly keys: RelayKeys,
    private readonly log: string[],
  ) {}
  get callId(): string {
    return this.keys.callId;
  }
  get fromTag(): string {
    return this.keys.fromTag;
  }
  offerToFreeswitch = async (sdp: string) => `${sdp}a=x-relayed:to-freeswitch\r\n`;
  answerToBrowser = async (sdp: string) => `${sdp}a=x-relayed:to-browser\r\n`;
  reofferFromBrowser = async (sdp: string) => sdp;
  reanswerFromFreeswitch = async (sdp: string) => sdp;
  reofferFromFreeswitch = async (sdp: string) => sdp;
  reanswerFromBrowser = async (sdp: string) => sdp;
  rtcpReport: RelayRtcp = { jitterMs: null, rttMs: null, lossPercent: null };
  async rtcp(): Promise<RelayRtcp> {
    return this.rtcpReport;
  }
  async delete(): Promise<void> {
    if (!this.deleted) this.log.push(`relay deleted ${this.keys.callId}`);
    this.deleted++;
  }
}

/** A minimal audio SDP (PCMU) from `origin`. */
export function fakeSdp(origin: string, extra = ''): string {
  return `v=0\r\no=${origin} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n${extra}`;
}
