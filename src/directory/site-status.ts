import type { DataSource } from 'typeorm';
import { Registrations, type Binding } from './registrations';

export interface SiteStatus {
  registered: boolean;
  bindings: Binding[];
  inCall: { meetingId: string; since: Date; callId: string } | null;
}

/** Where a site is registered and whether it is in a meeting now, from the database alone. */
export async function siteStatus(ds: DataSource, siteId: string): Promise<SiteStatus> {
  const bindings = await new Registrations(ds).current(siteId);
  const [call] = (await ds.query(
    `SELECT meeting_id AS "meetingId", joined_at AS since, call_id AS "callId" FROM participation
      WHERE site_id = $1 AND left_at IS NULL ORDER BY joined_at DESC LIMIT 1`,
    [siteId],
  )) as { meetingId: string; since: Date; callId: string }[];
  return { registered: bindings.length > 0, bindings, inCall: call ?? null };
}
