/**
 * Clock measurement ping/pong (link-wire-spec 02 §3–§4).
 * @module
 */
import { ByteReader, ByteWriter } from '../core/byte-io.ts';
import { DecodeError } from '../core/errors.ts';
import { decodePayload, fourcc, readFixed } from './payload.ts';
import { nodeIdFromBytes, nodeIdToBytes, type NodeId } from './types.ts';

/** `_link_v` + version 1. */
export const MEASUREMENT_MAGIC = Uint8Array.of(0x5f, 0x6c, 0x69, 0x6e, 0x6b, 0x5f, 0x76, 0x01);
export const MEASUREMENT_HEADER_LENGTH = 9;
export const MEASUREMENT_MAX_LENGTH = 512;
/** A responder ignores pings whose payload exceeds this (spec 02 §4.3). */
export const MAX_PING_PAYLOAD = 32;

export const PING = 1;
export const PONG = 2;

export const KEY_HOST_TIME = fourcc('__ht');
export const KEY_GHOST_TIME = fourcc('__gt');
export const KEY_PREV_GHOST_TIME = fourcc('_pgt');
export const KEY_SESSION = fourcc('sess');

export interface MeasurementMessage {
  type: number;
  sessionId?: NodeId;
  ghostTime?: number;
  hostTime?: number;
  prevGhostTime?: number;
}

export function isMeasurementFrame(bytes: Uint8Array): boolean {
  if (bytes.length < MEASUREMENT_HEADER_LENGTH) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== MEASUREMENT_MAGIC[i]) return false;
  return true;
}

/** Decodes a ping or pong. Unknown payload keys are skipped. Throws DecodeError only. */
export function decodeMeasurement(bytes: Uint8Array, offset = 0): MeasurementMessage {
  const length = bytes.length - offset;
  if (length > MEASUREMENT_MAX_LENGTH) {
    throw new DecodeError(`measurement datagram of ${length} bytes exceeds ${MEASUREMENT_MAX_LENGTH}`, offset);
  }
  const r = new ByteReader(bytes, offset);
  const magic = r.take(8, 'measurement header');
  if (!magic.every((b, i) => b === MEASUREMENT_MAGIC[i])) throw new DecodeError('not a measurement frame (bad magic)', offset);
  const msg: MeasurementMessage = { type: r.u8('measurement header') };
  const i64 = (rr: ByteReader) => rr.i64();
  for (const e of decodePayload(bytes, r.offset, r.end)) {
    switch (e.key) {
      case KEY_HOST_TIME: msg.hostTime = readFixed(e, 8, i64); break;
      case KEY_GHOST_TIME: msg.ghostTime = readFixed(e, 8, i64); break;
      case KEY_PREV_GHOST_TIME: msg.prevGhostTime = readFixed(e, 8, i64); break;
      case KEY_SESSION: msg.sessionId = readFixed(e, 8, (rr) => nodeIdFromBytes(rr.take(8))); break;
      default: break;
    }
  }
  return msg;
}

/** Encodes entries in the reference order: sess, __gt, __ht, _pgt (absent ones omitted). */
export function encodeMeasurement(m: MeasurementMessage): Uint8Array {
  const w = new ByteWriter(80);
  w.bytes(MEASUREMENT_MAGIC).u8(m.type);
  if (m.sessionId !== undefined) w.u32(KEY_SESSION).u32(8).bytes(nodeIdToBytes(m.sessionId));
  if (m.ghostTime !== undefined) w.u32(KEY_GHOST_TIME).u32(8).i64(m.ghostTime);
  if (m.hostTime !== undefined) w.u32(KEY_HOST_TIME).u32(8).i64(m.hostTime);
  if (m.prevGhostTime !== undefined) w.u32(KEY_PREV_GHOST_TIME).u32(8).i64(m.prevGhostTime);
  return w.finish();
}

export function measurementLength(m: MeasurementMessage): number {
  return encodeMeasurement(m).length;
}

/**
 * Writes a safe integer as a big-endian int64 at `at`, without BigInt (nothing allocated: this
 * runs between reading the clock and sending).
 */
export function patchI64(bytes: Uint8Array, at: number, v: number): void {
  const hi = Math.floor(v / 4294967296);
  const lo = v - hi * 4294967296;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setInt32(at, hi);
  view.setUint32(at + 4, lo);
}

/**
 * A ping whose `__ht` is written last (`patchI64(bytes, hostTimeAt, t)`), so the clock can be
 * read just before the send: encoding between the two would delay every ping behind its stamp.
 */
export function pingTemplate(prevGhostTime?: number): { bytes: Uint8Array; hostTimeAt: number } {
  const m: MeasurementMessage = { type: PING, hostTime: 0 };
  if (prevGhostTime !== undefined) m.prevGhostTime = prevGhostTime;
  return { bytes: encodeMeasurement(m), hostTimeAt: MEASUREMENT_HEADER_LENGTH + 8 };
}

/**
 * The pong answering `ping` with its `__gt` written last (`patchI64(bytes, ghostTimeAt, g)`), see
 * pingTemplate. Undefined for a ping the responder must ignore (payload > 32 bytes).
 */
export function pongTemplate(ping: Uint8Array, sessionId: NodeId): { bytes: Uint8Array; ghostTimeAt: number } | undefined {
  const bytes = encodePongEcho(ping, sessionId, 0);
  return bytes && { bytes, ghostTimeAt: MEASUREMENT_HEADER_LENGTH + 16 + 8 };
}

/**
 * A pong answering `ping`: own `sess` and `__gt`, then the ping's payload bytes verbatim
 * (spec 02 §4.1). Returns undefined for a ping the responder must ignore (payload > 32 bytes).
 */
export function encodePongEcho(ping: Uint8Array, sessionId: NodeId, ghostTime: number): Uint8Array | undefined {
  const echo = ping.subarray(MEASUREMENT_HEADER_LENGTH);
  if (echo.length > MAX_PING_PAYLOAD) return undefined;
  const w = new ByteWriter(MEASUREMENT_HEADER_LENGTH + 32 + echo.length);
  w.bytes(MEASUREMENT_MAGIC).u8(PONG);
  w.u32(KEY_SESSION).u32(8).bytes(nodeIdToBytes(sessionId));
  w.u32(KEY_GHOST_TIME).u32(8).i64(ghostTime);
  w.bytes(echo);
  return w.finish();
}
