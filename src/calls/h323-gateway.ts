import type { DataSource } from 'typeorm';
import type { Config } from '../config/env';
import { siteAliasDirectory } from '../directory/h323-directory';
import { startCallServer, startGatekeeper, type Gatekeeper, type H323CallServer } from '../h323';
import type { Logger } from '../log';
import { placeH323Call } from './h323-dial';
import { H323Sink } from './h323-sink';
import type { SipService } from './sip/sip-service';

export interface H323Gateway {
  gatekeeper: Gatekeeper;
  callServer: H323CallServer;
  close(): Promise<void>;
}

/**
 * H.323 room systems into the same meetings: a RAS gatekeeper over the site directory and a call
 * server whose calls join conferences through the SIP service's media servers and call registry.
 */
export async function startH323Gateway(ds: DataSource, h323: NonNullable<Config['h323']>, config: Config, sip: SipService, log: Logger): Promise<H323Gateway> {
  let callServer: H323CallServer | undefined;
  let gatekeeper: Gatekeeper | undefined;
  const sink = new H323Sink({
    ds,
    calls: sip.calls,
    media: sip.media,
    participations: sip.participations,
    policy: { ...config.admission, timeZone: config.timeZone },
    conferenceProfile: config.media.conferenceProfile,
    log,
    release: (callId, why) => void callServer?.release(callId, why),
    requestKeyframe: (callId) => void callServer?.requestKeyframe(callId),
    identify: (alias, ip) => gatekeeper?.identifyCaller(alias, ip)?.siteId,
  });
  callServer = await startCallServer({ host: h323.host, port: h323.port, sink, log: log.child({ component: 'h323' }) });
  gatekeeper = await startGatekeeper({
    host: h323.host,
    port: h323.rasPort,
    callSignalAddress: { ip: h323.advertised, port: callServer.address().port },
    advertisedRasAddress: { ip: h323.advertised, port: h323.rasPort },
    directory: siteAliasDirectory(ds),
    log: log.child({ component: 'h323-ras' }),
  });
  log.info({ callSignalling: callServer.address(), ras: gatekeeper.address() }, 'H.323 gateway listening');
  const gk = gatekeeper;
  const cs = callServer;
  sip.dialer.useH323((target, room) =>
    placeH323Call({ ds, gatekeeper: gk, media: sip.media, calls: sip.calls, participations: sip.participations, conferenceProfile: config.media.conferenceProfile, ringTimeoutMs: config.dialOut.ringTimeoutMs, log }, target, room),
  );
  return {
    gatekeeper: gk,
    callServer: cs,
    async close() {
      sip.dialer.useH323(undefined);
      await gk.close();
      await cs.close();
    },
  };
}
