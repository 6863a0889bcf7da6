import type Srf from 'drachtio-srf';
import { withContentLines } from '../../test/support/content-room';
import { withH264Video } from '../../test/support/h264-peer';
import type { SitePorts } from './content-receivers';
import { benchPassword, benchUser } from './sites';

/**
 * The content bench's room systems as SIP sees them: the offer a site makes and the calls themselves.
 * A site offers audio (PCMU) and a main H.264 line, and with a content port a content line and BFCP
 * over UDP the way test/support/content-room.ts writes them. The bridge needs the main line to tell
 * the content line apart; a receiver's main line is port 0 (declined) unless it has a main port, so
 * that the main conference does not encode a picture for every receiver.
 */

const H264_FMTP = 'profile-level-id=42e01f;packetization-mode=1';

export function siteOffer(n: number, ports: SitePorts): string {
  const audio = [
    'v=0',
    `o=bench-${n} ${n} 1 IN IP4 127.0.0.1`,
    's=diemcau content bench',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${ports.audio ?? 0} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
  const sdp = withH264Video(audio, { port: ports.main ?? 0, fmtp: H264_FMTP });
  return ports.content ? withContentLines(sdp, ports.content, 'udp') : sdp;
}

/** Dials room `room` as bench site n (digest credentials of bench/lib/sites.ts), `concurrency` at a time. */
export async function dialSites(
  srf: Srf,
  o: { target: string; room: number; sites: { n: number; sdp: string }[]; concurrency: number },
): Promise<Srf.Dialog[]> {
  const dialogs: Srf.Dialog[] = new Array(o.sites.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < o.sites.length; i = next++) {
      const { n, sdp } = o.sites[i]!;
      dialogs[i] = await srf.createUAC(`sip:${o.room}@${o.target}`, {
        localSdp: sdp,
        headers: { From: `"${benchUser(n)}" <sip:${benchUser(n)}@caller.test>`, 'User-Agent': 'diemcau-bench-room (BFCP)' },
        auth: { username: benchUser(n), password: benchPassword(n) },
      });
    }
  };
  const results = await Promise.allSettled(Array.from({ length: o.concurrency }, worker));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await hangUp(dialogs.filter(Boolean));
    throw (failed as PromiseRejectedResult).reason;
  }
  return dialogs;
}

export async function hangUp(dialogs: readonly Srf.Dialog[]): Promise<void> {
  await Promise.all(dialogs.map((d) => Promise.resolve(d.destroy()).catch(() => undefined)));
}
