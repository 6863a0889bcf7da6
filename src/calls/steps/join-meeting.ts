import type Mrf from 'drachtio-fsmrf';
import { conferenceName } from '../../media/freeswitch/conference';
import type { Participations } from '../../meetings/participations';
import type { Call } from '../call';
import { freeswitchVariables, type DeviceProfile } from '../device-profile';
import { negotiated } from '../sdp';

const JOIN_TIMEOUT_MS = 10_000;

/**
 * Puts an answered call into its meeting's conference and records the participation — the last
 * step of every way in (dial-in, dial-out, browser). A site's device profile becomes channel
 * variables first: mod_conference reads them as the member is added, to choose its video encoder.
 */
export async function joinMeeting(
  call: Call,
  endpoint: Mrf.Endpoint,
  opts: { profile: string; muted: boolean; mediaServer: string; device?: DeviceProfile | null },
  participations: Participations,
): Promise<void> {
  const { info } = call;
  const vars = freeswitchVariables(opts.device ?? null);
  if (Object.keys(vars).length) {
    await endpoint.set(vars);
    call.log.info({ device: opts.device, vars }, 'device profile applied to the media leg');
  }
  // drachtio-fsmrf waits for the conference's add-member event with no limit of its own.
  let timer: NodeJS.Timeout | undefined;
  const { memberId } = await Promise.race([
    endpoint.join(conferenceName(info.meetingId), {
      profile: opts.profile,
      flags: { ...(info.moderator && { moderator: true }), ...(opts.muted && { mute: true }) },
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the conference did not take the call within ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  call.codecs = negotiated(endpoint.local.sdp);
  const participationId = await participations.open({
    meetingId: info.meetingId,
    siteId: info.siteId,
    displayName: info.displayName,
    callId: info.callId,
    source: info.source,
    protocol: info.protocol,
    direction: info.direction,
    audioCodec: call.codecs.audio,
    videoCodec: call.codecs.video,
    moderator: info.moderator,
    mediaServer: opts.mediaServer,
    memberId,
  });
  call.joined(participationId, memberId, opts.muted);
  // The caller may have hung up while the row was written; the teardown ran before it existed.
  if (call.isClosed()) await participations.close(participationId, 'caller-hangup');
}
