/**
 * What the rest of the bridge sees of content sharing: who presents in a meeting, and the operator's
 * way to stop them. The ContentHub (content-hub.ts) implements ContentControl; the records it keeps
 * go through ContentRecords (meetings/content-shares.ts), so the hub writes no SQL.
 */

import type { FloorPolicy } from '../../content/floor';

export type { FloorPolicy };

/** Why a presentation ended. */
export type ShareEndReason = 'released' | 'revoked' | 'taken-over' | 'left' | 'ended';

export interface Presenter {
  /** The presenter's participation; null until the call has joined (it cannot present before). */
  participantId: string | null;
  name: string;
  siteId: string | null;
  protocol: 'sip' | 'h323' | 'webrtc';
  since: Date;
}

export interface ContentControl {
  /** Who presents in the meeting now; null: nobody. */
  presenter(meetingId: string): Presenter | null;
  /** The operator takes the floor away; resolves with who was presenting (null: nobody was). */
  stop(meetingId: string): Promise<Presenter | null>;
}

/** The presentations of each meeting, kept for its attendance record. */
export interface ContentRecords {
  /** The meeting's floor policy (its booking's `contentPolicy`). */
  policy(meetingId: string): Promise<FloorPolicy>;
  /** A presentation began; resolves with its row id. */
  started(meetingId: string, presenter: Presenter): Promise<string>;
  /** That presentation ended at `at`. */
  ended(shareId: string, reason: ShareEndReason, at: Date): Promise<void>;
}
