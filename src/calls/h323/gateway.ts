import type { DataSource } from 'typeorm';
import type { Config } from '../../config/env';
import { siteAliasDirectory } from '../../directory/h323-directory';
import { startCallServer, startGatekeeper, type Gatekeeper, type H323CallServer } from '../../h323';
import type { Logger } from '../../log';
import type { Placer } from '../dial-out/dial';
import type { CallEngine } from '../engine';
import { placeH323Call } from './dial';
import { H323Sink } from './sink';

export interface H323Gateway {
  gatekeeper: Gatekeeper;
  callServer: H323CallServer;
  /** Calls an H.323 site into its meeting (the dialer's H.323 placer). */
  place: Placer;
  close(): Promise<void>;
}

/**
 * H.323 room systems into the same meetings: a RAS gatekeeper over the site directory and a call
 * server whose calls join conferences through the call engine, like SIP callers.
 */
export async function startH323Gateway(
  ds: DataSource,
  h323: NonNullable<Config['h323']>,
  engine: CallEngine,
  options: { ringTimeoutMs: number },
  log: Logger,
): Promise<H323Gateway> {
  let callServer: H323CallServer | undefined;
  let gatekeeper: Gatekeeper | undefined;
  const sink = new H323Sink({
    lookups: engine.lookups,
    calls: engine.calls,
    placement: engine.placement,
    participations: engine.participations,
    policy: engine.policy,
    conferenceProfile: engine.conferenceProfile,
    log,
    release: (callId, why) => void callServer?.release(callId, why),
    requestKeyframe: (callId) => void callServer?.requestKeyframe(callId),
    identify: (alias, ip) => gatekeeper?.identifyCaller(alias, ip)?.siteId,
    content: { hub: engine.content, server: (callId) => callServer?.content(callId) },
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
  const dial = {
    lookups: engine.lookups,
    gatekeeper: gk,
    placement: engine.placement,
    calls: engine.calls,
    participations: engine.participations,
    conferenceProfile: engine.conferenceProfile,
    ringTimeoutMs: options.ringTimeoutMs,
    log,
  };
  return {
    gatekeeper: gk,
    callServer: cs,
    place: (target, room) => placeH323Call(dial, target, room),
    async close() {
      await gk.close();
      await cs.close();
    },
  };
}
