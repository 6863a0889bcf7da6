/**
 * The RAS gatekeeper (H.225.0 clause 7) on UDP: discovery, registration with time to live and
 * lightweight re-registration, unregistration, admission (direct call model), disengage and
 * location. Datagrams that do not decode are logged and dropped; a failing directory answers
 * with a reject rather than silence, so endpoints retry instead of waiting out their timers.
 *
 * Replies go to the datagram's source address, not the rasAddress inside the request: behind
 * NAT only the source is reachable, and it keeps the gatekeeper from being aimed at third
 * parties by a forged rasAddress.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import * as h225 from '../asn1/generated/h225';
import type { ChoiceValue } from '../asn1/types';
import { silentLogger, type Logger } from '../../log';
import type { IpPort } from '../messages/common';
import * as ras from '../messages/ras';
import { getNumber, isChoice } from '../messages/read';
import { PerDecodeError, perDecode, perEncode } from '../per';
import type { AliasDirectory } from './directory';
import { handleRas, type RasContext } from './handlers';
import { RegistrationTable, type Registration } from './registrations';

export interface GatekeeperOptions {
  /** Bind address; loopback unless deliberately exposed. */
  host?: string;
  /** UDP port; 1719 is the standard RAS port, 0 picks a free one (tests). */
  port?: number;
  gatekeeperId?: string;
  /** The H.323 call server's address, handed to endpoints for calls to rooms. */
  callSignalAddress: IpPort;
  /** Our RAS address as endpoints should see it (GCF/LCF); default the bound address. */
  advertisedRasAddress?: IpPort;
  directory: AliasDirectory;
  /** Time to live granted (s): default and upper bound. Default 300. */
  timeToLive?: number;
  /** Shortest time to live granted (s), whatever the endpoint asks. Default 30. */
  minTimeToLive?: number;
  /** Extra time after the time to live before a silent endpoint is dropped (ms). Default 5000. */
  expiryGraceMs?: number;
  /** Bandwidth cap per call in units of 100 bit/s. Default 40960 (4 Mbit/s). */
  maxBandwidth?: number;
  log?: Logger;
}

export class Gatekeeper {
  private readonly ctx: RasContext;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly bound: IpPort,
    o: GatekeeperOptions,
    private readonly log: Logger,
  ) {
    const table = new RegistrationTable(o.expiryGraceMs ?? 5000, (reg) =>
      log.info({ endpointId: reg.endpointId, siteId: reg.siteId }, 'RAS: registration expired'),
    );
    const max = o.timeToLive ?? 300;
    this.ctx = {
      gatekeeperId: o.gatekeeperId ?? 'diemcau',
      callSignalAddress: o.callSignalAddress,
      rasAddress: o.advertisedRasAddress ?? bound,
      directory: o.directory,
      table,
      ttl: { min: Math.min(o.minTimeToLive ?? 30, max), max },
      maxBandwidth: o.maxBandwidth ?? 40960,
      maxCallsPerEndpoint: 32,
      log,
    };
    socket.on('message', (msg, rinfo) => void this.onDatagram(msg, rinfo));
    // ICMP errors from endpoints that went away surface here; they must not kill the process.
    socket.on('error', (err) => log.warn({ err: err.message }, 'RAS socket error'));
  }

  static async start(o: GatekeeperOptions): Promise<Gatekeeper> {
    const log = o.log ?? silentLogger;
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(o.port ?? 1719, o.host ?? '127.0.0.1', () => {
        socket.removeListener('error', reject);
        resolve();
      });
    });
    const a = socket.address();
    const gk = new Gatekeeper(socket, { ip: a.address, port: a.port }, o, log);
    log.info({ address: `${a.address}:${a.port}`, gatekeeperId: gk.ctx.gatekeeperId }, 'H.323 gatekeeper listening');
    return gk;
  }

  /** The bound RAS address. */
  address(): IpPort {
    return { ...this.bound };
  }

  get gatekeeperId(): string {
    return this.ctx.gatekeeperId;
  }

  /** Current registrations (copies). */
  registrations(): Registration[] {
    return this.ctx.table.list();
  }

  /** The registered endpoint holding `alias` (case-insensitive): where to place a call to it. */
  findEndpoint(alias: string): Registration | undefined {
    return this.ctx.table.findByAlias(alias);
  }

  /** The registered endpoint of a directory site, if any. */
  findSite(siteId: string): Registration | undefined {
    return this.ctx.table.list().find((r) => r.siteId === siteId);
  }

  /**
   * The registration an incoming call comes from, for the SIP side to know the caller's site:
   * the endpoint registered with `alias`, if the call comes from its host; else the only endpoint
   * registered from that host. An alias alone proves nothing (anyone can put it in a Setup).
   */
  identifyCaller(alias: string | null, ip: string): Registration | undefined {
    const host = ip.replace(/^::ffff:/, '');
    const fromHost = (r: Registration): boolean => r.source.ip === host || r.callSignalAddress.ip === host;
    const byAlias = alias === null ? undefined : this.ctx.table.findByAlias(alias);
    if (byAlias && fromHost(byAlias)) return byAlias;
    const candidates = this.ctx.table.list().filter(fromHost);
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ctx.table.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private async onDatagram(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    const source = { ip: rinfo.address, port: rinfo.port };
    let decoded: ChoiceValue;
    try {
      const v = perDecode(h225.RasMessage, msg);
      if (!isChoice(v)) throw new PerDecodeError('RasMessage is not a CHOICE');
      decoded = v;
    } catch (err) {
      this.log.info({ source, err: err instanceof Error ? err.message : String(err), octets: msg.length }, 'RAS: undecodable datagram dropped');
      return;
    }
    let reply: ChoiceValue | undefined;
    try {
      reply = await handleRas(this.ctx, decoded, source, msg);
    } catch (err) {
      this.log.error({ source, message: decoded.choice, err }, 'RAS: request failed');
      reply = failureReply(decoded);
    }
    if (!reply || this.closed) return;
    try {
      this.socket.send(perEncode(h225.RasMessage, reply), source.port, source.ip);
    } catch (err) {
      this.log.error({ source, reply: reply.choice, err }, 'RAS: reply could not be sent');
    }
  }
}

/** A reject for a request whose handling threw (e.g. the directory was unreachable). */
function failureReply(msg: ChoiceValue): ChoiceValue | undefined {
  const seq = getNumber(msg.value, 'requestSeqNum') ?? 1;
  switch (msg.choice) {
    case 'gatekeeperRequest':
      return ras.gatekeeperReject({ seq, reason: 'resourceUnavailable' });
    case 'registrationRequest':
      return ras.registrationReject({ seq, reason: 'resourceUnavailable' });
    case 'unregistrationRequest':
      return ras.unregistrationReject({ seq, reason: 'undefinedReason' });
    case 'admissionRequest':
      return ras.admissionReject({ seq, reason: 'resourceUnavailable' });
    case 'locationRequest':
      return ras.locationReject({ seq, reason: 'resourceUnavailable' });
    default:
      return undefined;
  }
}

export const startGatekeeper = (o: GatekeeperOptions): Promise<Gatekeeper> => Gatekeeper.start(o);
