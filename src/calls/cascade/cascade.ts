import type { Logger } from '../../log';
import { onRelease, seatedLease, type ConferenceSeat, type MediaLease, type MediaPool } from '../../media/freeswitch/media-endpoint';
import type { CallRegistry } from '../call-registry';
import { ConferenceLink } from '../content/conference-link';
import type { LinkRecord, LinkRecords } from './link-records';
import { placeSite } from './placement';

/** Where a new call of a meeting gets its media: a lease on the node it goes to. */
export interface CallPlacement {
  /**
   * A lease for the meeting's next call; undefined when no node can take it (the caller answers 503).
   * `region`: the site's, from the directory (a cascade prefers nodes of that region).
   */
  place(meetingId: string, region?: string | null): MediaLease | undefined;
  /** A lease for a call a previous process left on `serverId`, taken over; undefined when that server is not up. */
  adopt(meetingId: string, serverId: string): MediaLease | undefined;
  /**
   * A node went down with its calls (docs/scale.md, "Failover"): meetings stop counting on it, before
   * its sites are called back, so that they land together on the nodes that are left.
   */
  nodeDown(serverId: string): void;
}

/** The media servers as the cascade needs them. */
export interface CascadeMedia extends Pick<MediaPool, 'leaseOn' | 'control'> {
  /** Ids of the servers that are up now. */
  upServerIds(): string[];
}

export interface CascadeDeps {
  media: CascadeMedia;
  calls: Pick<CallRegistry, 'setPrimary'>;
  /** Where open links are written down for the next process (a restart, a standby taking over). */
  records: LinkRecords;
  /** Sites one node carries, every meeting's together (FREESWITCH_MAX_MEMBERS, > 0). */
  maxMembers: number;
  /** Each node's region (FREESWITCH_REGIONS); a node not named has none. */
  regions?: ReadonlyMap<string, string>;
  /** The conference profile the meeting mixes in on its primary node. */
  profile: string;
  /**
   * The profile of its conferences on secondary nodes: with video, two canvases (docs/scale.md,
   * "Video"), the first for the node's sites, sent to the primary, the second for the primary's
   * picture alone, which the node's sites watch.
   */
  secondaryProfile: string;
  log: Logger;
}

/** A secondary's canvases (1-based): its own sites', sent up the link, and the primary's picture, which they watch. */
const SITES_CANVAS = 1;
const PRIMARY_CANVAS = 2;

/** A link that fails to open or breaks is tried again this often at most, then the node stays cut off. */
const MAX_RELINKS = 3;
/** And this long after the failure: a node refusing at once must not be asked in a loop. */
const RELINK_DELAY_MS = 500;

/** A node the meeting spread to, and the link from its conference to the primary's. */
interface Secondary {
  readonly node: string;
  link: ConferenceLink | null;
  /** Resolves once the link is open (or failed to). */
  opening: Promise<void>;
  closed: boolean;
  relinks: number;
  /** No more tries: the node's sites see and hear each other only. */
  cutOff: boolean;
  /** The next try, after a failure; cleared when the node is unlinked. */
  retry: NodeJS.Timeout | null;
  /** How long the last link took to open. */
  openedInMs: number | null;
  /** A link a previous process left, waiting for both its nodes' calls to be taken over. */
  pending: LinkRecord | null;
  /** The link is a previous process's: FreeSWITCH reports nothing of it, so it is looked for (`checkAdopted`). */
  adopted: boolean;
  /**
   * Channel A of the record this node's link last wrote (or was restored from): closing deletes that
   * record only, not one a newer link of the node (after a failover, to a new primary) wrote meanwhile.
   */
  written: string | null;
}

interface MeetingCascade {
  readonly meetingId: string;
  /** Null after the primary was lost with no secondary to take over: the next site picks one. */
  primary: string | null;
  readonly secondaries: Map<string, Secondary>;
  /** This meeting's sites by node. */
  readonly sites: Map<string, number>;
}

/** One linked node of a meeting, as the cascade reports it. */
export interface LinkedNode {
  node: string;
  /** The link's channels (A on the node, B on the primary); null while it opens or when it failed. */
  channels: [string, string] | null;
  openedInMs: number | null;
}

/**
 * Spreads a meeting over several FreeSWITCH nodes when one is not enough (docs/scale.md): the meeting's
 * first site picks its primary node; once that node carries `maxMembers` sites, the next go to a
 * secondary node whose conference is linked to the primary's (a ConferenceLink whose two channels are
 * on the two nodes). The link closes when its node has no site of the meeting left, or the meeting ends.
 * Open links are written down (LinkRecords): after a restart or a take-over the next process counts the
 * calls it takes over (`adopt`) and takes over the links whose two channels are still in their
 * conferences (`restore`, `recovered`); a link that lost a channel meanwhile is killed and opened anew.
 */
export class Cascade implements CallPlacement {
  /** Sites by node, every meeting's. */
  readonly #load = new Map<string, number>();
  readonly #meetings = new Map<string, MeetingCascade>();
  /** Links still closing, by meeting (also of a meeting already forgotten). */
  readonly #closing = new Map<string, Set<Promise<void>>>();
  /** Nodes whose calls from before this process are taken over. */
  readonly #recovered = new Set<string>();
  #closed = false;
  /** Stopping for a restart: links, and links being taken over, are left to the next process. */
  #leaving = false;

  /** A secondary profile of its own is the two-canvas one; the same profile (audio) has no canvas at all. */
  readonly #twoCanvases: boolean;

  constructor(private readonly deps: CascadeDeps) {
    this.#twoCanvases = deps.secondaryProfile !== deps.profile;
  }

  place(meetingId: string, region: string | null = null): MediaLease | undefined {
    if (this.#closed) return undefined;
    const known = this.#meetings.get(meetingId);
    const up = this.deps.media.upServerIds().map((id) => ({ id, sites: this.#load.get(id) ?? 0, region: this.deps.regions?.get(id) ?? null }));
    const choice = placeSite({ primary: known?.primary ?? null, secondaries: known ? [...known.secondaries.keys()] : [] }, up, this.deps.maxMembers, region);
    if (!choice) return undefined;
    const lease = this.deps.media.leaseOn(choice.node);
    if (!lease) return undefined;
    const m = this.#meeting(meetingId);
    this.#setPrimary(m, choice.node);
    if (choice.role === 'secondary' && choice.link) this.#link(m, choice.node);
    this.#count(m, choice.node, +1);
    return this.#counted(m, lease);
  }

  /**
   * A call the previous process left on `node`, taken over: counted as a placed one. A meeting not
   * known yet (no link written down) gets this node as its primary; a site on another node that has no
   * link (it was opening when the process went) gets one.
   */
  adopt(meetingId: string, node: string): MediaLease | undefined {
    const lease = this.#closed ? undefined : this.deps.media.leaseOn(node);
    if (!lease) return undefined;
    const m = this.#meeting(meetingId);
    this.#setPrimary(m, node);
    if (node !== m.primary && !m.secondaries.has(node)) this.#link(m, node);
    this.#count(m, node, +1);
    return this.#counted(m, lease);
  }

  /**
   * The links a previous process left (LinkRecords.all), before any server comes up: their meetings
   * keep their primary, and each link waits until both its nodes' calls are taken over (`recovered`).
   */
  restore(links: readonly LinkRecord[]): void {
    for (const r of links) {
      const m = this.#meeting(r.meetingId);
      this.#setPrimary(m, r.primary);
      m.secondaries.set(r.secondary, { ...this.#secondary(r.secondary), pending: r, written: r.channels[0] });
    }
  }

  /** Every call `node` had from before this process is taken over: links with both nodes done are next. */
  recovered(node: string): void {
    this.#recovered.add(node);
    this.#takeOverLinks((r) => this.#recovered.has(r.primary) && this.#recovered.has(r.secondary));
  }

  /** Recovery is over (every server came up, or the wait for them ran out): links still waiting are judged now. */
  settle(): void {
    this.#takeOverLinks(() => true);
  }

  /** Links taken over are looked for now and then: one whose channel went is opened anew. */
  async checkAdopted(): Promise<void> {
    for (const m of [...this.#meetings.values()]) {
      for (const s of [...m.secondaries.values()]) {
        const link = s.link;
        if (!s.adopted || !link || s.closed) continue;
        const [a, b] = link.channels;
        const both = (await this.#member(s.node, m.meetingId, a)) && m.primary !== null && (await this.#member(m.primary, m.meetingId, b));
        if (both || s.link !== link || s.closed) continue;
        s.link = null;
        s.adopted = false;
        void link.close();
        const log = this.deps.log.child({ meetingId: m.meetingId, primary: m.primary, node: s.node, link: 'cascade' });
        log.warn('link taken over is broken');
        this.#retry(m, s, log);
      }
    }
  }

  nodeDown(node: string): void {
    for (const m of this.#meetings.values()) {
      if (m.primary === node) this.#promote(m);
      else this.#unlink(m, node);
    }
  }

  /**
   * The meeting's primary is gone. The secondary carrying most of its sites becomes the primary (the
   * fewest sites change node) and the other secondaries are linked to it; with no secondary, the
   * meeting's next site picks a primary afresh. Every old link went to the dead node: all are closed.
   */
  #promote(m: MeetingCascade): void {
    const up = new Set(this.deps.media.upServerIds());
    const survivors = [...m.secondaries.keys()];
    for (const node of survivors) this.#unlink(m, node);
    const next = survivors.filter((n) => up.has(n)).sort((a, b) => (m.sites.get(b) ?? 0) - (m.sites.get(a) ?? 0))[0] ?? null;
    this.deps.log.warn({ meetingId: m.meetingId, lost: m.primary, primary: next }, 'primary node lost');
    m.primary = next;
    this.deps.calls.setPrimary(m.meetingId, next);
    // Its sites watched the old primary's picture, which is gone: they see its own canvas now, where
    // the other secondaries' links join.
    if (next) this.#watch(m, next, SITES_CANVAS);
    if (next) for (const node of survivors) if (node !== next && up.has(node) && m.sites.get(node)) this.#link(m, node);
  }

  /** The meeting's primary node and its linked nodes; null when the cascade does not carry it. */
  nodesOf(meetingId: string): { primary: string | null; linked: LinkedNode[] } | null {
    const m = this.#meetings.get(meetingId);
    if (!m) return null;
    return {
      primary: m.primary,
      linked: [...m.secondaries.values()].map((s) => ({ node: s.node, channels: s.link?.channels ?? null, openedInMs: s.openedInMs })),
    };
  }

  /** The member on the meeting's primary that brings `node`'s sites in: its link's B; null while unlinked. */
  linkMemberOf(meetingId: string, node: string): number | null {
    return this.#meetings.get(meetingId)?.secondaries.get(node)?.link?.memberB ?? null;
  }

  /** Resolves once every link the meeting has is open (or failed to open). */
  async linked(meetingId: string): Promise<void> {
    const m = this.#meetings.get(meetingId);
    if (m) await Promise.all([...m.secondaries.values()].map((s) => s.opening));
  }

  /**
   * The meeting ended (after its calls closed): every link of it is closed, and the cascade forgets it.
   * Twice, or for a meeting it does not carry, is a no-op.
   */
  async end(meetingId: string): Promise<void> {
    const m = this.#meetings.get(meetingId);
    if (m) this.#forget(m);
    await Promise.all([...(this.#closing.get(meetingId) ?? [])]);
  }

  /**
   * Shutdown (`hang-up`): every link is hung up. Restart (`leave-running`): every link stays, written
   * down, for the next process to take over with the calls.
   */
  async close(calls: 'leave-running' | 'hang-up'): Promise<void> {
    this.#closed = true;
    if (calls === 'leave-running') {
      this.#leaving = true;
      const secondaries = [...this.#meetings.values()].flatMap((m) => [...m.secondaries.values()]);
      for (const s of secondaries) {
        s.closed = true;
        if (s.retry) clearTimeout(s.retry);
        s.retry = null;
      }
      // A link still opening is hung up by its opener (s.closed); a record it wrote names channels
      // gone, which the next process takes for a link that lost them.
      await Promise.all(secondaries.map((s) => s.opening));
      for (const s of secondaries) s.link?.detach();
      this.#meetings.clear();
    }
    await Promise.all([...new Set([...this.#meetings.keys(), ...this.#closing.keys()])].map((id) => this.end(id)));
  }

  #meeting(meetingId: string): MeetingCascade {
    let m = this.#meetings.get(meetingId);
    if (!m) {
      m = { meetingId, primary: null, secondaries: new Map(), sites: new Map() };
      this.#meetings.set(meetingId, m);
    }
    return m;
  }

  #setPrimary(m: MeetingCascade, node: string): void {
    if (m.primary !== null) return;
    m.primary = node;
    this.deps.calls.setPrimary(m.meetingId, node);
  }

  #secondary(node: string): Secondary {
    return {
      node,
      link: null,
      opening: Promise.resolve(),
      closed: false,
      relinks: 0,
      cutOff: false,
      retry: null,
      openedInMs: null,
      pending: null,
      adopted: false,
      written: null,
    };
  }

  #takeOverLinks(ready: (r: LinkRecord) => boolean): void {
    for (const m of this.#meetings.values()) {
      for (const s of m.secondaries.values()) {
        const r = s.pending;
        if (!r || !ready(r)) continue;
        s.pending = null;
        s.opening = this.#takeOver(m, s, r);
      }
    }
  }

  /**
   * A link the previous process left: taken over when both its channels are still in their meeting's
   * conferences and the secondary still has sites; else what is left of it is killed (nobody else
   * would, and a new link beside it would be heard twice) and, if the node has sites, a new one opens.
   */
  async #takeOver(m: MeetingCascade, s: Secondary, r: LinkRecord): Promise<void> {
    const log = this.deps.log.child({ meetingId: m.meetingId, primary: r.primary, node: s.node, link: 'cascade' });
    const [onA, onB] = await Promise.all([this.#member(r.secondary, m.meetingId, r.channels[0]), this.#member(r.primary, m.meetingId, r.channels[1])]);
    if (this.#leaving) return;
    const wanted = !s.closed && r.primary === m.primary && (m.sites.get(s.node) ?? 0) > 0;
    const a = wanted && onA && onB ? this.deps.media.leaseOn(r.secondary) : undefined;
    const b = a && this.deps.media.leaseOn(r.primary);
    if (a && b && onA && onB) {
      s.link = ConferenceLink.adopted({ a, b }, onA, onB, log);
      s.adopted = true;
      log.info('link from before the restart taken over');
      return;
    }
    a?.release();
    // Killed whether or not in a conference: a link written down may have died before it joined.
    const kill = (node: string, uuid: string) => this.deps.media.control(node)?.killChannel(uuid);
    await Promise.allSettled([kill(r.secondary, r.channels[0]), kill(r.primary, r.channels[1])]);
    await this.#erase(m, s);
    if (s.closed || this.#meetings.get(m.meetingId) !== m) return;
    if (wanted) {
      log.info('link from before the restart lost a channel: linking anew');
      await this.#open(m, s);
    } else {
      this.#unlink(m, s.node);
      if ([...m.sites.values()].every((n) => n === 0)) this.#forget(m);
    }
  }

  /** The record of `s`'s link, if it wrote or was restored from one, is deleted. */
  async #erase(m: MeetingCascade, s: Secondary): Promise<void> {
    const channelA = s.written;
    s.written = null;
    if (channelA === null) return;
    await this.deps.records
      .closed(m.meetingId, s.node, channelA)
      .catch((err: Error) => this.deps.log.warn({ err: err.message, meetingId: m.meetingId, node: s.node }, 'link record not removed'));
  }

  async #member(node: string, meetingId: string, uuid: string) {
    const members = await this.deps.media
      .control(node)
      ?.members(meetingId)
      .catch(() => undefined);
    return [...(members?.values() ?? [])].find((x) => x.channelUuid === uuid);
  }

  #count(m: MeetingCascade, node: string, by: 1 | -1): void {
    this.#load.set(node, (this.#load.get(node) ?? 0) + by);
    m.sites.set(node, (m.sites.get(node) ?? 0) + by);
  }

  /** The lease as handed out: releasing it is a site leaving its node; its calls join where `#seat` says. */
  #counted(m: MeetingCascade, lease: MediaLease): MediaLease {
    const node = lease.serverId;
    return onRelease(
      seatedLease(lease, () => this.#seat(m, node)),
      () => this.#left(m, node),
    );
  }

  /**
   * A site on a secondary joins its node's two-canvas conference and watches the primary's picture,
   * which the link brings in on the second canvas; its own tile is on the first, which goes up the
   * link. That way no picture comes back into itself (docs/scale.md, "Video"). A cut-off node's sites
   * watch each other.
   */
  #seat(m: MeetingCascade, node: string): ConferenceSeat | undefined {
    if (this.#meetings.get(m.meetingId) !== m || node === m.primary) return undefined;
    const s = m.secondaries.get(node);
    return { profile: this.deps.secondaryProfile, ...(this.#twoCanvases && s && !s.cutOff && { watchingCanvas: PRIMARY_CANVAS }) };
  }

  #watch(m: MeetingCascade, node: string, canvas: number): void {
    if (!this.#twoCanvases) return;
    this.deps.media
      .control(node)
      ?.watchCanvas(m.meetingId, canvas)
      .catch((err: Error) => this.deps.log.warn({ err: err.message, meetingId: m.meetingId, node }, 'canvas not switched'));
  }

  #left(m: MeetingCascade, node: string): void {
    this.#count(m, node, -1);
    if (this.#meetings.get(m.meetingId) !== m) return;
    if (node !== m.primary && !m.sites.get(node)) this.#unlink(m, node);
    if ([...m.sites.values()].every((n) => n === 0)) this.#forget(m);
  }

  #forget(m: MeetingCascade): void {
    if (this.#meetings.get(m.meetingId) !== m) return;
    for (const node of [...m.secondaries.keys()]) this.#unlink(m, node);
    this.#meetings.delete(m.meetingId);
    this.deps.calls.setPrimary(m.meetingId, null);
  }

  #link(m: MeetingCascade, node: string): void {
    const s = this.#secondary(node);
    m.secondaries.set(node, s);
    s.opening = this.#open(m, s);
  }

  /** A on the secondary (FreeSWITCH offers), B on the primary answering it: the RTP flows node to node. */
  async #open(m: MeetingCascade, s: Secondary): Promise<void> {
    const log = this.deps.log.child({ meetingId: m.meetingId, primary: m.primary, node: s.node, link: 'cascade' });
    const a = this.deps.media.leaseOn(s.node);
    const b = m.primary === null ? undefined : this.deps.media.leaseOn(m.primary);
    if (!a || !b) {
      a?.release();
      b?.release();
      log.warn('node not linked: a media server is down');
      this.#retry(m, s, log);
      return;
    }
    const started = Date.now();
    let link: ConferenceLink;
    try {
      // Written down before its channels join their conferences: whatever a dying process leaves in a
      // conference, the next one can find and kill.
      const writeDown = async (channels: [string, string]) => {
        s.written = channels[0];
        await this.deps.records
          .opened({ meetingId: m.meetingId, secondary: s.node, primary: m.primary!, channels })
          .catch((err: Error) => log.warn({ err: err.message }, 'link not written down: a restart will not take it over'));
      };
      const from = { profile: this.deps.secondaryProfile, ...(this.#twoCanvases && { canvas: PRIMARY_CANVAS }) };
      link = await ConferenceLink.open({ a, b }, m.meetingId, from, { profile: this.deps.profile }, log, writeDown);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'node not linked');
      this.#retry(m, s, log);
      return;
    }
    if (s.closed) {
      await link.close();
      return;
    }
    s.link = link;
    s.openedInMs = Date.now() - started;
    log.info({ ms: s.openedInMs }, 'node linked to the primary');
    link.onBroken(() => {
      if (s.link !== link || s.closed) return;
      s.link = null;
      void link.close();
      log.warn('link broken by FreeSWITCH');
      this.#retry(m, s, log);
    });
  }

  #retry(m: MeetingCascade, s: Secondary, log: Logger): void {
    if (s.closed) return;
    if (s.relinks >= MAX_RELINKS) {
      log.error({ tries: s.relinks + 1 }, 'the node stays cut off from the primary');
      s.cutOff = true;
      this.#watch(m, s.node, SITES_CANVAS);
      return;
    }
    s.relinks++;
    s.retry = setTimeout(() => {
      s.retry = null;
      if (!s.closed) s.opening = this.#open(m, s);
    }, RELINK_DELAY_MS);
    s.retry.unref();
  }

  #unlink(m: MeetingCascade, node: string): void {
    const s = m.secondaries.get(node);
    if (!s) return;
    m.secondaries.delete(node);
    s.closed = true;
    if (s.retry) clearTimeout(s.retry);
    s.retry = null;
    const set = this.#closing.get(m.meetingId) ?? new Set<Promise<void>>();
    this.#closing.set(m.meetingId, set);
    const done: Promise<void> = s.opening
      .then(() => s.link?.close())
      .then(() => this.#erase(m, s))
      .catch((err: Error) => this.deps.log.warn({ err: err.message, meetingId: m.meetingId, node }, 'link not closed'))
      .finally(() => {
        set.delete(done);
        if (!set.size && this.#closing.get(m.meetingId) === set) this.#closing.delete(m.meetingId);
      });
    set.add(done);
    this.deps.log.info({ meetingId: m.meetingId, node }, 'node unlinked');
  }
}
