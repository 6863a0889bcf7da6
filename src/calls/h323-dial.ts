import type { DataSource } from 'typeorm';
import { SiteEntity } from '../directory/site.entity';
import { placeH323, type AudioCodecName, type Gatekeeper, type IpPort } from '../h323';
import type { Logger } from '../log';
import type { MediaServerPool } from '../media/freeswitch/media-servers';
import type { Participations } from '../meetings/participations';
import type { CallRegistry } from './call-registry';
import { classify } from './dial-out/retry-policy';
import { sdpFor } from './h323-sink';
import type { DialResult, DialTarget } from './sip/outbound-call';
import { dialMedia } from './steps/dial-media';
import { joinAnswered } from './steps/join-answered';

export interface H323DialDeps {
  ds: DataSource;
  gatekeeper: Pick<Gatekeeper, 'findSite'>;
  media: MediaServerPool;
  calls: CallRegistry;
  participations: Participations;
  conferenceProfile: string;
  ringTimeoutMs: number;
  log: Logger;
}

const H323_PORT = 1720;
const AUDIO: readonly AudioCodecName[] = ['PCMU', 'PCMA', 'G722'];

/** `ip[:port]` (IPv4 only, as everything else in the gateway); undefined when it is not that. */
export function parseH323Address(text: string | null | undefined): IpPort | undefined {
  const m = /^\s*(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?\s*$/.exec(text ?? '');
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : H323_PORT;
  return port > 0 && port < 65536 ? { ip: m[1]!, port } : undefined;
}

/** FreeSWITCH's 3PCC offer in H.323 terms: where it receives, and the formats it takes. */
export function offerAddresses(sdp: string): { audio?: IpPort & { codecs: AudioCodecName[] }; video?: IpPort & { payloadType: number } } {
  const sessionIp = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1];
  const blocks = sdp.split(/\r?\n(?=m=)/).slice(1);
  const block = (kind: string) => blocks.find((b) => b.startsWith(`m=${kind} `));
  const at = (b: string): IpPort | undefined => {
    const port = Number(/^m=\w+ (\d+)/.exec(b)?.[1] ?? 0);
    const ip = /^c=IN IP4 (\S+)/m.exec(b)?.[1] ?? sessionIp;
    return port > 0 && ip ? { ip, port } : undefined;
  };
  const out: { audio?: IpPort & { codecs: AudioCodecName[] }; video?: IpPort & { payloadType: number } } = {};
  const a = block('audio');
  const aAt = a && at(a);
  if (a && aAt) {
    const pts = /^m=audio \d+ \S+ (.*)$/m.exec(a)?.[1]?.trim().split(/\s+/) ?? [];
    const names = pts.map((pt) => new RegExp(`^a=rtpmap:${pt} ([^/\\s]+)`, 'm').exec(a)?.[1]?.toUpperCase() ?? ({ '0': 'PCMU', '8': 'PCMA', '9': 'G722' } as Record<string, string>)[pt]);
    // In FreeSWITCH's order, only the formats fast start can carry.
    const codecs = names.filter((n): n is AudioCodecName => AUDIO.includes(n as AudioCodecName));
    if (codecs.length) out.audio = { ...aAt, codecs: [...new Set(codecs)] };
  }
  const v = block('video');
  const vAt = v && at(v);
  const h264 = v && /^a=rtpmap:(\d+) H264\/90000/im.exec(v)?.[1];
  if (vAt && h264) out.video = { ...vAt, payloadType: Number(h264) };
  return out;
}

/**
 * Calls an H.323 room system into its meeting: FreeSWITCH makes the offer (a 3PCC endpoint), its
 * addresses go out as fast-start proposals, the endpoint's Connect gives its own, FreeSWITCH gets
 * them as the answer, the call joins the conference. The H.323 twin of placeCall: same results,
 * and nothing is left behind by a failed attempt.
 */
export async function placeH323Call(deps: H323DialDeps, target: DialTarget, room: number): Promise<DialResult> {
  let log = deps.log.child({ meetingId: target.meetingId, siteId: target.siteId, protocol: 'h323' });
  const fail = (detail: string): DialResult => ({ outcome: 'failed', status: null, callId: null, detail });
  const site = target.siteId ? await deps.ds.manager.findOneBy(SiteEntity, { id: target.siteId }) : null;
  const registration = target.siteId ? deps.gatekeeper.findSite(target.siteId) : undefined;
  // A registered endpoint said where it takes calls just now; the directory address may be stale.
  const to = registration?.callSignalAddress ?? parseH323Address(site?.h323Address);
  if (!to) return fail('the site is not registered with the gatekeeper and has no usable H.323 address');
  const destAlias = site?.h323Alias ?? registration?.aliases[0] ?? String(room);
  log = log.child({ target: `${destAlias}@${to.ip}:${to.port}` });

  const media = await dialMedia(deps.media, deps.calls, target.meetingId);
  if ('outcome' in media) return media;
  const { lease, endpoint } = media;
  const dropMedia = async (): Promise<void> => {
    await endpoint.destroy().catch(() => undefined);
    lease.release();
  };
  const ours = offerAddresses(endpoint.local.sdp);
  if (!ours.audio) {
    await dropMedia();
    return fail('the media server offered no audio format H.323 fast start can carry');
  }

  const result = await placeH323({
    to, destAlias, ourAlias: String(room), display: `Room ${room}`, audio: ours.audio, ...(ours.video ? { video: ours.video } : {}),
    ringTimeoutMs: deps.ringTimeoutMs, log,
  });
  if (result.kind === 'failed') {
    await dropMedia();
    const outcome = classify({ ...(result.sipStatus !== undefined ? { status: result.sipStatus } : {}), timedOut: result.timedOut, transportError: result.sipStatus === undefined && !result.timedOut });
    return { outcome, status: result.sipStatus ?? null, callId: null, detail: result.reason };
  }

  const { callId } = result;
  log = log.child({ callId });
  const call = deps.calls.start(
    { callId, meetingId: target.meetingId, siteId: target.siteId, displayName: target.name, source: `${to.ip}:${to.port}`, moderator: target.moderator, protocol: 'h323', direction: 'out' },
    log,
  );
  call.attachMedia(lease, endpoint);
  // However the bridge ends the call, the endpoint hears Release Complete; however the endpoint ends it, the call closes.
  call.signal.addEventListener('abort', () => result.hangup(), { once: true });
  void result.ended.then(({ cause }) => {
    if (call.isClosed()) return;
    log.info({ cause }, 'H.323 site hung up');
    void call.close('caller-hangup');
  });
  return joinAnswered(call, endpoint, sdpFor(result.media), { profile: deps.conferenceProfile, muted: target.muted, mediaServer: lease.serverId }, deps.participations);
}
