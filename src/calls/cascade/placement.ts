/**
 * Which FreeSWITCH node a meeting's next site goes to when nodes carry at most `max` sites each
 * (docs/scale.md). Pure: the cascade gives it what it knows and acts on the answer.
 */

/** A node that is up, with the sites it carries now (every meeting's). */
export interface NodeLoad {
  id: string;
  sites: number;
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

export function placeSite(meeting: MeetingNodes, up: readonly NodeLoad[], max: number): Placement {
  const hasRoom = (n: NodeLoad) => n.sites < max;
  const leastLoaded = (nodes: NodeLoad[]) => nodes.reduce<NodeLoad | null>((a, b) => (a === null || b.sites < a.sites ? b : a), null);
  if (meeting.primary === null) {
    const node = leastLoaded(up.filter(hasRoom));
    return node ? { node: node.id, role: 'primary' } : null;
  }
  const primary = up.find((n) => n.id === meeting.primary);
  if (!primary) return null;
  if (hasRoom(primary)) return { node: primary.id, role: 'primary' };
  // Fill the secondaries already linked before linking another: every link costs both nodes a member.
  for (const id of meeting.secondaries) {
    const node = up.find((n) => n.id === id);
    if (node && hasRoom(node)) return { node: id, role: 'secondary', link: false };
  }
  const fresh = leastLoaded(up.filter((n) => n.id !== meeting.primary && !meeting.secondaries.includes(n.id) && hasRoom(n)));
  return fresh ? { node: fresh.id, role: 'secondary', link: true } : null;
}
