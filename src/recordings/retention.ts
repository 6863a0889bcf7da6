const DAY_MS = 86_400_000;

/**
 * The recordings older than the retention period: those that ended (or, never closed, started)
 * more than `days` days before `now`. `days` 0 keeps everything.
 */
export function expiredRecordings<T extends { startedAt: Date; endedAt: Date | null }>(rows: readonly T[], now: Date, days: number): T[] {
  if (days <= 0) return [];
  const cutoff = now.getTime() - days * DAY_MS;
  return rows.filter((r) => (r.endedAt ?? r.startedAt).getTime() < cutoff);
}

/** The instant before which a recording is expired, for the query that finds the candidates. */
export function retentionCutoff(now: Date, days: number): Date | null {
  return days <= 0 ? null : new Date(now.getTime() - days * DAY_MS);
}
