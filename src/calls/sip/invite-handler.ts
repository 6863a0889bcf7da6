import type { Site } from '../../directory/site.entity';
import type { Logger } from '../../log';
import type { MediaEndpoint } from '../../media/freeswitch/media-endpoint';
import type { CallPlacement } from '../cascade/cascade';
import type { Meeting } from '../../meetings/meeting.entity';
import type { Participations } from '../../meetings/participations';
import { verifyJoinToken } from '../../access/join-tokens';
import { isWebRtcOffer, type MediaRelay, type RelayKeys } from '../../media/rtpengine';
import type { AdmissionPolicy } from '../admission';
import type { InFlight } from '../in-flight';
import type { Call } from '../call';
import type { CallRegistry } from '../call-registry';
import { applyProfile, type DeviceProfile } from '../device-profile';
import { parseDialledRoom } from '../dialled-room';
import { admit, openEndpoint, startCall, type IncomingCall, type Refusal } from '../incoming-call';
import { relaySipKeyframes, type SipKeyframes } from '../keyframes';
import type { CallLookups } from '../lookups';
import { isScanner } from '../scanners';
import { checkOffer } from '../sdp';
import { joinMeeting } from '../steps/join-meeting';
import { moveSipCall } from './move-call';
import { buildContentAnswer, splitContentOffer } from '../content/content-sdp';
import { BrowserContentSession } from './browser-content';
import { RoomContent, type SipContent } from './room-content';
import type { SipAuthenticator } from './sip-authenticator';
import type { SipDialog, SipRequest, SipResponse, SrfApp } from './srf-types';
import { addressUser, uriUser } from './uri-user';

/** Asks a caller answered without a PIN for it; resolves `ok` to let them in. */
export type PinCollector = (endpoint: MediaEndpoint, meeting: Meeting, signal: AbortSignal) => Promise<'ok' | 'failed'>;

export interface InviteDeps {
  srf: SrfApp;
  lookups: Pick<CallLookups, 'roomBookings' | 'siteForSource' | 'isSiteUsername'>;
  auth: Pick<SipAuthenticator, 'authenticate' | 'challenge' | 'blocked' | 'failures'>;
  calls: CallRegistry;
  placement: CallPlacement;
  participations: Pick<Participations, 'open' | 'close'>;
  policy: AdmissionPolicy;
  conferenceProfile: string;
  collectPin: PinCollector;
  log: Logger;
  now?: () => Date;
  /** When false (shutting down), new calls get 503 with Retry-After. */
  accepting?: () => boolean;
  /** rtpengine, for browser (WebRTC) calls; null when none is configured. */
  relays: { pick(keys: RelayKeys): MediaRelay | undefined } | null;
  /** HMAC secret of the join tokens browser guests present in X-Join-Token. */
  joinTokenSecret: string | null;
  /** Told the final status of every INVITE (metrics). */
  countSetup?: (status: number) => void;
  /** Content sharing (BFCP and content lines); null: content lines are refused. */
  content: SipContent | null;
  /** Call set-ups in flight across the bridge: calls moving to another media server wait their turn. */
  setups: Pick<InFlight, 'run'>;
}

/**
 * An INVITE to the bridge, from arrival to "in the conference": route by room number, identify the
 * caller, apply the meeting's rules, then media, answer, optional PIN, join, record. Every refusal is
 * a final response with a Warning saying why; every failure after resources were taken goes through
 * Call.close.
 */
export function inviteHandler(deps: InviteDeps) {
  const now = deps.now ?? (() => new Date());
  return async (req: SipRequest, res: SipResponse): Promise<void> => {
    const callId = req.get('Call-ID') ?? '';
    const source = req.source_address;
    let log = deps.log.child({ callId, source: `${source}:${req.source_port}` });
    const refuse = (status: number, phrase: string, why: string, headers: Record<string, string> = {}) => {
      log.info({ status, why }, 'call refused');
      deps.countSetup?.(status);
      if (!res.finalResponseSent) {
        res.send(status, phrase, {
          headers: { Warning: `399 diemcau "${why.replace(/["\\]/g, '')}"`, Reason: `SIP;cause=${status};text="${phrase}"`, ...headers },
        });
      }
    };
    const refuseWith = (r: Refusal) => refuse(r.status, r.phrase, r.why, r.retryAfter === undefined ? {} : { 'Retry-After': String(r.retryAfter) });
    let call: Call | undefined;
    try {
      if (deps.accepting && !deps.accepting()) return refuse(503, 'Service Unavailable', 'the bridge is restarting', { 'Retry-After': '30' });
      if (isScanner(req.get('User-Agent'))) {
        deps.auth.failures.fail(source);
        return refuse(403, 'Forbidden', 'scanner');
      }
      if (deps.auth.blocked(source)) return refuse(403, 'Forbidden', 'too many failed authentications from this address');
      const contentOf = req.get('X-Content-Of');
      if (contentOf !== undefined) {
        const main = deps.calls.get(contentOf);
        // Only the page's own connection may add content to its call: the Call-ID and the WebSocket's address both name it.
        if (main?.state !== 'joined' || main.info.protocol !== 'webrtc' || main.info.source !== `${source}:${req.source_port}`)
          return refuse(403, 'Forbidden', 'X-Content-Of does not name a call of this connection in a meeting');
        if (!deps.content || !deps.relays) return refuse(488, 'Not Acceptable Here', 'content sharing is not available on this bridge');
        if (!isWebRtcOffer(req.body ?? '')) return refuse(488, 'Not Acceptable Here', 'a content session from the browser must be WebRTC');
        const relay = deps.relays.pick({ callId, fromTag: tagOf(req.get('From')) });
        if (!relay) return refuse(503, 'Service Unavailable', 'no media relay (rtpengine) is available for browser calls', { 'Retry-After': '10' });
        log = main.log.child({ contentCallId: callId });
        try {
          await BrowserContentSession.answer(deps.srf, deps.content.hub, main, relay, req, res);
          log.info('browser content session answered');
        } catch (err) {
          refuse(488, 'Not Acceptable Here', `the content session was refused: ${(err as Error).message}`);
        }
        return;
      }
      const target = uriUser(req.uri);
      if (target.kind === 'malformed')
        return refuse(404, 'Not Found', `the dialled user part is malformed (${target.why}): dial a room number, e.g. sip:2001@bridge`);
      // Read before it is needed so that a bad From is refused the same way whatever the meeting's state.
      const from = addressUser(req.get('From'));
      if (from.kind === 'malformed') return refuse(400, 'Bad Request', `the From user part is malformed (${from.why})`);
      const dialled = target.kind === 'user' ? parseDialledRoom(target.user) : undefined;
      if (!dialled) return refuse(404, 'Not Found', 'dial a room number, e.g. sip:2001@bridge');

      const at = now();
      const bookings = await deps.lookups.roomBookings(dialled.room, at, deps.policy.openBeforeMs);
      const meeting = bookings.current?.meeting;
      log = log.child({ meetingId: meeting?.id, room: dialled.room });

      let site: Site | null = null;
      let tokenName: string | null = null;
      const token = req.get('X-Join-Token');
      if (meeting && token) {
        const verified = deps.joinTokenSecret ? verifyJoinToken(deps.joinTokenSecret, token, { room: dialled.room, now: at }) : null;
        if (!verified?.ok || verified.claims.meetingId !== meeting.id) {
          deps.auth.failures.fail(source);
          return refuse(403, 'Forbidden', `the join token is not valid for this meeting${verified && !verified.ok ? ` (${verified.reason})` : ''}`);
        }
        tokenName = verified.claims.name;
      } else if (meeting) {
        const outcome = await deps.auth.authenticate('INVITE', req.get('Proxy-Authorization'), source, req.uri);
        if (outcome.kind === 'forbidden') return refuse(403, 'Forbidden', outcome.why);
        if (outcome.kind === 'challenge') {
          deps.countSetup?.(407);
          res.send(407, 'Proxy Authentication Required', { headers: { 'Proxy-Authenticate': outcome.header } });
          return;
        }
        site = outcome.kind === 'site' ? outcome.site : await deps.lookups.siteForSource(source);
        // A caller presenting a directory site's SIP username is asked to prove it, even where
        // guests may enter: otherwise a site signing in from the browser would come in as a guest.
        const claimsSite = !site && outcome.kind === 'none' && from.kind === 'user' && (await deps.lookups.isSiteUsername(from.user));
        if ((!site && !meeting.allowGuests) || claimsSite) {
          // Not recognised by its address: a room system with credentials can still prove who it is.
          deps.countSetup?.(407);
          res.send(407, 'Proxy Authentication Required', { headers: { 'Proxy-Authenticate': deps.auth.challenge() } });
          return;
        }
      }

      const webrtc = isWebRtcOffer(req.body ?? '');
      const incoming: IncomingCall = {
        callId,
        protocol: webrtc ? 'webrtc' : 'sip',
        dialled,
        source: `${source}:${req.source_port}`,
        site,
        tokenName,
        displayName: displayNameOf(req.get('From')) ?? null,
        canCollectPin: true,
        bookings,
        at,
      };
      const admitted = admit(deps, incoming);
      if (admitted.kind === 'refused') return refuseWith(admitted);
      const offer = checkOffer(req.body ?? '');
      if (!offer.ok) return refuse(488, 'Not Acceptable Here', offer.why);
      if (!req.body?.trim()) return refuse(488, 'Not Acceptable Here', 'send an SDP offer in the INVITE');
      const relay = webrtc ? deps.relays?.pick({ callId, fromTag: tagOf(req.get('From')) }) : undefined;
      if (webrtc && !relay) return refuse(503, 'Service Unavailable', 'no media relay (rtpengine) is available for browser calls', { 'Retry-After': '10' });
      const started = startCall(deps, incoming, admitted, log);
      if (started.kind === 'refused') {
        await relay?.delete().catch(() => undefined);
        return refuseWith(started);
      }
      const { decision, device } = started;
      const current = started.call;
      call = current;
      if (relay) current.attachRelay(relay);
      req.on('cancel', () => void current.close('caller-hangup'));

      // A browser's ICE/DTLS-SRTP offer becomes plain RTP for FreeSWITCH, and its answer SRTP again.
      // A site's offer is rewritten to its device profile, so FreeSWITCH reads the site's line rate (b=).
      // A room system's content and BFCP lines are the bridge's to answer; FreeSWITCH gets the rest.
      const split = relay ? null : splitContentOffer(req.body);
      const endpoint = await openEndpoint(started, {
        remoteSdp: relay ? await relay.offerToFreeswitch(req.body) : applyProfile(split?.main ?? req.body, device),
      });
      if ('kind' in endpoint) return refuseWith(endpoint);
      if (current.isClosed()) return;
      const content = split?.content && deps.content ? await RoomContent.open(current, deps.content, split.content) : null;
      if (current.isClosed()) return;
      let answer: string;
      try {
        if (relay) answer = await relay.answerToBrowser(endpoint.localSdp);
        else if (split?.content) answer = contentAnswer(content, req.body, applyProfile(endpoint.localSdp, device));
        else answer = applyProfile(endpoint.localSdp, device);
      } catch (err) {
        await current.close('media-failure');
        return refuse(488, 'Not Acceptable Here', `the media relay refused the answer: ${(err as Error).message}`);
      }

      let dialog: SipDialog;
      try {
        dialog = await deps.srf.createUAS(req, res, { localSdp: answer });
      } catch (err) {
        // Most often the caller cancelled while the endpoint was being made.
        log.info({ err: (err as Error).message }, 'answer failed');
        await current.close('caller-hangup');
        return;
      }
      current.attachDialog(dialog);
      deps.countSetup?.(200);
      if (current.isClosed()) return;
      // The call's content after a move to another media server is a new one.
      let room = content;
      dialog.on('modify', (mreq, mres) => void reinvite(current, device, room, mreq, mres));
      const onInfo = (ireq: SipRequest, ires: SipResponse): void => void relayInfo(current, ireq, ires);
      const fromBridge = (ep: MediaEndpoint): void => ep.onReinvite((offer) => reinviteFromBridge(current, dialog, device, offer));
      fromBridge(endpoint);
      // Browsers ask for keyframes over RTCP (through rtpengine); room systems may use INFO.
      let keyframes: SipKeyframes | null = null;
      if (webrtc) dialog.on('info', onInfo);
      else {
        keyframes = relaySipKeyframes(endpoint, dialog, log, onInfo);
        const leg = content?.leg;
        if (leg) keyframes.alsoFor((toRoom) => leg.relayKeyframes(toRoom));
      }
      // Its media server dying, the call keeps its dialog (and a browser its rtpengine session).
      current.movable((c) =>
        moveSipCall(c, deps, {
          dialog,
          device,
          region: site?.region ?? null,
          withContent: content !== null,
          keyframes,
          onMoved: (ep, moved) => {
            room = moved;
            fromBridge(ep);
          },
        }),
      );

      if (decision.pin === 'collect') {
        if ((await deps.collectPin(endpoint, started.meeting, current.signal)) !== 'ok') {
          log.info('PIN not entered; hanging up');
          await current.close('bridge-hangup');
          return;
        }
        if (current.isClosed()) return;
      }
      await joinMeeting(
        current,
        endpoint,
        { profile: deps.conferenceProfile, muted: decision.muted, mediaServer: started.lease.serverId, device },
        deps.participations,
      );
      await content?.joined();
      log.info(
        {
          memberId: current.memberId,
          site: site?.name,
          moderator: decision.moderator,
          codecs: current.codecs,
          content: content?.leg !== null && content !== null,
        },
        'caller joined',
      );
    } catch (err) {
      log.error({ err }, 'call setup failed');
      if (call) await call.close('media-failure');
      refuse(500, 'Server Internal Error', 'the bridge failed to set up the call');
    }
  };
}

/**
 * Re-INVITE from the caller (hold, resume, codec change, a browser muting video or restarting ICE):
 * pass the SDP to FreeSWITCH — through the same rtpengine session for a browser — and answer with
 * FreeSWITCH's; both held to the site's device profile, as the first offer and answer were.
 */
async function reinvite(call: Call, device: DeviceProfile | null, content: RoomContent | null, req: SipRequest, res: SipResponse): Promise<void> {
  const endpoint = call.endpoint;
  if (!endpoint) {
    // Moving to another media server: the caller may offer again once the bridge's re-INVITE is done.
    res.send(491, 'Request Pending');
    return;
  }
  try {
    if (!req.body?.trim()) {
      res.send(200, { body: applyProfile(endpoint.localSdp, device) });
      return;
    }
    const relay = call.relay;
    if (!relay && content) {
      // Both channels take their part of the re-offer; the answer keeps the offer's lines in order.
      const { main, contentAnswer } = await content.reoffer(req.body);
      const fsAnswer = await endpoint.modify(applyProfile(main, device));
      res.send(200, { body: content.reanswer(req.body, applyProfile(fsAnswer, device), contentAnswer) });
      call.log.info({ direction: /a=(sendonly|inactive)/.exec(req.body)?.[1] ?? 'sendrecv' }, 're-INVITE');
      return;
    }
    const offer = relay ? await relay.reofferFromBrowser(req.body) : applyProfile(splitContentOffer(req.body).main, device);
    const fsAnswer = await endpoint.modify(offer);
    const answer = relay ? await relay.reanswerFromFreeswitch(fsAnswer) : applyProfile(fsAnswer, device);
    res.send(200, { body: answer });
    call.log.info({ direction: /a=(sendonly|inactive)/.exec(req.body)?.[1] ?? 'sendrecv' }, 're-INVITE');
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, 're-INVITE refused');
    res.send(488, 'Not Acceptable Here');
  }
}

/**
 * Re-INVITE from FreeSWITCH (a media renegotiation): offer it to the caller — through the same
 * rtpengine session for a browser — and give FreeSWITCH the caller's answer (device profile applied
 * both ways). A rejection is answered 488 to FreeSWITCH.
 */
async function reinviteFromBridge(call: Call, callerDialog: SipDialog, device: DeviceProfile | null, fsOffer: string): Promise<string> {
  try {
    const relay = call.relay;
    const offer = relay ? await relay.reofferFromFreeswitch(fsOffer) : applyProfile(fsOffer, device);
    const callerAnswer = await callerDialog.modify(offer);
    const answer = relay ? await relay.reanswerFromBrowser(callerAnswer) : applyProfile(callerAnswer, device);
    call.log.info('re-INVITE from the bridge passed to the caller');
    return answer;
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, 're-INVITE from the bridge refused');
    throw err;
  }
}

/** SIP INFO digits (application/dtmf-relay) go on to FreeSWITCH, which hears them as DTMF. */
async function relayInfo(call: Call, req: SipRequest, res: SipResponse): Promise<void> {
  const type = req.get('Content-Type') ?? '';
  if (!/^application\/(dtmf-relay|dtmf)\b/i.test(type)) {
    res.send(200);
    return;
  }
  try {
    const endpoint = call.endpoint;
    if (!endpoint) throw new Error('the call has no media server at the moment');
    await endpoint.info(type, req.body);
    res.send(200);
  } catch (err) {
    call.log.warn({ err: (err as Error).message }, 'INFO relay failed');
    res.send(500);
  }
}

/** With content lines in the offer: the bridge's answer to all of them (refused where nothing took them). */
function contentAnswer(content: RoomContent | null, offer: string, mainAnswer: string): string {
  return content ? content.answer(offer, mainAnswer) : buildContentAnswer({ offer, mainAnswer, contentAnswer: null, bfcp: null });
}

function tagOf(header: string | undefined): string {
  return /;\s*tag=([^;>\s]+)/i.exec(header ?? '')?.[1] ?? '';
}

function displayNameOf(from: string | undefined): string | undefined {
  const m = /^\s*"((?:[^"\\]|\\.)*)"/.exec(from ?? '') ?? /^\s*([^<"]+?)\s*</.exec(from ?? '');
  const name = m?.[1]?.replace(/\\(.)/g, '$1').trim();
  return name || undefined;
}
