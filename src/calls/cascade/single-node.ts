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
    private readonly media: Pick<MediaPool, 'pick' | 'leaseOn'>,
    private readonly calls: Pick<CallRegistry, 'setPrimary'>,
  ) {}

  place(meetingId: string): MediaLease | undefined {
    const lease = this.media.pick(this.#pins.get(meetingId)?.server ?? undefined);
    return lease && this.#pinned(meetingId, lease);
  }

  /** A call taken over after a restart: its server is the meeting's, as the first call's would be. */
  adopt(meetingId: string, serverId: string): MediaLease | undefined {
    const lease = this.media.leaseOn(serverId);
    return lease && this.#pinned(meetingId, lease);
  }

  #pinned(meetingId: string, lease: MediaLease): MediaLease {
    let pin = this.#pins.get(meetingId);
    if (!pin) {
      pin = { server: null, leases: 0 };
      this.#pins.set(meetingId, pin);
    }
    if (pin.server !== lease.serverId) {
      pin.server = lease.serverId;
      this.calls.setPrimary(meetingId, pin.server);
    }
    pin.leases++;
    const counted = pin;
    return onRelease(lease, () => {
      if (--counted.leases > 0 || this.#pins.get(meetingId) !== counted) return;
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
