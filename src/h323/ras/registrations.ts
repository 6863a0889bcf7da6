/**
 * The gatekeeper's table of registered endpoints: indexed by endpoint identifier and by alias,
 * each entry expiring when its time to live runs out without a re-registration (H.225.0 7.9.1).
 * The table owns one timer per entry and clears them all in clear(), so a closed gatekeeper
 * leaves nothing scheduled.
 */
import type { IpPort } from '../messages/common';

export interface Registration {
  readonly endpointId: string;
  readonly siteId: string;
  readonly siteName: string;
  /** Aliases as the endpoint registered them (h323-IDs, dialled digits). */
  readonly aliases: readonly string[];
  /** Where the endpoint takes calls (advertised in the RRQ): the address to dial it at. */
  readonly callSignalAddress: IpPort;
  readonly rasAddress: IpPort;
  /** The address the RRQ came from; differs from rasAddress behind NAT. */
  readonly source: IpPort;
  /** Granted time to live, seconds. */
  readonly timeToLive: number;
  readonly registeredAt: Date;
  readonly expiresAt: Date;
  /** Calls admitted (ARQ) and not yet disengaged (DRQ), by call identifier (hex). */
  readonly calls: ReadonlySet<string>;
}

interface Entry {
  reg: Registration;
  calls: Set<string>;
  timer: NodeJS.Timeout;
}

/** Aliases are matched without regard to case: "Xa-Phuoc-Hoa" and "xa-phuoc-hoa" are one name. */
const key = (alias: string): string => alias.toLowerCase();

export class RegistrationTable {
  private readonly byId = new Map<string, Entry>();
  private readonly byAlias = new Map<string, string>();

  constructor(
    private readonly graceMs: number,
    private readonly onExpired: (reg: Registration) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  list(): Registration[] {
    return [...this.byId.values()].map((e) => this.view(e));
  }

  get(endpointId: string): Registration | undefined {
    const e = this.byId.get(endpointId);
    return e && this.view(e);
  }

  findByAlias(alias: string): Registration | undefined {
    const id = this.byAlias.get(key(alias));
    return id === undefined ? undefined : this.get(id);
  }

  findBySignalAddress(a: IpPort): Registration | undefined {
    for (const e of this.byId.values()) {
      if (e.reg.callSignalAddress.ip === a.ip && e.reg.callSignalAddress.port === a.port) return this.view(e);
    }
    return undefined;
  }

  /** Adds or replaces a registration (same endpointId), (re)starting its expiry timer. */
  put(reg: Omit<Registration, 'expiresAt' | 'registeredAt' | 'calls'> & { registeredAt?: Date }): Registration {
    const old = this.byId.get(reg.endpointId);
    if (old) this.drop(reg.endpointId);
    const now = this.now();
    const full: Registration = { ...reg, registeredAt: reg.registeredAt ?? new Date(now), expiresAt: new Date(now + reg.timeToLive * 1000), calls: new Set() };
    const entry: Entry = { reg: full, calls: old?.calls ?? new Set(), timer: this.arm(reg.endpointId, reg.timeToLive) };
    this.byId.set(reg.endpointId, entry);
    for (const a of reg.aliases) this.byAlias.set(key(a), reg.endpointId);
    return this.view(entry);
  }

  /** Lightweight re-registration: same entry, new deadline. */
  refresh(endpointId: string, timeToLive: number): Registration | undefined {
    const e = this.byId.get(endpointId);
    if (!e) return undefined;
    clearTimeout(e.timer);
    e.timer = this.arm(endpointId, timeToLive);
    e.reg = { ...e.reg, timeToLive, expiresAt: new Date(this.now() + timeToLive * 1000) };
    return this.view(e);
  }

  remove(endpointId: string): Registration | undefined {
    const e = this.byId.get(endpointId);
    if (!e) return undefined;
    this.drop(endpointId);
    return this.view(e);
  }

  addCall(endpointId: string, callId: string): void {
    this.byId.get(endpointId)?.calls.add(callId);
  }
  removeCall(endpointId: string, callId: string): boolean {
    return this.byId.get(endpointId)?.calls.delete(callId) ?? false;
  }
  callCount(endpointId: string): number {
    return this.byId.get(endpointId)?.calls.size ?? 0;
  }

  clear(): void {
    for (const id of [...this.byId.keys()]) this.drop(id);
  }

  private drop(endpointId: string): void {
    const e = this.byId.get(endpointId);
    if (!e) return;
    clearTimeout(e.timer);
    this.byId.delete(endpointId);
    for (const a of e.reg.aliases) if (this.byAlias.get(key(a)) === endpointId) this.byAlias.delete(key(a));
  }

  private arm(endpointId: string, timeToLive: number): NodeJS.Timeout {
    const t = setTimeout(
      () => {
        const e = this.byId.get(endpointId);
        if (!e) return;
        this.drop(endpointId);
        this.onExpired(this.view(e));
      },
      timeToLive * 1000 + this.graceMs,
    );
    // A registration must never keep the process alive on its own.
    t.unref();
    return t;
  }

  private view(e: Entry): Registration {
    return { ...e.reg, calls: new Set(e.calls) };
  }
}
