import type { MediaEndpoint } from '../../media/freeswitch/media-endpoint';
import type { Participations } from '../../meetings/participations';
import type { Call } from '../call';
import { freeswitchVariables, type DeviceProfile } from '../device-profile';
import { negotiated } from '../sdp';

/**
 * Puts an answered call into its meeting's conference and records the participation — the last
 * step of every way in (dial-in, dial-out, browser). A site's device profile becomes channel
 * variables first: mod_conference reads them as the member is added, to choose its video encoder.
 */
export async function joinMeeting(
  call: Call,
  endpoint: MediaEndpoint,
  opts: { profile: string; muted: boolean; mediaServer: string; device?: DeviceProfile | null },
  participations: Pick<Participations, 'open' | 'close'>,
): Promise<void> {
  const { info } = call;
  const vars = freeswitchVariables(opts.device ?? null);
  if (Object.keys(vars).length) {
    await endpoint.set(vars);
    call.log.info({ device: opts.device, vars }, 'device profile applied to the media leg');
  }
  call.codecs = negotiated(endpoint.localSdp);
  // Rejects when the conference has not taken the call within 10 s.
  const memberId = await endpoint.join(info.meetingId, {
    profile: opts.profile,
    moderator: info.moderator,
    muted: opts.muted,
    noVideo: call.codecs.video === null,
  });
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
    sipDialog: call.sipDialogId,
  });
  call.joined(participationId, memberId, opts.muted);
  // The caller may have hung up while the row was written; the teardown ran before it existed.
  if (call.isClosed()) await participations.close(participationId, 'caller-hangup');
}
