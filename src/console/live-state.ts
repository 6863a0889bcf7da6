/**
 * What the live page shows of a meeting, folded from the roster and the event stream — no DOM, so it
 * is unit-tested and the page only renders it. One tile per invited site, whatever state its call is
 * in, and guests (browsers, unknown callers) beside them.
 *
 * A 300-site meeting sends a talking change every few hundred milliseconds, so an event costs O(1):
 * tiles are kept by site id and joined participants indexed to their site, the counts per state are
 * kept up to date rather than recounted, and `apply` says which tile changed so the page redraws that
 * one alone. Tiles themselves are immutable: a changed tile is a new object, an unchanged one is the
 * same object, which is what the page's memoised tiles compare.
 */

export type TileState =
  /** Not called yet, or not called at all (a meeting without dial-out). */
  | { kind: 'waiting' }
  | { kind: 'ringing'; attempt: number }
  | { kind: 'joined'; participantId: string; muted: boolean; talking: boolean; moderator: boolean }
  /** Busy, no answer or unreachable, with a retry planned at `retryAt` (epoch ms). */
  | { kind: 'retrying'; outcome: string; retryAt: number }
  | { kind: 'unreachable'; outcome: string }
  | { kind: 'declined'; sipStatus: number | null }
  | { kind: 'left'; reason: string };

export type TileKind = TileState['kind'];
export const TILE_KINDS: readonly TileKind[] = ['joined', 'ringing', 'retrying', 'unreachable', 'declined', 'left', 'waiting'];

export interface SiteTile {
  siteId: string;
  name: string;
  state: TileState;
}

export interface Guest {
  participantId: string;
  name: string;
  protocol: string;
  muted: boolean;
  talking: boolean;
}

/** One person in a meeting, as `GET /meetings/{id}/participants` lists them. */
export interface RosterEntry {
  id: string;
  name: string;
  siteId: string | null;
  protocol: string;
  muted: boolean;
  talking: boolean;
  moderator: boolean;
}

/** Who presents content (`GET /meetings/{id}/content`, and the content events). */
export interface Presenting {
  participantId: string | null;
  name: string;
  siteId: string | null;
  protocol: string;
}

/** The events the stream carries that change the view (src/meetings/meeting-events.ts). */
export type LiveEvent =
  | { type: 'meeting.state'; status: string; endsAt?: string }
  | { type: 'participant.joined'; participant: { id: string; name: string; siteId: string | null; protocol: string; moderator: boolean } }
  | { type: 'participant.left'; participantId: string; siteId: string | null; reason: string }
  | { type: 'participant.talking'; participantId: string; talking: boolean }
  | { type: 'participant.muted'; participantId: string; muted: boolean }
  | { type: 'dial.attempt'; siteId: string; attempt: number }
  | { type: 'dial.outcome'; siteId: string; outcome: string; sipStatus: number | null; retryInMs: number | null }
  | { type: 'content.started'; presenter: Presenting }
  | { type: 'content.stopped'; presenter: Presenting; reason: string };

/** What an event changed: the page redraws that tile, the guests, or the page (list, counts, clock). */
export interface Change {
  /** The tile whose state changed. */
  site?: string;
  /** The tile moved from one state to another: the counts and a filtered list change with it. */
  kind?: true;
  guests?: true;
  meeting?: true;
  /** Who presents changed: the banner. */
  content?: true;
}

/** The filters of the page: everyone, the sites in, the sites not in, and those that need a person. */
export type TileFilter = 'all' | 'in' | 'out' | 'problems';

export function matchesFilter(kind: TileKind, filter: TileFilter): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'in':
      return kind === 'joined';
    case 'out':
      return kind !== 'joined';
    case 'problems':
      return kind === 'retrying' || kind === 'unreachable' || kind === 'declined' || kind === 'left';
  }
}

/** Lower case without diacritics: "ia grai" finds "Xã Ia Grải", "dak" finds "Đak Đoa". */
export function searchKey(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

export class LiveView {
  readonly meetingId: string;
  status: string;
  endsAt: string;
  /** Invited site ids, in the order the meeting lists them. */
  readonly order: readonly string[];
  readonly #tiles = new Map<string, SiteTile>();
  readonly #keys = new Map<string, string>();
  /** participant id → site id, for the joined tiles. */
  readonly #siteOf = new Map<string, string>();
  readonly #guests = new Map<string, Guest>();
  readonly #counts = Object.fromEntries(TILE_KINDS.map((k) => [k, 0])) as Record<TileKind, number>;
  /** Who presents content now; null: nobody. */
  presenter: Presenting | null = null;

  /** The view as the meeting and its current roster give it. */
  constructor(meeting: { id: string; status: string; endsAt: string; invitedSites: readonly { id: string; name: string }[] }, roster: readonly RosterEntry[]) {
    this.meetingId = meeting.id;
    this.status = meeting.status;
    this.endsAt = meeting.endsAt;
    this.order = meeting.invitedSites.map((s) => s.id);
    for (const s of meeting.invitedSites) {
      this.#tiles.set(s.id, { siteId: s.id, name: s.name, state: { kind: 'waiting' } });
      this.#keys.set(s.id, searchKey(s.name));
      this.#counts.waiting++;
    }
    for (const p of roster) this.#join(p);
  }

  tile(siteId: string): SiteTile {
    const tile = this.#tiles.get(siteId);
    if (!tile) throw new Error(`no tile for site ${siteId}`);
    return tile;
  }

  /** Every tile, in booking order. */
  get sites(): SiteTile[] {
    return this.order.map((id) => this.tile(id));
  }

  get guests(): Guest[] {
    return [...this.#guests.values()];
  }

  /** How many invited sites are in each state. */
  get counts(): Readonly<Record<TileKind, number>> {
    return this.#counts;
  }

  /** The site ids the filter and the search (any part of the name, diacritics ignored) let through. */
  visible(filter: TileFilter, search: string): string[] {
    const needle = searchKey(search.trim());
    return this.order.filter((id) => matchesFilter(this.tile(id).state.kind, filter) && (!needle || this.#keys.get(id)!.includes(needle)));
  }

  /** What `GET /meetings/{id}/content` says, read on load and after a reconnection. */
  setPresenter(p: Presenting | null): Change {
    this.presenter = p && { participantId: p.participantId, name: p.name, siteId: p.siteId, protocol: p.protocol };
    return { content: true };
  }

  apply(e: LiveEvent, now: number): Change {
    switch (e.type) {
      case 'content.started':
        return this.setPresenter(e.presenter);
      case 'content.stopped':
        // On a take-over the new presenter's start may come before the old one's stop: that stop
        // must not clear the banner of the one presenting now.
        if (!this.presenter || !samePresenter(this.presenter, e.presenter)) return {};
        return this.setPresenter(null);
      case 'meeting.state':
        this.status = e.status;
        if (e.endsAt) this.endsAt = e.endsAt;
        return { meeting: true };
      case 'participant.joined':
        return this.#join({ ...e.participant, muted: false, talking: false });
      case 'participant.left': {
        if (this.#guests.delete(e.participantId)) return { guests: true };
        const siteId = this.#siteOf.get(e.participantId);
        return siteId ? this.#set(siteId, { kind: 'left', reason: e.reason }) : {};
      }
      case 'participant.talking':
        return this.#participant(e.participantId, { talking: e.talking });
      case 'participant.muted':
        return this.#participant(e.participantId, { muted: e.muted });
      case 'dial.attempt': {
        // A site already in stays in: an operator's redial of a joined site changes nothing on screen.
        const tile = this.#tiles.get(e.siteId);
        if (!tile || tile.state.kind === 'joined') return {};
        return this.#set(e.siteId, { kind: 'ringing', attempt: e.attempt });
      }
      case 'dial.outcome': {
        const tile = this.#tiles.get(e.siteId);
        if (!tile || tile.state.kind === 'joined' || e.outcome === 'answered' || e.outcome === 'cancelled') return {};
        if (e.retryInMs !== null) return this.#set(e.siteId, { kind: 'retrying', outcome: e.outcome, retryAt: now + e.retryInMs });
        // The site said no (403, 603…): a person there has to act, unlike a site that cannot be reached.
        if (e.outcome === 'rejected') return this.#set(e.siteId, { kind: 'declined', sipStatus: e.sipStatus });
        return this.#set(e.siteId, { kind: 'unreachable', outcome: e.outcome });
      }
    }
  }

  #join(p: RosterEntry): Change {
    if (p.siteId && this.#tiles.has(p.siteId)) {
      return this.#set(p.siteId, { kind: 'joined', participantId: p.id, muted: p.muted, talking: p.talking, moderator: p.moderator });
    }
    this.#guests.set(p.id, { participantId: p.id, name: p.name, protocol: p.protocol, muted: p.muted, talking: p.talking });
    return { guests: true };
  }

  #set(siteId: string, state: TileState): Change {
    const tile = this.tile(siteId);
    const was = tile.state;
    if (was.kind === 'joined' && this.#siteOf.get(was.participantId) === siteId) this.#siteOf.delete(was.participantId);
    if (state.kind === 'joined') this.#siteOf.set(state.participantId, siteId);
    this.#tiles.set(siteId, { ...tile, state });
    this.#counts[was.kind]--;
    this.#counts[state.kind]++;
    return was.kind === state.kind ? { site: siteId } : { site: siteId, kind: true };
  }

  /** Applies a change to whichever tile or guest carries `participantId`. */
  #participant(participantId: string, change: { muted?: boolean; talking?: boolean }): Change {
    const guest = this.#guests.get(participantId);
    if (guest) {
      this.#guests.set(participantId, { ...guest, ...change });
      return { guests: true };
    }
    const siteId = this.#siteOf.get(participantId);
    const state = siteId && this.tile(siteId).state;
    return state && state.kind === 'joined' ? this.#set(siteId, { ...state, ...change }) : {};
  }
}

function samePresenter(a: Presenting, b: Presenting): boolean {
  return a.participantId === b.participantId && a.name === b.name && a.siteId === b.siteId;
}
