/**
 * IPv4/IPv6 text <-> bytes without node:net, so the codecs run in a browser.
 * @module
 */
import { DecodeError } from '../core/errors.ts';

export function ipv4ToBytes(address: string): Uint8Array {
  const parts = address.split('.');
  const out = new Uint8Array(4);
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: '${address}'`);
  parts.forEach((p, i) => {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new RangeError(`not an IPv4 address: '${address}'`);
    out[i] = n;
  });
  return out;
}

export function bytesToIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Parses IPv6 text (with `::` compression, optional `%zone` dropped) into 16 bytes. */
export function ipv6ToBytes(address: string): Uint8Array {
  const text = address.split('%')[0] ?? '';
  const halves = text.split('::');
  if (halves.length > 2) throw new RangeError(`not an IPv6 address: '${address}'`);
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new RangeError(`not an IPv6 address: '${address}'`);
    return parseInt(g, 16);
  }));
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) throw new RangeError(`not an IPv6 address: '${address}'`);
  const groups = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** 16 bytes to the RFC 5952 text form (longest zero run compressed). */
export function bytesToIpv6(b: Uint8Array): string {
  if (b.length !== 16) throw new DecodeError(`IPv6 address needs 16 bytes, got ${b.length}`, 0);
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[i * 2] ?? 0) << 8) | (b[i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

const IPV4_LITERAL = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether `address` is a dotted-quad IPv4 literal. */
export function isIpv4(address: string): boolean {
  return IPV4_LITERAL.test(address);
}

/** An IPv4 literal as an unsigned 32-bit integer. */
export function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

/** Whether `address` lies in the subnet `base/prefixLength` (both IPv4 literals). */
export function inIpv4Subnet(address: string, base: string, prefixLength: number): boolean {
  if (!isIpv4(address) || !isIpv4(base)) return false;
  const mask = prefixLength <= 0 ? 0 : (~0 << (32 - Math.min(32, prefixLength))) >>> 0;
  return ((ipv4ToInt(address) & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

/**
 * Why a peer's advertised IPv4 endpoint must not be sent to from the gateway `base/prefixLength`,
 * or undefined: port 1–65535, a unicast address on the gateway's own subnet (not its network or
 * broadcast address), so a forged `mep4` cannot aim our pings at a host elsewhere.
 */
export function ipv4EndpointProblem(ep: { address: string; port: number }, base: string, prefixLength: number): string | undefined {
  if (!Number.isInteger(ep.port) || ep.port < 1 || ep.port > 65535) return `port ${ep.port}`;
  if (!isIpv4(ep.address)) return `address '${ep.address}'`;
  if (!inIpv4Subnet(ep.address, base, prefixLength)) return `${ep.address} is not on ${base}/${prefixLength}`;
  const n = ipv4ToInt(ep.address);
  const first = n >>> 24;
  if (first === 0 || first >= 224) return `${ep.address} is not a unicast address`;
  if (prefixLength <= 30 && !base.startsWith('127.')) {
    const host = (n & (0xffffffff >>> prefixLength)) >>> 0;
    if (host === 0 || host === 0xffffffff >>> prefixLength) return `${ep.address} is the subnet's network or broadcast address`;
  }
  return undefined;
}
