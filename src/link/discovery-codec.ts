/**
 * Discovery messages: alive / response / byebye with the peer-state payload
 * (link-wire-spec 01 §3, §4, §6).
 * @module
 */
import { ByteReader, ByteWriter } from '../core/byte-io.ts';
import { DecodeError } from '../core/errors.ts';
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from './address.ts';
import { decodePayload, fourcc, readFixed, type PayloadEntry } from './payload.ts';
import { nodeIdFromBytes, nodeIdToBytes, type Endpoint, type NodeId, type StartStopState, type Timeline } from './types.ts';

/** `_asdp_v` + version 1 (spec 01 §3). */
export const DISCOVERY_MAGIC = Uint8Array.of(0x5f, 0x61, 0x73, 0x64, 0x70, 0x5f, 0x76, 0x01);
export const DISCOVERY_HEADER_LENGTH = 20;
/** Receivers accept up to 512 bytes; encoders stay below (spec 01 §3.1). */
export const DISCOVERY_MAX_LENGTH = 512;
export const MULTICAST_GROUP_V4 = '224.76.78.75';
export const MULTICAST_GROUP_V6 = 'ff12::8080';
export const DISCOVERY_PORT = 20808;

export const MessageType = { Invalid: 0, Alive: 1, Response: 2, ByeBye: 3 } as const;

export const KEY_TMLN = fourcc('tmln');
export const KEY_SESS = fourcc('sess');
export const KEY_STST = fourcc('stst');
export const KEY_MEP4 = fourcc('mep4');
export const KEY_MEP6 = fourcc('mep6');
export const KEY_AEP4 = fourcc('aep4');
export const KEY_AEP6 = fourcc('aep6');

/** Peer state as carried by alive/response; every entry is optional on receive. */
export interface PeerState {
  timeline?: Timeline;
  sessionId?: NodeId;
  startStop?: StartStopState;
  measurementV4?: Endpoint;
  measurementV6?: Endpoint;
  audioV4?: Endpoint;
  audioV6?: Endpoint;
  /** Entries with keys this implementation does not know, kept in order. */
  unknown?: PayloadEntry[];
}

export interface DiscoveryMessage {
  type: number;
  ttl: number;
  groupId: number;
  nodeId: NodeId;
  /** Present for alive/response. */
  state?: PeerState;
}

/** True when `bytes` starts with the discovery magic and holds a whole header. */
export function isDiscoveryFrame(bytes: Uint8Array): boolean {
  if (bytes.length < DISCOVERY_HEADER_LENGTH) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== DISCOVERY_MAGIC[i]) return false;
  return true;
}

const readTimeline = (r: ByteReader): Timeline => ({
  microsPerBeat: r.i64('tmln tempo'),
  beatOrigin: r.i64('tmln beatOrigin'),
  timeOrigin: r.i64('tmln timeOrigin'),
});

const readStartStop = (r: ByteReader): StartStopState => ({
  isPlaying: r.u8('stst isPlaying') !== 0,
  beats: r.i64('stst beats'),
  timestamp: r.i64('stst timestamp'),
});

const readEp4 = (r: ByteReader): Endpoint => ({ address: bytesToIpv4(r.take(4)), port: r.u16() });
const readEp6 = (r: ByteReader): Endpoint => ({ address: bytesToIpv6(r.take(16)), port: r.u16() });

/** Interprets the peer-state entries; a known key with the wrong size throws. */
export function peerStateFromEntries(entries: readonly PayloadEntry[]): PeerState {
  const s: PeerState = {};
  for (const e of entries) {
    switch (e.key) {
      case KEY_TMLN: s.timeline = readFixed(e, 24, readTimeline); break;
      case KEY_SESS: s.sessionId = readFixed(e, 8, (r) => nodeIdFromBytes(r.take(8))); break;
      case KEY_STST: s.startStop = readFixed(e, 17, readStartStop); break;
      case KEY_MEP4: s.measurementV4 = readFixed(e, 6, readEp4); break;
      case KEY_MEP6: s.measurementV6 = readFixed(e, 18, readEp6); break;
      case KEY_AEP4: s.audioV4 = readFixed(e, 6, readEp4); break;
      case KEY_AEP6: s.audioV6 = readFixed(e, 18, readEp6); break;
      default: (s.unknown ??= []).push(e);
    }
  }
  return s;
}

/** Decodes one discovery datagram. Throws DecodeError only. */
export function decodeDiscovery(bytes: Uint8Array, offset = 0): DiscoveryMessage {
  const length = bytes.length - offset;
  if (length > DISCOVERY_MAX_LENGTH) {
    throw new DecodeError(`discovery datagram of ${length} bytes exceeds ${DISCOVERY_MAX_LENGTH}`, offset);
  }
  const r = new ByteReader(bytes, offset);
  const magic = r.take(8, 'discovery header');
  if (!magic.every((b, i) => b === DISCOVERY_MAGIC[i])) throw new DecodeError('not a discovery frame (bad magic)', offset);
  const type = r.u8('discovery header');
  const ttl = r.u8('discovery header');
  const groupId = r.u16('discovery header');
  const nodeId = nodeIdFromBytes(r.take(8, 'discovery header'));
  const msg: DiscoveryMessage = { type, ttl, groupId, nodeId };
  if (type === MessageType.Alive || type === MessageType.Response) {
    msg.state = peerStateFromEntries(decodePayload(bytes, r.offset, r.end));
  }
  return msg;
}

function writePeerState(w: ByteWriter, s: PeerState): void {
  const entry = (key: number, size: number, body: () => void) => {
    w.u32(key).u32(size);
    body();
  };
  if (s.timeline) {
    const t = s.timeline;
    entry(KEY_TMLN, 24, () => w.i64(t.microsPerBeat).i64(t.beatOrigin).i64(t.timeOrigin));
  }
  if (s.sessionId) entry(KEY_SESS, 8, () => w.bytes(nodeIdToBytes(s.sessionId as NodeId)));
  if (s.startStop) {
    const st = s.startStop;
    entry(KEY_STST, 17, () => w.u8(st.isPlaying ? 1 : 0).i64(st.beats).i64(st.timestamp));
  }
  const ep = (key: number, e: Endpoint | undefined, v6: boolean) => {
    if (!e) return;
    entry(key, v6 ? 18 : 6, () => w.bytes(v6 ? ipv6ToBytes(e.address) : ipv4ToBytes(e.address)).u16(e.port));
  };
  ep(KEY_MEP4, s.measurementV4, false);
  ep(KEY_MEP6, s.measurementV6, true);
  ep(KEY_AEP4, s.audioV4, false);
  ep(KEY_AEP6, s.audioV6, true);
  for (const e of s.unknown ?? []) if (e.value.length > 0) w.u32(e.key).u32(e.value.length).bytes(e.value);
}

/** Encodes a discovery message; throws RangeError if it would reach 512 bytes. */
export function encodeDiscovery(m: DiscoveryMessage): Uint8Array {
  const w = new ByteWriter(128);
  w.bytes(DISCOVERY_MAGIC).u8(m.type).u8(m.ttl).u16(m.groupId).bytes(nodeIdToBytes(m.nodeId));
  // Only alive and response carry a peer state (spec 01 §4); the decoder reads it for those only.
  if (m.state && (m.type === MessageType.Alive || m.type === MessageType.Response)) writePeerState(w, m.state);
  if (w.length >= DISCOVERY_MAX_LENGTH) {
    throw new RangeError(`discovery message of ${w.length} bytes; the limit is ${DISCOVERY_MAX_LENGTH - 1}`);
  }
  return w.finish();
}

/** Encoded length of `m` in bytes. */
export function discoveryLength(m: DiscoveryMessage): number {
  return encodeDiscovery(m).length;
}
