import type { Logger } from '../log';
import type { MediaEndpoint } from '../media/freeswitch/media-endpoint';
import { negotiated } from './sdp';
import type { SipDialog, SipRequest, SipResponse } from './sip/srf-types';

/**
 * Video keyframe requests between a call's far end and its FreeSWITCH channel. Room systems
 * without RTCP feedback ask with a SIP INFO (application/media_control+xml, RFC 5168
 * picture_fast_update), H.323 ones with H.245 videoFastUpdatePicture; FreeSWITCH answers such an
 * INFO by encoding a keyframe, and sends one itself — when it needs a decodable picture from the
 * far end — once `sofia_send_info_vid_refresh` is set on the channel. Only a call with video gets
 * it: FreeSWITCH asks every member for a picture whenever one joins, video or not, so a meeting of
 * audio-only sites would see an INFO per site per join (and each set costs a command and two events).
 * Browsers are left out: they ask with RTCP PLI/FIR, which rtpengine carries.
 */

export const MEDIA_CONTROL_TYPE = 'application/media_control+xml';
export const PICTURE_FAST_UPDATE =
  '<?xml version="1.0" encoding="utf-8" ?>\n<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>\n';

/** Requests closer together than this count as one: each keyframe is a burst of bandwidth for the whole codec group. */
export const KEYFRAME_MIN_INTERVAL_MS = 500;

export function isPictureFastUpdate(contentType: string | undefined, body: string | undefined): boolean {
  return /^\s*application\/media_control\+xml\b/i.test(contentType ?? '') && /<picture_fast_update\b/i.test(body ?? '');
}

/** A gate that opens at most once per `intervalMs`. */
export function rateGate(intervalMs: number, now: () => number = Date.now): () => boolean {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last < intervalMs) return false;
    last = t;
    return true;
  };
}

export interface KeyframeRelay {
  /** The far end asks for a keyframe of the video it receives: FreeSWITCH is to send one. */
  toFreeswitch(): void;
}

/**
 * Wires an endpoint's keyframe requests both ways: FreeSWITCH's INFO goes to `toFarEnd`, and the
 * relay passes the far end's requests on to FreeSWITCH, throttled.
 */
export function relayKeyframes(endpoint: MediaEndpoint, toFarEnd: () => void, log: Logger, opts: { video: boolean } = { video: true }): KeyframeRelay {
  endpoint.onInfo(({ contentType, body }) => {
    if (!isPictureFastUpdate(contentType, body)) return 415;
    log.debug('keyframe requested by FreeSWITCH');
    toFarEnd();
    return 200;
  });
  if (opts.video) {
    endpoint.set({ sofia_send_info_vid_refresh: 'true' }).catch((err: Error) => log.warn({ err: err.message }, 'FreeSWITCH keyframe requests not enabled'));
  }
  const gate = rateGate(KEYFRAME_MIN_INTERVAL_MS);
  return {
    toFreeswitch() {
      if (!gate()) return;
      log.debug('keyframe requested by the far end');
      endpoint
        .info(MEDIA_CONTROL_TYPE, PICTURE_FAST_UPDATE)
        .catch((err: Error) => log.info({ err: err.message }, 'keyframe request not delivered to FreeSWITCH'));
    },
  };
}

/**
 * A SIP room system's call: FreeSWITCH's requests reach the room system as the same INFO on its
 * dialog, and the room system's reach FreeSWITCH. Every other INFO on the dialog goes to `otherInfo`
 * (by default answered 200 and dropped).
 */
export function relaySipKeyframes(
  endpoint: MediaEndpoint,
  dialog: SipDialog,
  log: Logger,
  otherInfo: (req: SipRequest, res: SipResponse) => void = (_req, res) => res.send(200),
): SipKeyframes {
  const toRoom = (): void => {
    dialog
      .request({ method: 'INFO', headers: { 'Content-Type': MEDIA_CONTROL_TYPE }, body: PICTURE_FAST_UPDATE })
      .catch((err: Error) => log.info({ err: err.message }, 'keyframe request not delivered to the room system'));
  };
  // The room system's offer (dialled in) or answer (dialled out): FreeSWITCH asks an audio-only one for nothing.
  const forMain = (ep: MediaEndpoint): KeyframeRelay => relayKeyframes(ep, toRoom, log, { video: negotiated(dialog.remote.sdp).video !== null });
  const relays = [forMain(endpoint)];
  dialog.on('info', (req, res) => {
    if (!isPictureFastUpdate(req.get('Content-Type'), req.body)) return otherInfo(req, res);
    res.send(200);
    for (const relay of relays) relay.toFreeswitch();
  });
  return {
    alsoFor(wire) {
      relays.push(wire(toRoom));
    },
    moved(to) {
      relays.splice(0, relays.length, forMain(to));
    },
  };
}

/** A room system's keyframe requests, for its other FreeSWITCH channels. */
export interface SipKeyframes {
  /**
   * Another channel of the call (its content leg): FreeSWITCH's requests on it reach the room system
   * as the same INFO, and the room system's INFO reaches it too — RFC 5168's INFO names no stream, so
   * every stream of the call is refreshed.
   */
  alsoFor(wire: (toRoom: () => void) => KeyframeRelay): void;
  /** The call moved to another media server: its main channel is now `endpoint`, and its other channels are gone. */
  moved(endpoint: MediaEndpoint): void;
}
