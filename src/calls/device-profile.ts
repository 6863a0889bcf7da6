/**
 * A site's device profile — the H.264 packetization mode its room system takes and its line rate —
 * in SDP, H.245 and FreeSWITCH terms. Pure: no I/O, so every rule here is unit-tested.
 *
 * Where the bandwidth goes in SDP (RFC 4566 §5.8, RFC 3890):
 * - session level `b=AS:<line rate>`: the whole call, audio included. Room systems read it as the
 *   call rate they dial at; FreeSWITCH ignores it.
 * - video m-line `b=AS:<video share>` and `b=TIAS:<video share without packet headers>`: what the
 *   video stream may use. FreeSWITCH reads only this one (media-level b= of an offer, TIAS over AS:
 *   switch_core_media.c, `m->m_bandwidths`), and RFC 3890 makes TIAS the one that does not depend
 *   on the transport.
 */
import { sdpEol, sdpSections } from './sdp';

export type PacketizationMode = 0 | 1;

export interface DeviceProfile {
  /** RFC 6184 packetization mode the site decodes; null: whatever the call negotiates. */
  packetizationMode: PacketizationMode | null;
  /** The site's line rate, kbit/s, for everything in the call; null: no cap. */
  bandwidthKbps: number | null;
}

/** The profile of a directory site; null when it sets nothing, so the call goes as it always did. */
export function deviceProfile(
  site: { h264PacketizationMode: PacketizationMode | null; bandwidthKbps: number | null } | null | undefined,
): DeviceProfile | null {
  if (!site || (site.h264PacketizationMode === null && site.bandwidthKbps === null)) return null;
  return { packetizationMode: site.h264PacketizationMode, bandwidthKbps: site.bandwidthKbps };
}

/**
 * Kept for audio out of the line rate: G.722/G.711 are 64 kbit/s of payload, 80 on the wire in
 * 20 ms packets (50 a second × 40 bytes of IPv4, UDP and RTP headers); Opus uses less. Below
 * 160 kbit/s a line is split evenly: video gets something, and audio does not fit anyway without a
 * narrower codec, which the bridge does not have.
 */
const AUDIO_KBPS = 80;

/** The video share of a line rate, kbit/s on the wire (headers included, as b=AS counts). */
export function videoKbps(lineKbps: number): number {
  return lineKbps - Math.min(AUDIO_KBPS, Math.floor(lineKbps / 2));
}

/**
 * mod_av sends full RTP packets of 1200 bytes of H.264 (rtp-slice-size, avcodec.conf.xml); each
 * carries 40 bytes of IPv4, UDP and RTP headers. TIAS leaves them out (RFC 3890 §6.2).
 */
const SLICE_BYTES = 1200;
const HEADER_BYTES = 40;

export function videoTiasBps(videoKbpsOnWire: number): number {
  return Math.floor((videoKbpsOnWire * 1000 * SLICE_BYTES) / (SLICE_BYTES + HEADER_BYTES));
}

/**
 * FreeSWITCH's video bandwidth for an H.264 bitrate. mod_av (avcodec.c, open_encoder) gives x264
 * three times the value in units of 1024 bit/s as both its target and its ceiling
 * (`bandwidth *= 3; bit_rate = rc_max_rate = bandwidth * 1024`), but also a time base of 1/90 s
 * with the frame count as timestamps, so x264 budgets each frame as if 90 came a second. The
 * conference sends at most 30 (conference.conf.xml video-fps): the two cancel, and the stream
 * peaks at value × 1024 bit/s. Measured: 357 → 348 kbit/s, 100 → 103 kbit/s of RTP.
 */
const MOD_AV_RATE_FACTOR = 1024;

export function freeswitchVideoKbps(videoKbpsOnWire: number): number {
  return Math.max(1, Math.floor(videoTiasBps(videoKbpsOnWire) / MOD_AV_RATE_FACTOR));
}

/**
 * Channel variables for the site's FreeSWITCH leg, set before it joins the conference (mod_conference
 * reads them in conference_member.c when the member is added):
 * - `rtp_video_max_bandwidth_out`: the member's encoder bitrate; below the conference's
 *   video-codec-bandwidth it also gives the member an encoder of its own.
 * - `video_use_dedicated_encoder`: mode 0 needs an encoder of its own, because only per-channel
 *   encoders use avcodec.conf.xml's `H264` profile whose slices fit one RTP packet each; the shared
 *   conference encoder (profile `diemcau-conference`) keeps today's FU-A fragments for everyone else.
 * - `rtp_video_max_bandwidth_in`: the b=AS FreeSWITCH itself writes in SDP it generates.
 */
export function freeswitchVariables(profile: DeviceProfile | null): Record<string, string> {
  if (!profile) return {};
  const vars: Record<string, string> = {};
  if (profile.packetizationMode === 0) vars['video_use_dedicated_encoder'] = 'true';
  if (profile.bandwidthKbps !== null) {
    const video = videoKbps(profile.bandwidthKbps);
    vars['rtp_video_max_bandwidth_out'] = String(freeswitchVideoKbps(video));
    vars['rtp_video_max_bandwidth_in'] = String(video);
  }
  return vars;
}

/**
 * H.245 maxBitRate (GenericCapability, units of 100 bit/s) of the site's video: like TIAS, it
 * is the media's own bitrate, without packet headers. Undefined without a cap: the gateway's default holds.
 */
export function h245VideoMaxBitRate(profile: DeviceProfile | null): number | undefined {
  if (profile?.bandwidthKbps == null) return undefined;
  return Math.floor(videoTiasBps(videoKbps(profile.bandwidthKbps)) / 100);
}

/**
 * An SDP offer or answer rewritten to the site's profile — the same rules whichever side wrote it,
 * FreeSWITCH or the room system:
 * - every H.264 format of the video lines says the profile's packetization-mode;
 * - the line rate goes at session level, the video share on each video line (AS and TIAS), each
 *   never above what the SDP already said (a room system asking for less gets less).
 * Other lines are kept as they are, in order. Without a profile the SDP is returned untouched.
 */
export function applyProfile(sdp: string, profile: DeviceProfile | null): string {
  if (!profile || (profile.packetizationMode === null && profile.bandwidthKbps === null)) return sdp;
  const eol = sdpEol(sdp);
  const { session, media } = sdpSections(sdp);
  const line = profile.bandwidthKbps;
  const out = line === null ? session : withBandwidth(session, [`b=AS:${lower(session, line)}`]);
  for (const block of media) {
    if (!block[0]!.startsWith('m=video ') || /^m=video 0 /.test(block[0]!)) {
      out.push(...block);
      continue;
    }
    let video = profile.packetizationMode === null ? block : withPacketizationMode(block, profile.packetizationMode);
    if (line !== null) {
      const kbps = lower(video, videoKbps(line));
      video = withBandwidth(video, [`b=AS:${kbps}`, `b=TIAS:${videoTiasBps(kbps)}`]);
    }
    out.push(...video);
  }
  return `${out.join(eol)}${eol}`;
}

/** `kbps`, or the block's own b=AS when that is lower. */
function lower(block: readonly string[], kbps: number): number {
  const own = block.map((l) => /^b=AS:(\d+)/.exec(l)?.[1]).find(Boolean);
  return own ? Math.min(Number(own), kbps) : kbps;
}

/**
 * The block with its b= lines replaced by `bandwidth`, placed where RFC 4566 wants them: after
 * the i= and c= lines that follow the m= line (media), or right before t= (session).
 */
function withBandwidth(block: readonly string[], bandwidth: readonly string[]): string[] {
  const kept = block.filter((l) => !l.startsWith('b='));
  const isMedia = kept[0]!.startsWith('m=');
  let at: number;
  if (isMedia) {
    at = 1;
    while (at < kept.length && /^[ic]=/.test(kept[at]!)) at++;
  } else {
    at = kept.findIndex((l) => l.startsWith('t='));
    if (at < 0) at = kept.length;
  }
  return [...kept.slice(0, at), ...bandwidth, ...kept.slice(at)];
}

/** Sets packetization-mode on the fmtp of every H.264 format of a video block (adding the fmtp if missing). */
function withPacketizationMode(block: readonly string[], mode: PacketizationMode): string[] {
  const h264 = new Set(block.map((l) => /^a=rtpmap:(\d+) H264\/90000/i.exec(l)?.[1]).filter((pt): pt is string => !!pt));
  const out: string[] = [];
  const withFmtp = new Set<string>();
  for (const l of block) {
    const f = /^a=fmtp:(\d+) ?(.*)$/.exec(l);
    if (f && h264.has(f[1]!)) {
      withFmtp.add(f[1]!);
      const params = f[2]!
        .split(';')
        .map((p) => p.trim())
        .filter((p) => p && !/^packetization-mode=/i.test(p));
      out.push(`a=fmtp:${f[1]} ${[...params, `packetization-mode=${mode}`].join(';')}`);
      continue;
    }
    out.push(l);
  }
  for (const pt of h264) {
    if (withFmtp.has(pt)) continue;
    const at = out.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `));
    out.splice(at + 1, 0, `a=fmtp:${pt} packetization-mode=${mode}`);
  }
  return out;
}
