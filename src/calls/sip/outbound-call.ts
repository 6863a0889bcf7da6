import type { Logger } from '../../log';
import type { MediaServerPool } from '../../media/freeswitch/media-servers';
import type { Participations } from '../../meetings/participations';
import type { CallRegistry } from '../call-registry';
import { classify, type DialOutcome } from '../dial-out/retry-policy';
import { dialMedia } from '../steps/dial-media';
import { joinAnswered } from '../steps/join-answered';
import type { SentRequest, SipDialog, SrfApp } from './srf-types';

export interface DialTarget {
  meetingId: string;
  siteId: string | null;
  name: string;
  /** SIP URI to call: the site's registered contact or its directory address. */
  uri: string;
  moderator: boolean;
  muted: boolean;
}

export interface DialResult {
  outcome: DialOutcome;
  status: number | null;
  callId: string | null;
  detail: string | null;
}

export interface OutboundDeps {
  srf: SrfApp;
  media: MediaServerPool;
  calls: CallRegistry;
  participations: Participations;
  conferenceProfile: string;
  sipDomain: string;
  ringTimeoutMs: number;
  log: Logger;
}

/**
 * Calls a room system into its meeting: FreeSWITCH makes the offer (a 3PCC endpoint), the site
 * answers, FreeSWITCH gets the answer, the call joins the conference. Resolves once the attempt is
 * over — answered and joined, or failed with an outcome for the retry policy. Nothing is left behind
 * by a failed attempt.
 */
export async function placeCall(deps: OutboundDeps, target: DialTarget, room: number): Promise<DialResult> {
  let log = deps.log.child({ meetingId: target.meetingId, siteId: target.siteId, target: target.uri });
  const media = await dialMedia(deps.media, deps.calls, target.meetingId);
  if ('outcome' in media) return media;
  const { lease, endpoint } = media;

  let sent: SentRequest | undefined;
  let timedOut = false;
  const ring = setTimeout(() => {
    timedOut = true;
    sent?.cancel();
  }, deps.ringTimeoutMs);
  let dialog: SipDialog;
  try {
    dialog = await deps.srf.createUAC(
      target.uri,
      {
        localSdp: endpoint.local.sdp,
        headers: {
          From: `"${room}" <sip:${room}@${deps.sipDomain}>`,
          'User-Agent': 'diemcau',
        },
      },
      {
        cbRequest: (_err, req) => {
          sent = req;
          if (timedOut) req.cancel();
        },
      },
    );
  } catch (err) {
    clearTimeout(ring);
    await endpoint.destroy().catch(() => undefined);
    lease.release();
    const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : undefined;
    const outcome = classify({ ...(status !== undefined && !timedOut ? { status } : {}), timedOut, transportError: status === undefined && !timedOut });
    return { outcome, status: status ?? null, callId: sent?.get('Call-ID') ?? null, detail: timedOut ? `no answer within ${deps.ringTimeoutMs / 1000} s` : (err as Error).message };
  }
  clearTimeout(ring);

  const callId = dialog.sip.callId;
  log = log.child({ callId });
  const call = deps.calls.start(
    {
      callId,
      meetingId: target.meetingId,
      siteId: target.siteId,
      displayName: target.name,
      source: target.uri,
      moderator: target.moderator,
      protocol: 'sip',
      direction: 'out',
    },
    log,
  );
  call.attachMedia(lease, endpoint);
  call.attachDialog(dialog);
  return joinAnswered(call, endpoint, dialog.remote.sdp, { profile: deps.conferenceProfile, muted: target.muted, mediaServer: lease.serverId }, deps.participations);
}
