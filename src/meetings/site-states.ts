import type { DataSource } from 'typeorm';
import { connectedNow } from './overview';
import { lastSeen, latestReadiness, openParticipations, registeredSites } from './site-presence';

/**
 * How each of many sites is doing, for the Sites page's table, in one snapshot and a handful of
 * queries whatever the number of sites. "In a call" means what it means on Today: the roster of a
 * live meeting when the bridge carries calls, otherwise an open participation with a fresh heartbeat.
 */

export interface SiteState {
  siteId: string;
  registered: boolean;
  /** Of the newest registration that has not expired. */
  userAgent: string | null;
  inCall: { meetingId: string } | null;
  /** The site's latest readiness check, of any meeting. */
  readiness: { meetingId: string; reachable: boolean; checkedAt: Date } | null;
  lastSeenAt: Date | null;
}

export interface SiteStatesOptions {
  now: Date;
  /** The roster of a live meeting, when the bridge carries calls. */
  roster?: (meetingId: string) => readonly { siteId: string | null }[];
}

/** The states of `siteIds`, in that order. */
export async function loadSiteStates(ds: DataSource, siteIds: readonly string[], { now, roster }: SiteStatesOptions): Promise<SiteState[]> {
  if (!siteIds.length) return [];
  return ds.transaction('REPEATABLE READ', async (em) => {
    const registered = new Map((await registeredSites(em, now, siteIds)).map((r) => [r.siteId, r]));
    let connected = await openParticipations(em, now, siteIds);
    if (roster) {
      const live: { id: string }[] = await em.query(`SELECT id FROM meeting WHERE status = 'live'`);
      connected = connectedNow(connected, new Map(live.map((m) => [m.id, roster(m.id)])));
    }
    const inCall = new Map(connected.flatMap((c) => (c.siteId ? [[c.siteId, c.meetingId] as const] : [])));
    const readiness = new Map((await latestReadiness(em, { sites: siteIds })).map((r) => [r.siteId, r]));
    const seen = await lastSeen(em, siteIds);
    return siteIds.map((siteId) => {
      const reg = registered.get(siteId);
      const check = readiness.get(siteId);
      const meetingId = inCall.get(siteId);
      return {
        siteId,
        registered: reg !== undefined,
        userAgent: reg?.userAgent ?? null,
        inCall: meetingId ? { meetingId } : null,
        readiness: check ? { meetingId: check.meetingId, reachable: check.reachable, checkedAt: check.checkedAt } : null,
        lastSeenAt: seen.get(siteId) ?? null,
      };
    });
  });
}
