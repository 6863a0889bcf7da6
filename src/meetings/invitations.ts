import type { DataSource } from 'typeorm';

/** Which sites a meeting invited (table meeting_site), as the call side needs them. */
export class Invitations {
  constructor(private readonly ds: DataSource) {}

  async siteIds(meetingId: string): Promise<string[]> {
    const rows: { site_id: string }[] = await this.ds.query(`SELECT site_id FROM meeting_site WHERE meeting_id = $1`, [meetingId]);
    return rows.map((r) => r.site_id);
  }

  /** The invited sites still enabled, with their directory SIP URI (readiness checks). */
  async enabledSites(meetingId: string): Promise<{ id: string; sipUri: string | null }[]> {
    return this.ds.query(`SELECT s.id, s.sip_uri AS "sipUri" FROM meeting_site ms JOIN site s ON s.id = ms.site_id WHERE ms.meeting_id = $1 AND s.enabled`, [
      meetingId,
    ]);
  }
}
