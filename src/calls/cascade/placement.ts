/**
 * Which FreeSWITCH node a meeting's next site goes to when nodes carry at most `max` sites each
 * (docs/scale.md). Pure: the cascade gives it what it knows and acts on the answer.
 */

/** A node that is up, with the sites it carries now (every meeting's) and its region, if configured. */
export interface NodeLoad {
  id: string;
  sites: number;
  region?: string | null;
}

/** The nodes a meeting is on: its primary, and the secondaries linked to it, in the order they were linked. */
export interface MeetingNodes {
  primary: string | null;
  secondaries: readonly string[];
}

/**
 * `primary`: the meeting's first site, on the node that becomes its primary. `secondary` with
 * `link`: a node the meeting is not on yet, to be linked to the primary. Null: no node has room (or
 * the primary is down: its sites could not hear the newcomer).
 */
export type Placement = { node: string; role: 'primary' } | { node: string; role: 'secondary'; link: boolean } | null;

/**
 * A site whose directory entry names a region (`region`) goes to a node of that region when one has
 * room — the meeting's own nodes first, in the usual order, then a new one — and by the rule without
 * regions otherwise: a region keeps a commune's media near it, never keeps it out.
 */
export function placeSite(meeting: MeetingNodes, up: readonly NodeLoad[], max: number, region: string | null = null): Placement {
  const local = region ? up.filter((n) => n.region === region) : [];
  return (local.length ? byLoad(meeting, local, up, max) : null) ?? byLoad(meeting, up, up, max);
}

/** The rule without regions, choosing among `candidates`; `up` is every node that is up (the primary may be elsewhere). */
function byLoad(meeting: MeetingNodes, candidates: readonly NodeLoad[], up: readonly NodeLoad[], max: number): Placement {
  const hasRoom = (n: NodeLoad) => n.sites < max;
  const leastLoaded = (nodes: NodeLoad[]) => nodes.reduce<NodeLoad | null>((a, b) => (a === null || b.sites < a.sites ? b : a), null);
  if (meeting.primary === null) {
    const node = leastLoaded(candidates.filter(hasRoom));
    return node ? { node: node.id, role: 'primary' } : null;
  }
  if (!up.some((n) => n.id === meeting.primary)) return null;
  const primary = candidates.find((n) => n.id === meeting.primary);
  if (primary && hasRoom(primary)) return { node: primary.id, role: 'primary' };
  // Fill the secondaries already linked before linking another: every link costs both nodes a member.
  for (const id of meeting.secondaries) {
    const node = candidates.find((n) => n.id === id);
    if (node && hasRoom(node)) return { node: id, role: 'secondary', link: false };
  }
  const fresh = leastLoaded(candidates.filter((n) => n.id !== meeting.primary && !meeting.secondaries.includes(n.id) && hasRoom(n)));
  return fresh ? { node: fresh.id, role: 'secondary', link: true } : null;
}
