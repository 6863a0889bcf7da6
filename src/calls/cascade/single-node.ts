import { onRelease, type MediaLease, type MediaPool } from '../../media/freeswitch/media-endpoint';
import type { CallRegistry } from '../call-registry';
import type { CallPlacement } from './cascade';

/**
 * Without a member limit: every call of a meeting on one server. The meeting's first lease picks the
 * least loaded server and pins the meeting to it until its last lease is released, so dial-outs
 * placed at the same moment (before any has its endpoint) cannot split it over two servers. When the
 * pinned server is down, the next call goes to the least loaded one left and the meeting follows it
 * there (failover: its sites are called back one by one, docs/scale.md). A site's region plays no
 * part: the whole meeting is on one server.
 */
export class SingleNode implements CallPlacement {
  readonly #pins = new Map<string, { server: string | null; leases: number }>();

  constructor(
    private readonly media: Pick<MediaPool, 'pick'>,
    private readonly calls: Pick<CallRegistry, 'mediaServerOf' | 'setPrimary'>,
  ) {}

  place(meetingId: string): MediaLease | undefined {
    const pinned = this.#pins.get(meetingId);
    // Unpinned with calls on a server: calls taken over after a restart.
    const lease = this.media.pick(pinned ? (pinned.server ?? undefined) : this.calls.mediaServerOf(meetingId));
    if (!lease) return undefined;
    const pin = pinned ?? { server: null, leases: 0 };
    if (!pinned) this.#pins.set(meetingId, pin);
    if (pin.server !== lease.serverId) {
      pin.server = lease.serverId;
      this.calls.setPrimary(meetingId, pin.server);
    }
    pin.leases++;
    return onRelease(lease, () => {
      if (--pin.leases > 0 || this.#pins.get(meetingId) !== pin) return;
      this.#pins.delete(meetingId);
      this.calls.setPrimary(meetingId, null);
    });
  }

  /** Meetings on the lost server have none until their next call picks one (their calls still hold leases). */
  nodeDown(serverId: string): void {
    for (const [meetingId, pin] of this.#pins) {
      if (pin.server !== serverId) continue;
      pin.server = null;
      this.calls.setPrimary(meetingId, null);
    }
  }
}
