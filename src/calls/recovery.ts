import type { Logger } from '../log';
import type { MediaPool } from '../media/freeswitch/media-endpoint';
import type { Participations } from '../meetings/participations';
import type { AdoptedDialog } from './call';
import type { CallRegistry } from './call-registry';
import type { CallPlacement } from './cascade/cascade';

/**
 * After a restart: the calls the previous process left on `serverId` are still in their FreeSWITCH
 * conferences. Each open participation whose member is still there is adopted (it shows in the roster,
 * can be muted and kicked); the others ended while nobody watched and are closed at their last
 * heartbeat. Returns how many were adopted and closed.
 */
export async function recoverServer(
  serverId: string,
  deps: {
    media: Pick<MediaPool, 'control'>;
    placement: Pick<CallPlacement, 'adopt'>;
    calls: CallRegistry;
    participations: Pick<Participations, 'openOn' | 'closeAtLastSeen'>;
    /** A caller's SIP dialog by drachtio-server's id, to end it (absent: calls are ended in FreeSWITCH only). */
    sipDialog?: (id: string) => AdoptedDialog;
    log: Logger;
  },
): Promise<{ adopted: number; closed: number }> {
  const conferences = deps.media.control(serverId);
  if (!conferences) return { adopted: 0, closed: 0 };
  const rows = await deps.participations.openOn(serverId);
  let adopted = 0;
  let closed = 0;
  const byMeeting = groupBy(
    rows.filter((r) => !deps.calls.get(r.callId)),
    (r) => r.meetingId,
  );
  for (const [meetingId, meetingRows] of byMeeting) {
    const members = await conferences.members(meetingId);
    for (const row of meetingRows) {
      const member = row.memberId === null ? undefined : members.get(row.memberId);
      // Counted where the meeting's placement counts its calls: later calls join them, not a new server.
      const lease = member && deps.placement.adopt(meetingId, serverId);
      if (!member || !lease) {
        await deps.participations.closeAtLastSeen(row.id);
        closed++;
        continue;
      }
      const log = deps.log.child({ callId: row.callId, meetingId });
      deps.calls.adopt(
        {
          callId: row.callId,
          meetingId,
          siteId: row.siteId,
          displayName: row.displayName,
          source: row.source,
          moderator: row.moderator,
          protocol: row.protocol,
          direction: row.direction,
        },
        log,
        (call) => {
          call.codecs = { audio: row.audioCodec, video: row.videoCodec };
          const dialog = row.sipDialog && deps.sipDialog ? deps.sipDialog(row.sipDialog) : null;
          call.adopt(lease, member.channelUuid, { participationId: row.id, memberId: member.memberId, joinedAt: row.joinedAt, muted: member.muted }, dialog);
        },
      );
      log.info({ memberId: member.memberId }, 'call from before the restart taken over');
      adopted++;
    }
  }
  return { adopted, closed };
}

/** Calls taken over are asked whether their callers are still in their SIP dialogs (`Call.checkCaller`). */
export async function checkAdoptedCallers(calls: CallRegistry): Promise<void> {
  await Promise.all(calls.all().map((c) => (c.adopted ? c.checkCaller() : undefined)));
}

/** Adopted calls have no dialog to tell us they ended: look for their members now and then. */
export async function checkAdopted(deps: { media: Pick<MediaPool, 'control'>; calls: CallRegistry }): Promise<void> {
  const adopted = deps.calls.all().filter((c) => c.adopted && c.mediaServer);
  for (const [key, calls] of groupBy(adopted, (c) => `${c.mediaServer}|${c.info.meetingId}`)) {
    const [serverId, meetingId] = key.split('|') as [string, string];
    const conferences = deps.media.control(serverId);
    if (!conferences) continue;
    const members = await conferences.members(meetingId);
    for (const call of calls) if (call.memberId === null || !members.has(call.memberId)) await call.close('caller-hangup');
  }
}

/** Map.groupBy arrived in Node 21; the bridge runs on 20. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
