import { isIPv4, isIPv6 } from 'node:net';

/**
 * Parses "10.1.2.0/24", "10.1.2.7" (a /32) or an IPv6 prefix into canonical CIDR text, or returns
 * undefined when it is not one. Host bits must be zero, as Postgres's cidr type demands.
 */
export function parseCidr(text: string): string | undefined {
  const [addr, lenText, extra] = text.trim().split('/');
  if (!addr || extra !== undefined) return undefined;
  const v4 = isIPv4(addr);
  if (!v4 && !isIPv6(addr)) return undefined;
  const max = v4 ? 32 : 128;
  if (lenText !== undefined && !/^\d{1,3}$/.test(lenText)) return undefined;
  const len = lenText === undefined ? max : Number(lenText);
  if (len > max) return undefined;
  const bits = toBigInt(addr);
  const hostMask = (1n << BigInt(max - len)) - 1n;
  if ((bits & hostMask) !== 0n) return undefined;
  return `${v4 ? addr : fromBigIntV6(bits)}/${len}`;
}

/** True when `ip` lies inside one of `networks` (canonical CIDR strings). */
export function ipInNetworks(ip: string, networks: readonly string[]): boolean {
  return new NetworkTable(networks.map((net) => [net, true] as const)).lookup(ip) !== undefined;
}

/**
 * The most specific of many networks that contains an address, for look-ups that run on every call:
 * the networks are parsed once, and an IPv4 address is compared as a 32-bit number (no BigInt).
 */
export class NetworkTable<T> {
  readonly #v4: { base: number; mask: number; len: number; value: T }[] = [];
  readonly #v6: { base: bigint; shift: bigint; len: number; value: T }[] = [];

  /** `entries`: canonical CIDR strings (as parseCidr writes them) with what each stands for. */
  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [net, value] of entries) {
      const [addr = '', lenText] = net.split('/');
      if (isIPv4(addr)) {
        const len = Number(lenText ?? 32);
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
        this.#v4.push({ base: (Number(toBigInt(addr)) & mask) >>> 0, mask, len, value });
      } else if (isIPv6(addr)) {
        const len = Number(lenText ?? 128);
        const shift = BigInt(128 - len);
        this.#v6.push({ base: toBigInt(addr) >> shift, shift, len, value });
      }
    }
    // Most specific first: the first match is the answer.
    this.#v4.sort((a, b) => b.len - a.len);
    this.#v6.sort((a, b) => b.len - a.len);
  }

  lookup(ip: string): T | undefined {
    const bare = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
    if (isIPv4(bare)) {
      const n = Number(toBigInt(bare));
      return this.#v4.find((e) => (n & e.mask) >>> 0 === e.base)?.value;
    }
    if (!isIPv6(bare)) return undefined;
    const bits = toBigInt(bare);
    return this.#v6.find((e) => bits >> e.shift === e.base)?.value;
  }
}

function toBigInt(addr: string): bigint {
  if (isIPv4(addr)) return addr.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
  const [head = '', tail] = addr.split('::');
  const groups = (s: string) => (s ? s.split(':') : []);
  const expand = (parts: string[]): string[] =>
    parts.flatMap((p) => {
      if (!isIPv4(p)) return [p];
      const v = Number(toBigInt(p));
      return [(v >>> 16).toString(16), (v & 0xffff).toString(16)];
    });
  const h = expand(groups(head));
  const t = tail === undefined ? [] : expand(groups(tail));
  const all = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function fromBigIntV6(bits: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((bits >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.len).join(':')}`;
}
