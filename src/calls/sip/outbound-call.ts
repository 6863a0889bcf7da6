import type { Logger } from '../../log';
import type { CallPlacement } from '../cascade/cascade';
import type { Participations } from '../../meetings/participations';
import type { CallRegistry } from '../call-registry';
import type { InFlight } from '../in-flight';
import { cancelReason, cancelledResult } from '../dial-out/cancel';
import type { DialResult, DialTarget } from '../dial-out/dial';
import { classify } from '../dial-out/retry-policy';
import { applyProfile } from '../device-profile';
import { dialMedia } from '../steps/dial-media';
import { relaySipKeyframes } from '../keyframes';
import { joinAnswered, startAnswered } from '../steps/join-answered';
import { moveSipCall } from './move-call';
import { RoomContent, type OutgoingContent, type SipContent } from './room-content';
import type { SentRequest, SipDialog, SrfApp } from './srf-types';

export interface OutboundDeps {
  srf: SrfApp;
  placement: CallPlacement;
  calls: CallRegistry;
  participations: Pick<Participations, 'open' | 'close'>;
  conferenceProfile: string;
  sipDomain: string;
  ringTimeoutMs: number;
  log: Logger;
  /** Content sharing: a content line and a BFCP line in the offer; null: FreeSWITCH's offer alone. */
  content: SipContent | null;
  /** Call set-ups in flight across the bridge: calls moving to another media server wait their turn. */
  setups: Pick<InFlight, 'run'>;
}

/**
 * Calls a room system into its meeting: FreeSWITCH makes the offer (a 3PCC endpoint), the site
 * answers, FreeSWITCH gets the answer, the call joins the conference. Resolves once the attempt is
 * over — answered and joined, or failed with an outcome for the retry policy. Nothing is left behind
 * by a failed attempt.
 */
export async function placeCall(deps: OutboundDeps, target: DialTarget, room: number): Promise<DialResult> {
  let log = deps.log.child({ meetingId: target.meetingId, siteId: target.siteId, target: target.uri });
  const { signal } = target;
  const device = target.device ?? null;
  if (signal?.aborted) return cancelledResult(signal, { note: 'not dialled' });
  const media = await dialMedia(deps.placement, target);
  if ('outcome' in media) return media;
  const { lease, endpoint } = media;
  const mainOffer = applyProfile(endpoint.localSdp, device);
  let content: OutgoingContent | null = null;
  try {
    content =
      deps.content && (await RoomContent.offer(deps.content, deps.calls.mediaServerOf(target.meetingId) ?? lease.serverId, target.meetingId, mainOffer));
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'content not offered');
  }
  if (signal?.aborted) {
    await content?.abandon();
    await endpoint.hangUp().catch(() => undefined);
    lease.release();
    return cancelledResult(signal, { note: 'not dialled' });
  }

  let sent: SentRequest | undefined;
  let timedOut = false;
  /** We sent (or will send, once drachtio hands us the request) a CANCEL because the signal aborted. */
  let cancelled = false;
  const ring = setTimeout(() => {
    timedOut = true;
    if (!cancelled) sent?.cancel();
  }, deps.ringTimeoutMs);
  const onAbort = (): void => {
    if (timedOut || cancelled) return;
    cancelled = true;
    log.info({ reason: cancelReason(signal!) }, 'attempt called off while ringing: cancelling the INVITE');
    sent?.cancel();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let dialog: SipDialog;
  try {
    dialog = await deps.srf.createUAC(
      target.uri,
      {
        // FreeSWITCH's offer, held to the site's device profile (packetization mode, b= lines), with
        // the content and BFCP lines after it.
        localSdp: content?.sdp ?? mainOffer,
        headers: {
          From: `"${room}" <sip:${room}@${deps.sipDomain}>`,
          'User-Agent': 'diemcau',
        },
      },
      {
        cbRequest: (_err, req) => {
          sent = req;
          // The ring timeout or the abort came before drachtio had sent the INVITE.
          if (timedOut || cancelled) req.cancel();
        },
      },
    );
  } catch (err) {
    clearTimeout(ring);
    signal?.removeEventListener('abort', onAbort);
    await content?.abandon();
    await endpoint.hangUp().catch(() => undefined);
    lease.release();
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : undefined;
    const outcome = classify({
      ...(status !== undefined && !timedOut ? { status } : {}),
      timedOut,
      cancelled,
      transportError: status === undefined && !timedOut,
    });
    const callId = sent?.get('Call-ID') ?? null;
    if (outcome === 'cancelled' && signal) return cancelledResult(signal, { status: status ?? null, callId, note: 'cancelled while ringing' });
    return { outcome, status: status ?? null, callId, detail: timedOut ? `no answer within ${deps.ringTimeoutMs / 1000} s` : (err as Error).message };
  }
  clearTimeout(ring);
  signal?.removeEventListener('abort', onAbort);

  const callId = dialog.sip.callId;
  log = log.child({ callId });
  const call = startAnswered(deps.calls, target, { callId, protocol: 'sip', source: target.uri }, { lease, endpoint }, log);
  call.attachDialog(dialog);
  const keyframes = relaySipKeyframes(endpoint, dialog, log);
  const answered = content ? await content.answered(call, dialog.remote.sdp) : null;
  const leg = answered?.room.leg;
  if (leg) keyframes.alsoFor((toRoom) => leg.relayKeyframes(toRoom));
  call.movable((c) => moveSipCall(c, deps, { dialog, device, region: target.region ?? null, withContent: answered !== null, keyframes }));
  // Answered across our CANCEL, or just as the meeting ended: joinAnswered hangs it up (BYE) rather than joining.
  const result = await joinAnswered(
    call,
    endpoint,
    applyProfile(answered?.main ?? dialog.remote.sdp, device),
    { profile: deps.conferenceProfile, muted: target.muted, mediaServer: lease.serverId, device, ...(signal && { signal }) },
    deps.participations,
  );
  if (result.outcome === 'answered' && !call.isClosed()) await answered?.room.joined();
  return result;
}
