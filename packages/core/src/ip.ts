/**
 * IP addresses as 16 bytes (IPv4 held as IPv4-mapped IPv6, so `::ffff:10.0.0.1` and `10.0.0.1`
 * are one address) and CIDR ranges over them.
 */
export type IpBytes = Uint8Array;

/** A compiled address range. */
export interface Cidr {
  readonly source: string;
  readonly bytes: IpBytes;
  readonly prefix: number; // 0..128, in IPv6 terms
}

function parseV4(s: string, out: Uint8Array, at: number): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p)) return false;
    const n = Number(p);
    if (n > 255) return false;
    out[at + i] = n;
  }
  return true;
}

/**
 * Parses an IPv4 or IPv6 address (an IPv6 zone id is ignored). Returns undefined if invalid.
 *
 * @example
 * parseIp('::ffff:192.0.2.1') // same bytes as parseIp('192.0.2.1')
 */
export function parseIp(input: string): IpBytes | undefined {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const out = new Uint8Array(16);
  if (!s.includes(':')) {
    out[10] = 0xff;
    out[11] = 0xff;
    return parseV4(s, out, 12) ? out : undefined;
  }
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  let tailV4: string | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tailV4 = s.slice(lastColon + 1);
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = head.length + tail.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const all = [...head, ...new Array<string>(8 - groups).fill('0'), ...tail];
  for (let i = 0; i < 8; i++) {
    const g = all[i] as string;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tailV4 !== undefined && !parseV4(tailV4, out, 12)) return undefined;
  return out;
}

/** True when the 16 bytes hold an IPv4 (or IPv4-mapped) address. */
export function isV4(ip: IpBytes): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

/** Canonical text: dotted quad for IPv4 (also when mapped), compressed hex for IPv6. */
export function formatIp(ip: IpBytes): string {
  if (isV4(ip)) return `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] as number) << 8) | (ip[i + 1] as number));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * Parses `addr` or `addr/prefix` (IPv4 prefixes 0–32, IPv6 0–128). Undefined if invalid.
 *
 * @example
 * parseCidr('10.0.0.0/8')
 */
export function parseCidr(input: string): Cidr | undefined {
  const slash = input.indexOf('/');
  const addr = slash === -1 ? input : input.slice(0, slash);
  const bytes = parseIp(addr);
  if (!bytes) return undefined;
  const v4 = !addr.includes(':') || isV4(bytes);
  const max = v4 && !addr.includes(':') ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = input.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  }
  return { source: input, bytes, prefix: max === 32 ? prefix + 96 : prefix };
}

/** True when `ip` lies in `cidr`. */
export function cidrContains(cidr: Cidr, ip: IpBytes): boolean {
  let bits = cidr.prefix;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip[i] as number) & mask) !== ((cidr.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/** True when `ip` lies in any of `cidrs`. */
export function anyCidrContains(cidrs: readonly Cidr[], ip: IpBytes): boolean {
  for (const c of cidrs) if (cidrContains(c, ip)) return true;
  return false;
}
