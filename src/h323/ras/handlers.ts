/**
 * What the gatekeeper answers to each RAS request (H.225.0 clause 7): one function per request,
 * each returning the reply to send (or nothing). Kept apart from the UDP plumbing so the rules
 * read in one place.
 *
 * Policy, in short: endpoints register only with aliases the site directory knows (from the
 * site's allowed networks when it has any); every call is admitted with the direct call model
 * towards the gateway's call-signalling address when it dials a room number; registered
 * endpoints are located for the gateway's dial-out.
 */
import { randomBytes } from 'node:crypto';
import type { AsnValue, ChoiceValue } from '../asn1/types';
import { parseDialledRoom } from '../../calls/dialled-room';
import { ipInNetworks } from '../../directory/networks';
import type { Logger } from '../../log';
import type { IpPort } from '../messages/common';
import * as ras from '../messages/ras';
import { aliasTexts, get, getArray, getBool, getBytes, getNumber, getSeq, getString, guidText, h225IpPort } from '../messages/read';
import type { AliasDirectory, DirectorySite } from './directory';
import type { Registration, RegistrationTable } from './registrations';

export interface RasContext {
  readonly gatekeeperId: string;
  /** The gateway's call-signalling address: where admitted calls to rooms go. */
  readonly callSignalAddress: IpPort;
  /** Our RAS address as endpoints should use it (GCF, LCF). */
  readonly rasAddress: IpPort;
  readonly directory: AliasDirectory;
  readonly table: RegistrationTable;
  /** Granted time to live (s): requests are honoured within [min, max]; max is also the default. */
  readonly ttl: { readonly min: number; readonly max: number };
  /** Largest bandwidth granted per call, in units of 100 bit/s. */
  readonly maxBandwidth: number;
  /** Calls one endpoint may hold at once (bounds the per-endpoint call set). */
  readonly maxCallsPerEndpoint: number;
  readonly log: Logger;
}

export type RasReply = ChoiceValue | undefined;

const isRoom = (alias: string): boolean => parseDialledRoom(alias) !== undefined;
const sameIp = (a: IpPort, b: IpPort): boolean => a.ip === b.ip;

export async function handleRas(ctx: RasContext, msg: ChoiceValue, source: IpPort, raw: Uint8Array): Promise<RasReply> {
  const body = msg.value;
  const seq = getNumber(body, 'requestSeqNum') ?? 1;
  switch (msg.choice) {
    case 'gatekeeperRequest':
      return gatekeeperRequest(ctx, body, seq);
    case 'registrationRequest':
      return registrationRequest(ctx, body, seq, source);
    case 'unregistrationRequest':
      return unregistrationRequest(ctx, body, seq, source);
    case 'admissionRequest':
      return admissionRequest(ctx, body, seq, source);
    case 'disengageRequest':
      return disengageRequest(ctx, body, seq, source);
    case 'locationRequest':
      return locationRequest(ctx, body, seq);
    case 'bandwidthRequest':
      return ras.bandwidthConfirm({ seq, bandwidth: Math.min(getNumber(body, 'bandWidth') ?? 0, ctx.maxBandwidth) });
    case 'infoRequestResponse':
      return getBool(body, 'needResponse') ? ras.infoRequestAck({ seq }) : undefined;
    case 'infoRequest':
    case 'nonStandardMessage':
    case 'resourcesAvailableIndicate':
    case 'serviceControlIndication':
      // Requests we do not implement: XRS tells the sender not to wait for an answer.
      return ras.unknownMessageResponse({ seq, message: raw });
    default:
      // Confirms, rejects and indications addressed to an endpoint: nothing to answer.
      return undefined;
  }
}

async function gatekeeperRequest(ctx: RasContext, body: AsnValue, seq: number): Promise<RasReply> {
  const wanted = getString(body, 'gatekeeperIdentifier');
  if (wanted !== undefined && wanted !== ctx.gatekeeperId) return ras.gatekeeperReject({ seq, reason: 'terminalExcluded' });
  const aliases = aliasTexts(getArray(body, 'endpointAlias'));
  if (aliases.length > 0 && !(await siteOfAliases(ctx, aliases)).site) return ras.gatekeeperReject({ seq, reason: 'terminalExcluded' });
  return ras.gatekeeperConfirm({ seq, gatekeeperId: ctx.gatekeeperId, rasAddress: ctx.rasAddress });
}

function grantTtl(ctx: RasContext, requested: number | undefined): number {
  return Math.max(ctx.ttl.min, Math.min(requested ?? ctx.ttl.max, ctx.ttl.max));
}

function confirm(ctx: RasContext, seq: number, reg: Registration): ChoiceValue {
  return ras.registrationConfirm({
    seq,
    callSignalAddress: ctx.callSignalAddress,
    aliases: reg.aliases,
    gatekeeperId: ctx.gatekeeperId,
    endpointId: reg.endpointId,
    timeToLive: reg.timeToLive,
  });
}

async function registrationRequest(ctx: RasContext, body: AsnValue, seq: number, source: IpPort): Promise<RasReply> {
  const ttl = grantTtl(ctx, getNumber(body, 'timeToLive'));
  if (getBool(body, 'keepAlive')) {
    // Lightweight re-registration: only known endpoints, from where they registered.
    const id = getString(body, 'endpointIdentifier');
    const reg = id === undefined ? undefined : ctx.table.get(id);
    if (!reg || !sameIp(reg.source, source)) return ras.registrationReject({ seq, reason: 'fullRegistrationRequired' });
    return confirm(ctx, seq, ctx.table.refresh(reg.endpointId, ttl)!);
  }
  const callSignalAddress = getArray(body, 'callSignalAddress')
    .map(h225IpPort)
    .find((a) => a !== undefined);
  if (!callSignalAddress) return ras.registrationReject({ seq, reason: 'invalidCallSignalAddress' });
  const rasAddress = getArray(body, 'rasAddress')
    .map(h225IpPort)
    .find((a) => a !== undefined);
  if (!rasAddress) return ras.registrationReject({ seq, reason: 'invalidRASAddress' });
  const aliases = [...new Set(aliasTexts(getArray(body, 'terminalAlias')))];
  const { site, conflict } = await siteOfAliases(ctx, aliases);
  if (!site || conflict) {
    ctx.log.info({ aliases, source, conflict }, 'RAS: registration refused, aliases not in the site directory');
    return ras.registrationReject({ seq, reason: 'invalidAlias' });
  }
  if (site.allowedNetworks.length > 0 && !ipInNetworks(source.ip, site.allowedNetworks)) {
    ctx.log.info({ siteId: site.siteId, source }, 'RAS: registration refused, source outside the site networks');
    return ras.registrationReject({ seq, reason: 'securityDenial' });
  }
  // An alias held by another site's endpoint is a clash; held by this site's, a restart: replace it.
  const taken = aliases.map((a) => ctx.table.findByAlias(a)).filter((r): r is Registration => r !== undefined);
  const clashes = aliases.filter((a) => {
    const r = ctx.table.findByAlias(a);
    return r !== undefined && r.siteId !== site.siteId;
  });
  if (clashes.length > 0) return ras.registrationReject({ seq, reason: 'duplicateAlias', duplicates: clashes });
  // A full re-registration from the same place keeps its identifier (and its admitted calls).
  const previous = ctx.table.findBySignalAddress(callSignalAddress);
  const reuse = previous?.siteId === site.siteId ? previous.endpointId : undefined;
  for (const r of [...taken, ...(previous ? [previous] : [])]) if (r.endpointId !== reuse) ctx.table.remove(r.endpointId);
  const reg = ctx.table.put({
    endpointId: reuse ?? `ep-${randomBytes(6).toString('hex')}`,
    siteId: site.siteId,
    siteName: site.name,
    aliases,
    callSignalAddress,
    rasAddress,
    source,
    timeToLive: ttl,
  });
  ctx.log.info({ endpointId: reg.endpointId, siteId: site.siteId, aliases, callSignalAddress, ttl }, 'RAS: endpoint registered');
  return confirm(ctx, seq, reg);
}

/** The site all known aliases belong to; `conflict` when they name different sites. */
async function siteOfAliases(ctx: RasContext, aliases: readonly string[]): Promise<{ site: DirectorySite | null; conflict: boolean }> {
  const sites = (await Promise.all(aliases.map((a) => ctx.directory.lookupAlias(a)))).filter((s): s is DirectorySite => s !== null);
  const ids = new Set(sites.map((s) => s.siteId));
  return { site: sites[0] ?? null, conflict: ids.size > 1 };
}

/** A registration the request may act on: named by endpointIdentifier, from the registered host. */
function registered(ctx: RasContext, body: AsnValue, source: IpPort): Registration | undefined {
  const id = getString(body, 'endpointIdentifier');
  const reg = id === undefined ? undefined : ctx.table.get(id);
  return reg && sameIp(reg.source, source) ? reg : undefined;
}

function unregistrationRequest(ctx: RasContext, body: AsnValue, seq: number, source: IpPort): RasReply {
  let reg = registered(ctx, body, source);
  if (!reg && getString(body, 'endpointIdentifier') === undefined) {
    const byAddress = getArray(body, 'callSignalAddress')
      .map(h225IpPort)
      .filter((a): a is IpPort => a !== undefined)
      .map((a) => ctx.table.findBySignalAddress(a))
      .find((r) => r !== undefined);
    reg = byAddress && sameIp(byAddress.source, source) ? byAddress : undefined;
  }
  if (!reg) return ras.unregistrationReject({ seq, reason: 'notCurrentlyRegistered' });
  ctx.table.remove(reg.endpointId);
  ctx.log.info({ endpointId: reg.endpointId, siteId: reg.siteId }, 'RAS: endpoint unregistered');
  return ras.unregistrationConfirm({ seq });
}

function callIdOf(body: AsnValue): string | undefined {
  const guid = getBytes(getSeq(body, 'callIdentifier'), 'guid');
  return guid && guidText(guid);
}

function admissionRequest(ctx: RasContext, body: AsnValue, seq: number, source: IpPort): RasReply {
  const reg = registered(ctx, body, source);
  if (!reg) return ras.admissionReject({ seq, reason: 'callerNotRegistered' });
  const bandwidth = Math.min(getNumber(body, 'bandWidth') ?? 0, ctx.maxBandwidth);
  const callId = callIdOf(body);
  if (ctx.table.callCount(reg.endpointId) >= ctx.maxCallsPerEndpoint) return ras.admissionReject({ seq, reason: 'resourceUnavailable' });
  let dest: IpPort;
  if (getBool(body, 'answerCall')) {
    // The gateway calls this endpoint (dial-out): it answers where it registered.
    dest = reg.callSignalAddress;
  } else {
    const aliases = aliasTexts(getArray(body, 'destinationInfo'));
    const direct = h225IpPort(get(body, 'destCallSignalAddress'));
    const toGateway =
      aliases.some(isRoom) ||
      (aliases.length === 0 && direct !== undefined && direct.ip === ctx.callSignalAddress.ip && direct.port === ctx.callSignalAddress.port);
    if (!toGateway) return ras.admissionReject({ seq, reason: 'calledPartyNotRegistered' });
    dest = ctx.callSignalAddress;
  }
  if (callId) ctx.table.addCall(reg.endpointId, callId);
  return ras.admissionConfirm({ seq, bandwidth, destCallSignalAddress: dest });
}

function disengageRequest(ctx: RasContext, body: AsnValue, seq: number, source: IpPort): RasReply {
  const reg = registered(ctx, body, source);
  if (!reg) return ras.disengageReject({ seq, reason: 'notRegistered' });
  const callId = callIdOf(body);
  if (callId) ctx.table.removeCall(reg.endpointId, callId);
  return ras.disengageConfirm({ seq });
}

function locationRequest(ctx: RasContext, body: AsnValue, seq: number): RasReply {
  const aliases = aliasTexts(getArray(body, 'destinationInfo'));
  if (aliases.some(isRoom)) return ras.locationConfirm({ seq, callSignalAddress: ctx.callSignalAddress, rasAddress: ctx.rasAddress });
  const reg = aliases.map((a) => ctx.table.findByAlias(a)).find((r) => r !== undefined);
  if (reg) return ras.locationConfirm({ seq, callSignalAddress: reg.callSignalAddress, rasAddress: reg.rasAddress });
  return ras.locationReject({ seq, reason: 'notRegistered' });
}
