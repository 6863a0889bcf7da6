/**
 * What the live page shows of a meeting, folded from the roster and the event stream — pure, so it
 * is unit-tested and the page only renders it. One tile per invited site, whatever state its call is
 * in, and guests (browsers, unknown callers) beside them.
 */

export type TileState =
  /** Not called yet, or not called at all (a meeting without dial-out). */
  | { kind: 'waiting' }
  | { kind: 'ringing'; attempt: number }
  | { kind: 'joined'; participantId: string; muted: boolean; talking: boolean; moderator: boolean }
  /** Busy, no answer or unreachable, with a retry planned at `retryAt` (epoch ms), or none. */
  | { kind: 'retrying'; outcome: string; retryAt: number }
  | { kind: 'unreachable'; outcome: string }
  | { kind: 'declined'; sipStatus: number | null }
  | { kind: 'left'; reason: string };

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

export interface LiveView {
  meetingId: string;
  status: string;
  endsAt: string;
  /** Invited sites, in the order of the booking. */
  sites: SiteTile[];
  guests: Guest[];
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

/** The events the stream carries that change the view (src/meetings/meeting-events.ts). */
export type LiveEvent =
  | { type: 'meeting.state'; status: string; endsAt?: string }
  | { type: 'participant.joined'; participant: { id: string; name: string; siteId: string | null; protocol: string; moderator: boolean } }
  | { type: 'participant.left'; participantId: string; siteId: string | null; reason: string }
  | { type: 'participant.talking'; participantId: string; talking: boolean }
  | { type: 'participant.muted'; participantId: string; muted: boolean }
  | { type: 'dial.attempt'; siteId: string; attempt: number }
  | { type: 'dial.outcome'; siteId: string; outcome: string; sipStatus: number | null; retryInMs: number | null };

/** The view as the meeting and its current roster give it. */
export function initialView(
  meeting: { id: string; status: string; endsAt: string; invitedSites: { id: string; name: string }[] },
  roster: readonly RosterEntry[],
): LiveView {
  const view: LiveView = {
    meetingId: meeting.id,
    status: meeting.status,
    endsAt: meeting.endsAt,
    sites: meeting.invitedSites.map((s) => ({ siteId: s.id, name: s.name, state: { kind: 'waiting' } })),
    guests: [],
  };
  return roster.reduce((v, p) => join(v, p), view);
}

function join(view: LiveView, p: RosterEntry): LiveView {
  const joined: TileState = { kind: 'joined', participantId: p.id, muted: p.muted, talking: p.talking, moderator: p.moderator };
  if (p.siteId && view.sites.some((s) => s.siteId === p.siteId)) return withSite(view, p.siteId, () => joined);
  const guest: Guest = { participantId: p.id, name: p.name, protocol: p.protocol, muted: p.muted, talking: p.talking };
  return { ...view, guests: [...view.guests.filter((g) => g.participantId !== p.id), guest] };
}

function withSite(view: LiveView, siteId: string, next: (s: TileState) => TileState | null): LiveView {
  let changed = false;
  const sites = view.sites.map((tile) => {
    if (tile.siteId !== siteId) return tile;
    const state = next(tile.state);
    if (!state) return tile;
    changed = true;
    return { ...tile, state };
  });
  return changed ? { ...view, sites } : view;
}

/** Applies a change to whichever tile or guest carries `participantId`. */
function withParticipant(view: LiveView, participantId: string, change: { muted?: boolean; talking?: boolean }): LiveView {
  const sites = view.sites.map((tile) =>
    tile.state.kind === 'joined' && tile.state.participantId === participantId ? { ...tile, state: { ...tile.state, ...change } } : tile,
  );
  const guests = view.guests.map((g) => (g.participantId === participantId ? { ...g, ...change } : g));
  return { ...view, sites, guests };
}

export function applyEvent(view: LiveView, e: LiveEvent, now: number): LiveView {
  switch (e.type) {
    case 'meeting.state':
      return { ...view, status: e.status, ...(e.endsAt && { endsAt: e.endsAt }) };
    case 'participant.joined':
      return join(view, { ...e.participant, muted: false, talking: false });
    case 'participant.left': {
      const guests = view.guests.filter((g) => g.participantId !== e.participantId);
      const sites = view.sites.map((tile) =>
        tile.state.kind === 'joined' && tile.state.participantId === e.participantId
          ? { ...tile, state: { kind: 'left', reason: e.reason } as TileState }
          : tile,
      );
      return { ...view, sites, guests };
    }
    case 'participant.talking':
      return withParticipant(view, e.participantId, { talking: e.talking });
    case 'participant.muted':
      return withParticipant(view, e.participantId, { muted: e.muted });
    case 'dial.attempt':
      // A site already in stays in: an operator's redial of a joined site changes nothing on screen.
      return withSite(view, e.siteId, (s) => (s.kind === 'joined' ? null : { kind: 'ringing', attempt: e.attempt }));
    case 'dial.outcome':
      return withSite(view, e.siteId, (s) => {
        if (s.kind === 'joined' || e.outcome === 'answered' || e.outcome === 'cancelled') return null;
        if (e.retryInMs !== null) return { kind: 'retrying', outcome: e.outcome, retryAt: now + e.retryInMs };
        // The site said no (403, 603…): a person there has to act, unlike a site that cannot be reached.
        if (e.outcome === 'rejected') return { kind: 'declined', sipStatus: e.sipStatus };
        return { kind: 'unreachable', outcome: e.outcome };
      });
  }
}

/** Counts for the header: how many invited sites are in, and how many are not. */
export function tally(view: LiveView): { joined: number; invited: number; guests: number } {
  return { joined: view.sites.filter((s) => s.state.kind === 'joined').length, invited: view.sites.length, guests: view.guests.length };
}
