/**
 * Big-endian byte reader and writer shared by every wire codec (link-wire-spec 00 §4.1).
 * int64 fields travel through BigInt and must fit a safe integer on decode.
 * @module
 */
import { DecodeError } from './errors.ts';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class ByteReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  offset: number;
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    if (offset < 0 || offset > end || end > bytes.length) {
      throw new DecodeError(`reader range [${offset}, ${end}) outside buffer of ${bytes.length}`, offset);
    }
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Throws a DecodeError naming `what` unless `n` more bytes are available. */
  need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new DecodeError(`${what} truncated (need ${n}, have ${this.remaining})`, this.offset);
    }
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }

  u16(what = 'u16'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  /** The next u32 without consuming it (the caller checked that 4 bytes remain). */
  peekU32(): number {
    return this.view.getUint32(this.offset);
  }

  u32(what = 'u32'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  /** Signed 64-bit as a number; values beyond ±2^53-1 are a DecodeError. */
  i64(what = 'i64'): number {
    this.need(8, what);
    const v = this.view.getBigInt64(this.offset);
    if (v > MAX_SAFE || v < -MAX_SAFE) {
      throw new DecodeError(`${what} ${v} outside the safe integer range`, this.offset);
    }
    this.offset += 8;
    return Number(v);
  }

  /** `n` raw bytes (a copy, so callers may keep it). */
  take(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 128) {
    this.buf = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private check(v: number, max: number, what: string): void {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`${what} must be an integer in [0, ${max}], got ${v}`);
  }

  u8(v: number): this {
    this.check(v, 0xff, 'u8 field');
    this.ensure(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
    return this;
  }

  u16(v: number): this {
    this.check(v, 0xffff, 'u16 field');
    this.ensure(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.check(v, 0xffffffff, 'u32 field');
    this.ensure(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
    return this;
  }

  /** Signed 64-bit from a safe integer. */
  i64(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`i64 field must be a safe integer, got ${v}`);
    this.ensure(8);
    this.view.setBigInt64(this.length, BigInt(v));
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** Overwrites a u32 written earlier (for size fields known only afterwards). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
