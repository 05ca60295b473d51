/**
 * Writes UDP datagrams as a classic libpcap capture (link type RAW: IPv4 headers, no Ethernet),
 * for feeding packets we encode to independent dissectors such as tshark. Pure.
 * @module
 */

export interface UdpFrame {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

const LINKTYPE_RAW = 101;

function ipv4(address: string): number[] {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`not an IPv4 address: ${address}`);
  return parts;
}

/** IPv4 + UDP around `f.payload` (header checksum computed; UDP checksum 0: none). */
function datagram(f: UdpFrame): Uint8Array {
  const length = 20 + 8 + f.payload.length;
  if (length > 0xffff) throw new RangeError(`datagram of ${length} bytes`);
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  v.setUint16(2, length);
  b[8] = 64; // ttl
  b[9] = 17; // UDP
  b.set(ipv4(f.src), 12);
  b.set(ipv4(f.dst), 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(10, ~sum & 0xffff);
  v.setUint16(20, f.srcPort);
  v.setUint16(22, f.dstPort);
  v.setUint16(24, 8 + f.payload.length);
  b.set(f.payload, 28);
  return b;
}

/** The capture file's bytes: one frame a millisecond apart, in order. */
export function writePcap(frames: readonly UdpFrame[]): Uint8Array {
  const records = frames.map(datagram);
  const out = new Uint8Array(24 + records.reduce((n, r) => n + 16 + r.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 65535, true);
  v.setUint32(20, LINKTYPE_RAW, true);
  let o = 24;
  records.forEach((r, i) => {
    v.setUint32(o, 1_000_000 + Math.floor(i / 1000), true);
    v.setUint32(o + 4, (i % 1000) * 1000, true);
    v.setUint32(o + 8, r.length, true);
    v.setUint32(o + 12, r.length, true);
    out.set(r, o + 16);
    o += 16 + r.length;
  });
  return out;
}
