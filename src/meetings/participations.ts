import type { DataSource } from 'typeorm';

export type EndReason = 'caller-hangup' | 'bridge-hangup' | 'kicked' | 'meeting-ended' | 'media-failure' | 'media-server-lost' | 'shutdown' | 'crash';

export interface NewParticipation {
  meetingId: string;
  siteId: string | null;
  displayName: string;
  callId: string;
  source: string;
  protocol: 'sip' | 'h323' | 'webrtc';
  direction: 'in' | 'out';
  audioCodec: string | null;
  videoCodec: string | null;
  moderator: boolean;
  mediaServer: string;
  memberId: number | null;
  /** drachtio-server's id of the caller's SIP dialog; null for H.323. */
  sipDialog: string | null;
}

/** A participation still open, as a restart finds it. */
export type OpenParticipation = Omit<NewParticipation, 'mediaServer'> & { id: string; joinedAt: Date };

/** How often open participations are marked as still alive. */
export const HEARTBEAT_MS = 30_000;

/**
 * The record of who was in which meeting, when. Rows are opened when a caller is in the conference and
 * closed exactly once; a crash leaves them open, and the next start closes them at their last heartbeat.
 */
export class Participations {
  constructor(private readonly ds: DataSource) {}

  async open(p: NewParticipation): Promise<string> {
    const [row] = (await this.ds.query(
      `INSERT INTO participation (meeting_id, site_id, display_name, call_id, source, protocol, direction,
         audio_codec, video_codec, moderator, media_server, member_id, sip_dialog)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
      [
        p.meetingId,
        p.siteId,
        p.displayName,
        p.callId,
        p.source,
        p.protocol,
        p.direction,
        p.audioCodec,
        p.videoCodec,
        p.moderator,
        p.mediaServer,
        p.memberId,
        p.sipDialog,
      ],
    )) as { id: string }[];
    return row!.id;
  }

  /** Closes an open participation; closing twice keeps the first end. */
  async close(id: string, reason: EndReason): Promise<void> {
    await this.ds.query(`UPDATE participation SET left_at = now(), last_seen_at = now(), end_reason = $2 WHERE id = $1 AND left_at IS NULL`, [id, reason]);
  }

  /** Closes one participation that ended unseen, at the last moment it was known to be up. */
  async closeAtLastSeen(id: string): Promise<void> {
    await this.ds.query(`UPDATE participation SET left_at = greatest(last_seen_at, joined_at), end_reason = 'crash' WHERE id = $1 AND left_at IS NULL`, [id]);
  }

  async heartbeat(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await this.ds.query(`UPDATE participation SET last_seen_at = now() WHERE id = ANY($1::uuid[]) AND left_at IS NULL`, [ids]);
  }

  /**
   * At start-up: open participations on media servers this process does not use cannot be checked;
   * they ended when last seen. (Those on configured servers are checked against FreeSWITCH.)
   */
  async closeDangling(keepOn: readonly string[] = []): Promise<number> {
    const [row] = (await this.ds.query(
      `WITH closed AS (
         UPDATE participation SET left_at = greatest(last_seen_at, joined_at), end_reason = 'crash'
          WHERE left_at IS NULL AND (media_server IS NULL OR NOT media_server = ANY($1::text[])) RETURNING 1)
       SELECT count(*)::int AS n FROM closed`,
      [keepOn],
    )) as { n: number }[];
    return row!.n;
  }

  /** The participations still open on one media server (what a restart may take over). */
  async openOn(mediaServer: string): Promise<OpenParticipation[]> {
    return this.ds.query(
      `SELECT id, meeting_id AS "meetingId", site_id AS "siteId", display_name AS "displayName", call_id AS "callId",
              source, protocol, direction, moderator, member_id AS "memberId", joined_at AS "joinedAt",
              audio_codec AS "audioCodec", video_codec AS "videoCodec", sip_dialog AS "sipDialog"
         FROM participation WHERE left_at IS NULL AND media_server = $1`,
      [mediaServer],
    );
  }
}
