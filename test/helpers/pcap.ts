/**
 * A small reader for classic libpcap capture files (not pcapng), for test fixtures.
 *
 * - both byte orders; microsecond (`a1b2c3d4`) and nanosecond (`a1b23c4d`) magic
 * - link types: NULL (0), EN10MB (1, with 802.1Q/802.1ad tags), RAW (101, and the
 *   12/14 aliases), LOOP (108), LINUX_SLL (113), IPV4 (228), IPV6 (229), LINUX_SLL2 (276)
 * - IPv4 (unfragmented) and IPv6 (hop-by-hop / routing / destination-options headers
 *   skipped, fragments ignored) → UDP
 *
 * Pure TypeScript; only {@link loadPcap} touches the file system.
 * @module
 */
import { readFileSync } from 'node:fs';

export const LinkType = {
  NULL: 0,
  EN10MB: 1,
  RAW_ALT12: 12,
  RAW_ALT14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** Link-type names as libpcap spells them (`pcap_datalink_val_to_name`). */
export const LINK_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'NULL',
  1: 'EN10MB',
  12: 'RAW',
  14: 'RAW',
  101: 'RAW',
  108: 'LOOP',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PcapFormatError';
  }
}

export interface PcapRecord {
  /** Capture time in µs since the epoch (nanosecond captures are truncated to µs). */
  timestampMicros: number;
  /** The captured bytes (a view into the file; may be shorter than `originalLength`). */
  data: Uint8Array;
  /** Length of the packet on the wire. */
  originalLength: number;
}

export interface PcapFile {
  linkType: number;
  snapLength: number;
  littleEndian: boolean;
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  records: PcapRecord[];
}

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

/** Parses a whole classic pcap file. Throws PcapFormatError on malformed input. */
export function parsePcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < GLOBAL_HEADER) throw new PcapFormatError(`pcap file of ${bytes.length} bytes has no global header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian: boolean;
  let nanosecond: boolean;
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le === MAGIC_MICROS || le === MAGIC_NANOS) {
    littleEndian = true;
    nanosecond = le === MAGIC_NANOS;
  } else if (be === MAGIC_MICROS || be === MAGIC_NANOS) {
    littleEndian = false;
    nanosecond = be === MAGIC_NANOS;
  } else if (be === 0x0a0d0d0a) {
    throw new PcapFormatError('pcapng files are not supported');
  } else {
    throw new PcapFormatError(`not a pcap file (magic 0x${be.toString(16).padStart(8, '0')})`);
  }
  const u16 = (at: number) => view.getUint16(at, littleEndian);
  const u32 = (at: number) => view.getUint32(at, littleEndian);
  const file: PcapFile = {
    linkType: u32(20) & 0xffff, // upper bits carry FCS information
    snapLength: u32(16),
    littleEndian,
    nanosecond,
    versionMajor: u16(4),
    versionMinor: u16(6),
    records: [],
  };
  let at = GLOBAL_HEADER;
  while (at < bytes.length) {
    if (bytes.length - at < RECORD_HEADER) {
      throw new PcapFormatError(`truncated record header at offset ${at}`);
    }
    const seconds = u32(at);
    const fraction = u32(at + 4);
    const included = u32(at + 8);
    const original = u32(at + 12);
    at += RECORD_HEADER;
    if (included > bytes.length - at) {
      throw new PcapFormatError(`record at offset ${at - RECORD_HEADER} claims ${included} bytes, ${bytes.length - at} left`);
    }
    file.records.push({
      timestampMicros: seconds * 1_000_000 + (nanosecond ? Math.floor(fraction / 1000) : fraction),
      data: bytes.subarray(at, at + included),
      originalLength: original,
    });
    at += included;
  }
  return file;
}

/** Reads and parses a pcap file from disk. */
export function loadPcap(path: string | URL): PcapFile {
  return parsePcap(new Uint8Array(readFileSync(path)));
}

/** An IP packet found inside a link-layer frame. */
export interface IpPacket {
  version: 4 | 6;
  bytes: Uint8Array;
  /** LINUX_SLL2 only: the capturing interface's index (a packet crossing two interfaces is captured twice). */
  interfaceIndex?: number;
  /** LINUX_SLL / LINUX_SLL2 only: 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing. */
  packetType?: number;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = [0x8100, 0x88a8, 0x9100];

function be16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function byEtherType(type: number, bytes: Uint8Array): IpPacket | undefined {
  if (type === ETHERTYPE_IPV4) return { version: 4, bytes };
  if (type === ETHERTYPE_IPV6) return { version: 6, bytes };
  return undefined;
}

function byVersionNibble(bytes: Uint8Array): IpPacket | undefined {
  const v = (bytes[0] ?? 0) >> 4;
  if (v === 4) return { version: 4, bytes };
  if (v === 6) return { version: 6, bytes };
  return undefined;
}

/** BSD address-family values of IPv4 / IPv6 as found in NULL/LOOP headers. */
function byAddressFamily(family: number, bytes: Uint8Array): IpPacket | undefined {
  if (family === 2) return { version: 4, bytes };
  if (family === 10 || family === 24 || family === 28 || family === 30) return { version: 6, bytes };
  return undefined;
}

/** Strips the link-layer header of `frame`; undefined for non-IP frames. */
export function decodeLinkLayer(linkType: number, frame: Uint8Array): IpPacket | undefined {
  switch (linkType) {
    case LinkType.EN10MB: {
      if (frame.length < 14) return undefined;
      let at = 12;
      let type = be16(frame, at);
      while (ETHERTYPE_VLAN.includes(type) && frame.length >= at + 6) {
        at += 4;
        type = be16(frame, at);
      }
      return byEtherType(type, frame.subarray(at + 2));
    }
    case LinkType.LINUX_SLL: {
      // packet type u16, ARPHRD u16, address length u16, address 8 bytes, protocol u16
      if (frame.length < 16) return undefined;
      const ip = byEtherType(be16(frame, 14), frame.subarray(16));
      return ip && { ...ip, packetType: be16(frame, 0) };
    }
    case LinkType.LINUX_SLL2: {
      // protocol u16, reserved u16, interface index u32, ARPHRD u16, packet type u8,
      // address length u8, address 8 bytes
      if (frame.length < 20) return undefined;
      const ip = byEtherType(be16(frame, 0), frame.subarray(20));
      const interfaceIndex = ((be16(frame, 4) << 16) >>> 0) + be16(frame, 6);
      return ip && { ...ip, interfaceIndex, packetType: frame[10] ?? 0 };
    }
    case LinkType.NULL: {
      // Address family in the capturing host's byte order.
      if (frame.length < 4) return undefined;
      const v = new DataView(frame.buffer, frame.byteOffset, 4);
      const rest = frame.subarray(4);
      return byAddressFamily(v.getUint32(0, true), rest) ?? byAddressFamily(v.getUint32(0, false), rest);
    }
    case LinkType.LOOP: {
      if (frame.length < 4) return undefined;
      const v = new DataView(frame.buffer, frame.byteOffset, 4);
      return byAddressFamily(v.getUint32(0, false), frame.subarray(4));
    }
    case LinkType.RAW:
    case LinkType.RAW_ALT12:
    case LinkType.RAW_ALT14:
      return byVersionNibble(frame);
    case LinkType.IPV4:
      return (frame[0] ?? 0) >> 4 === 4 ? { version: 4, bytes: frame } : undefined;
    case LinkType.IPV6:
      return (frame[0] ?? 0) >> 4 === 6 ? { version: 6, bytes: frame } : undefined;
    default:
      return undefined;
  }
}

export interface UdpDatagram {
  timestampMicros: number;
  /** Index of the record in the capture. */
  index: number;
  ipVersion: 4 | 6;
  /** From the link layer when it records one (LINUX_SLL2). */
  interfaceIndex?: number;
  /** From the link layer when it records one (LINUX_SLL, LINUX_SLL2). */
  packetType?: number;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  dstPort: number;
  payload: Uint8Array;
}

const IPPROTO_UDP = 17;

export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form (longest run of two or more zero groups compressed). */
export function formatIpv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(be16(b, i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

interface Transport {
  srcAddr: string;
  dstAddr: string;
  protocol: number;
  body: Uint8Array;
}

function decodeIpv4(p: Uint8Array): Transport | undefined {
  if (p.length < 20) return undefined;
  const ihl = ((p[0] ?? 0) & 0x0f) * 4;
  const total = be16(p, 2);
  if (ihl < 20 || total < ihl || p.length < ihl) return undefined;
  const flagsFragment = be16(p, 6);
  if ((flagsFragment & 0x2000) !== 0 || (flagsFragment & 0x1fff) !== 0) return undefined; // fragment
  return {
    srcAddr: formatIpv4(p.subarray(12, 16)),
    dstAddr: formatIpv4(p.subarray(16, 20)),
    protocol: p[9] ?? 0,
    // Total length bounds the packet (Ethernet pads short frames).
    body: p.subarray(ihl, Math.min(total, p.length)),
  };
}

function decodeIpv6(p: Uint8Array): Transport | undefined {
  if (p.length < 40) return undefined;
  const end = Math.min(40 + be16(p, 4), p.length);
  let next = p[6] ?? 0;
  let at = 40;
  // Hop-by-hop, routing, destination options: (len + 1) * 8 bytes, next header first.
  while (next === 0 || next === 43 || next === 60) {
    if (at + 2 > end) return undefined;
    const nextHeader = p[at] ?? 0;
    at += ((p[at + 1] ?? 0) + 1) * 8;
    next = nextHeader;
  }
  if (next === 44 || at > end) return undefined; // fragment, or malformed
  return {
    srcAddr: formatIpv6(p.subarray(8, 24)),
    dstAddr: formatIpv6(p.subarray(24, 40)),
    protocol: next,
    body: p.subarray(at, end),
  };
}

/** Decodes one captured frame down to UDP; undefined for anything else or truncated datagrams. */
export function decodeUdp(linkType: number, record: PcapRecord, index = 0): UdpDatagram | undefined {
  const ip = decodeLinkLayer(linkType, record.data);
  if (!ip) return undefined;
  const t = ip.version === 4 ? decodeIpv4(ip.bytes) : decodeIpv6(ip.bytes);
  if (!t || t.protocol !== IPPROTO_UDP || t.body.length < 8) return undefined;
  const udpLength = be16(t.body, 4);
  if (udpLength < 8 || udpLength > t.body.length) return undefined; // truncated by the snap length
  const out: UdpDatagram = {
    timestampMicros: record.timestampMicros,
    index,
    ipVersion: ip.version,
    srcAddr: t.srcAddr,
    srcPort: be16(t.body, 0),
    dstAddr: t.dstAddr,
    dstPort: be16(t.body, 2),
    payload: t.body.subarray(8, udpLength),
  };
  if (ip.interfaceIndex !== undefined) out.interfaceIndex = ip.interfaceIndex;
  if (ip.packetType !== undefined) out.packetType = ip.packetType;
  return out;
}

/** Every UDP datagram of a capture, in file order. */
export function udpDatagrams(file: PcapFile): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  for (const [i, r] of file.records.entries()) {
    const d = decodeUdp(file.linkType, r, i);
    if (d) out.push(d);
  }
  return out;
}
