import type { DataSource } from 'typeorm';

export interface ReadinessResult {
  reachable: boolean;
  latencyMs: number | null;
  status: number | null;
  detail: string | null;
}

/** Whether each invited site answered before its meeting (table readiness_check, read by attendance). */
export class ReadinessChecks {
  constructor(private readonly ds: DataSource) {}

  async record(meetingId: string, siteId: string, target: string, r: ReadinessResult): Promise<void> {
    await this.ds.query(
      `INSERT INTO readiness_check (meeting_id, site_id, target, reachable, latency_ms, sip_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [meetingId, siteId, target, r.reachable, r.latencyMs, r.status, r.detail],
    );
  }
}
