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
