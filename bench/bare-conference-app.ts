import Srf from 'drachtio-srf';
import Mrf from 'drachtio-fsmrf';
import { connectSrf, type DrachtioServer, type FreeswitchServer } from '../test/support/stack';

/**
 * The reference point for bench/call-setup.ts: the least a drachtio-srf + drachtio-fsmrf app can do
 * to put callers into one FreeSWITCH conference. No routing, no database, no authentication, no
 * admission rules, no logging: on INVITE, ms.connectCaller() (endpoint from the caller's offer,
 * then 200 OK), then endpoint.join('bench'); BYE from either side ends both legs.
 */

/** connectCaller() exists in drachtio-fsmrf 4.1 but not in the project's typings (src/types). */
interface ConnectingMediaServer extends Mrf.MediaServer {
  connectCaller(req: unknown, res: unknown): Promise<{ endpoint: Mrf.Endpoint; dialog: { on(e: 'destroy', f: () => void): void; destroy(): Promise<void> } }>;
}

export interface BareConferenceApp {
  /** callers joined so far, and calls that failed */
  counts(): { joined: number; failed: number };
  stop(): Promise<void>;
}

export async function startBareConferenceApp(drachtio: DrachtioServer, fs: FreeswitchServer, profile: string): Promise<BareConferenceApp> {
  const srf = new Srf();
  await connectSrf(srf, drachtio);
  const mrf = new Mrf(srf);
  const ms = (await mrf.connect({
    address: fs.host,
    port: fs.eslPort,
    secret: fs.eslPassword,
    listenAddress: '127.0.0.1',
    advertisedAddress: '127.0.0.1',
  })) as ConnectingMediaServer;
  let joined = 0;
  let failed = 0;

  srf.invite(async (req, res) => {
    try {
      const { endpoint, dialog } = await ms.connectCaller(req, res);
      dialog.on('destroy', () => void endpoint.destroy().catch(() => undefined));
      endpoint.on('destroy', () => void dialog.destroy().catch(() => undefined));
      await endpoint.join('bench', { profile });
      joined++;
    } catch {
      failed++;
      if (!res.finalResponseSent) res.send(500);
    }
  });

  return {
    counts: () => ({ joined, failed }),
    async stop() {
      ms.disconnect();
      srf.disconnect();
    },
  };
}
