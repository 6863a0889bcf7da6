import type { DialOutcome } from '../../meetings/dial-attempts';
import type { DeviceProfile } from '../device-profile';

/** One dial-out attempt, as the dialer hands it to a protocol's placer. */
export interface DialTarget {
  meetingId: string;
  siteId: string | null;
  name: string;
  /** The address to call: for SIP the site's registered contact or its directory URI; for H.323 `h323:<alias>@<address>`. */
  uri: string;
  moderator: boolean;
  muted: boolean;
  /** The site's device profile (packetization mode, line rate); absent or null: none. */
  device?: DeviceProfile | null;
  /** The site's region (docs/scale.md): a cascade prefers a node of it. */
  region?: string | null;
  /**
   * Calls the attempt off (the dialer aborts it when the meeting ends or the bridge stops): a
   * ringing site is cancelled, one that answers after it is hung up instead of joining.
   */
  signal?: AbortSignal;
}

export interface DialResult {
  outcome: DialOutcome;
  status: number | null;
  callId: string | null;
  detail: string | null;
  /** Where the attempt really went, when the placer resolved it itself (H.323: `h323:<alias>@<ip>:<port>`). */
  target?: string;
}

/** Calls one target into a room and resolves when the attempt is over (joined or failed). */
export type Placer = (target: DialTarget, room: number) => Promise<DialResult>;
