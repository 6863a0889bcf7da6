import type { DataSource } from 'typeorm';

/** How a dial-out attempt ended: stored in dial_attempt.outcome, reported in attendance, streamed as events. */
export const DIAL_OUTCOMES = ['answered', 'busy', 'no-answer', 'unreachable', 'rejected', 'media-mismatch', 'bridge-error', 'cancelled', 'failed'] as const;
export type DialOutcome = (typeof DIAL_OUTCOMES)[number];

/** The record of every dial-out attempt (table dial_attempt): opened when it starts, finished when it ends. */
export class DialAttempts {
  constructor(private readonly ds: DataSource) {}

  /** Returns the attempt's id. */
  async open(a: { meetingId: string; siteId: string; target: string; attempt: number }): Promise<string> {
    const [row] = (await this.ds.query(`INSERT INTO dial_attempt (meeting_id, site_id, target, attempt) VALUES ($1, $2, $3, $4) RETURNING id`, [
      a.meetingId,
      a.siteId,
      a.target,
      a.attempt,
    ])) as { id: string }[];
    return row!.id;
  }

  /** `target` null keeps the address the attempt was opened with. */
  async finish(
    id: string,
    r: { outcome: DialOutcome; status: number | null; callId: string | null; detail: string | null; target: string | null },
  ): Promise<void> {
    await this.ds.query(
      `UPDATE dial_attempt SET ended_at = now(), outcome = $2, sip_status = $3, call_id = $4, detail = $5, target = COALESCE($6, target) WHERE id = $1`,
      [id, r.outcome, r.status, r.callId, r.detail, r.target],
    );
  }
}
