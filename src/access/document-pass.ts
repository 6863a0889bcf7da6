import { createHmac } from 'node:crypto';
import { issueJoinToken, verifyJoinToken, type JoinTokenResult } from './join-tokens';

/**
 * A document pass: what the join page shows a meeting's documents with. It is issued with a guest's
 * join ticket, or to an invited site that signs in with its SIP credentials, and names one meeting
 * and one room, like a join token — but it only reads documents, and lasts until an hour after the
 * meeting's end (a guest reads the agenda all meeting long, not five minutes).
 *
 * Same format as a join token, signed with a key derived from the same secret: a pass is never
 * a join token (it cannot place a call), nor a join token a pass.
 */

export const DOCUMENT_PASS_GRACE_MS = 60 * 60_000;

export interface DocumentPassClaims {
  meetingId: string;
  room: number;
  /** Who holds it: the guest's display name, or the site's name. */
  holder: string;
  meetingEndsAt: Date;
}

const passKey = (secret: Buffer | string) => createHmac('sha256', secret).update('diemcau document pass v1').digest();

export function issueDocumentPass(secret: Buffer | string, claims: DocumentPassClaims): string {
  return issueJoinToken(passKey(secret), {
    meetingId: claims.meetingId,
    room: claims.room,
    name: claims.holder,
    expiresAt: new Date(claims.meetingEndsAt.getTime() + DOCUMENT_PASS_GRACE_MS),
  });
}

export function verifyDocumentPass(secret: Buffer | string, pass: string, expected: { room: number; now: Date }): JoinTokenResult {
  return verifyJoinToken(passKey(secret), pass, expected);
}
