import { placeH323, type AnsweredCall, type Gatekeeper, type IpPort } from '../../h323';
import type { Logger } from '../../log';
import type { CallPlacement } from '../cascade/cascade';
import type { Participations } from '../../meetings/participations';
import type { CallRegistry } from '../call-registry';
import { cancelledResult } from '../dial-out/cancel';
import { classify } from '../dial-out/retry-policy';
import { applyProfile, deviceProfile, h245VideoMaxBitRate } from '../device-profile';
import { offerAddresses, sdpFor } from './sdp';
import { relayKeyframes } from '../keyframes';
import type { CallLookups } from '../lookups';
import type { DialResult, DialTarget } from '../dial-out/dial';
import { dialMedia } from '../steps/dial-media';
import { joinAnswered, startAnswered } from '../steps/join-answered';

export interface H323DialDeps {
  lookups: Pick<CallLookups, 'siteById'>;
  gatekeeper: Pick<Gatekeeper, 'findSite'>;
  placement: CallPlacement;
  calls: CallRegistry;
  participations: Pick<Participations, 'open' | 'close'>;
  conferenceProfile: string;
  ringTimeoutMs: number;
  log: Logger;
}

const H323_PORT = 1720;

/** `ip[:port]` (IPv4 only, as everything else in the gateway); undefined when it is not that. */
export function parseH323Address(text: string | null | undefined): IpPort | undefined {
  const m = /^\s*(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?\s*$/.exec(text ?? '');
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : H323_PORT;
  return port > 0 && port < 65536 ? { ip: m[1]!, port } : undefined;
}

/**
 * Calls an H.323 room system into its meeting: FreeSWITCH makes the offer (a 3PCC endpoint), its
 * addresses go out as fast-start proposals, the endpoint's Connect gives its own, FreeSWITCH gets
 * them as the answer, the call joins the conference. The H.323 twin of placeCall: same results,
 * and nothing is left behind by a failed attempt.
 */
export async function placeH323Call(deps: H323DialDeps, target: DialTarget, room: number): Promise<DialResult> {
  let log = deps.log.child({ meetingId: target.meetingId, siteId: target.siteId, protocol: 'h323' });
  const { signal } = target;
  const fail = (detail: string): DialResult => ({ outcome: 'failed', status: null, callId: null, detail });
  if (signal?.aborted) return cancelledResult(signal, { note: 'not dialled' });
  const site = target.siteId ? await deps.lookups.siteById(target.siteId) : null;
  const registration = target.siteId ? deps.gatekeeper.findSite(target.siteId) : undefined;
  // A registered endpoint said where it takes calls just now; the directory address may be stale.
  const to = registration?.callSignalAddress ?? parseH323Address(site?.h323Address);
  if (!to) return fail('the site is not registered with the gatekeeper and has no usable H.323 address');
  const destAlias = site?.h323Alias ?? registration?.aliases[0] ?? String(room);
  // What the dialer records as the attempt's target: its own guess cannot know the registration.
  const dialled = `h323:${destAlias}@${to.ip}:${to.port}`;
  log = log.child({ target: `${destAlias}@${to.ip}:${to.port}` });

  const media = await dialMedia(deps.placement, target);
  if ('outcome' in media) return { ...media, target: dialled };
  const { lease, endpoint } = media;
  const dropMedia = async (): Promise<void> => {
    await endpoint.hangUp().catch(() => undefined);
    lease.release();
  };
  if (signal?.aborted) {
    await dropMedia();
    return cancelledResult(signal, { target: dialled, note: 'not dialled' });
  }
  const device = deviceProfile(site);
  const ours = offerAddresses(endpoint.localSdp);
  const maxBitRate100bps = h245VideoMaxBitRate(device);
  if (!ours.audio) {
    await dropMedia();
    return { ...fail('the media server offered no audio format H.323 fast start can carry'), target: dialled };
  }

  let answered: AnsweredCall | undefined;
  const keyframes = relayKeyframes(endpoint, () => void answered?.requestKeyframe(), log);
  // Aborted while ringing, placeH323 releases the Setup (cause 16) and fails with 487.
  const result = await placeH323({
    to,
    destAlias,
    ourAlias: String(room),
    display: `Room ${room}`,
    audio: ours.audio,
    ...(ours.video ? { video: { ...ours.video, ...(maxBitRate100bps !== undefined && { maxBitRate100bps }) } } : {}),
    ringTimeoutMs: deps.ringTimeoutMs,
    ...(signal && { signal }),
    onKeyframeRequest: () => keyframes.toFreeswitch(),
    log,
  });
  if (result.kind === 'failed') {
    await dropMedia();
    const status = result.sipStatus;
    const outcome = classify({
      ...(status !== undefined ? { status } : {}),
      timedOut: result.timedOut,
      cancelled: signal?.aborted === true,
      transportError: status === undefined && !result.timedOut,
    });
    if (outcome === 'cancelled' && signal)
      return cancelledResult(signal, {
        status: status ?? null,
        target: dialled,
        note: result.reason === 'cancelled' ? 'cancelled while ringing' : result.reason,
      });
    return { outcome, status: status ?? null, callId: null, detail: result.reason, target: dialled };
  }

  answered = result;
  const { callId } = result;
  log = log.child({ callId });
  const call = startAnswered(deps.calls, target, { callId, protocol: 'h323', source: `${to.ip}:${to.port}` }, { lease, endpoint }, log);
  // However the bridge ends the call, the endpoint hears Release Complete; however the endpoint ends it, the call closes.
  call.signal.addEventListener('abort', () => result.hangup(), { once: true });
  void result.ended.then(({ cause }) => {
    if (call.isClosed()) return;
    log.info({ cause }, 'H.323 site hung up');
    void call.close('caller-hangup');
  });
  // Connected just as the meeting ended: joinAnswered closes the call, whose abort above sends Release Complete.
  const joined = await joinAnswered(
    call,
    endpoint,
    applyProfile(sdpFor(result.media), device),
    { profile: deps.conferenceProfile, muted: target.muted, mediaServer: lease.serverId, device, ...(signal && { signal }) },
    deps.participations,
  );
  return { ...joined, target: dialled };
}
