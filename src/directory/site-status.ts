import type { DataSource } from 'typeorm';
import { STALE_AFTER_MS } from '../meetings/attendance-report';
import { Registrations, type Binding } from './registrations';

export interface SiteStatus {
  registered: boolean;
  bindings: Binding[];
  inCall: { meetingId: string; since: Date; callId: string } | null;
}

/**
 * Where a site is registered and whether it is in a meeting now, from the database alone. A call
 * counts while its heartbeat is fresh, as on the Today and Sites pages: an open row with a stale
 * heartbeat was left by a process that died.
 */
export async function siteStatus(ds: DataSource, siteId: string): Promise<SiteStatus> {
  const bindings = await new Registrations(ds).current(siteId);
  const [call] = (await ds.query(
    `SELECT meeting_id AS "meetingId", joined_at AS since, call_id AS "callId" FROM participation
      WHERE site_id = $1 AND left_at IS NULL AND last_seen_at >= now() - make_interval(secs => $2) ORDER BY joined_at DESC LIMIT 1`,
    [siteId, STALE_AFTER_MS / 1000],
  )) as { meetingId: string; since: Date; callId: string }[];
  return { registered: bindings.length > 0, bindings, inCall: call ?? null };
}
