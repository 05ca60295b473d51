/**
 * A single-producer single-consumer ring of timed MIDI messages in a SharedArrayBuffer (L2),
 * between the main thread (writer) and the timing thread (reader). No postMessage on the hot
 * path: the timing thread is blocked in `Atomics.wait` or spinning and never runs its event
 * loop, so messages must arrive through shared memory; a write bumps a sequence word and
 * `Atomics.notify` wakes the reader.
 *
 * Layout: a 64-byte header of Int32 words, then `capacity` 32-byte slots. A slot holds a
 * Float64 time, an Int32 length, an Int32 kind (0 message, 1 cancel-from-time, 2 close) and up
 * to 16 bytes of data; longer messages (sysex) continue in the following slots, 32 bytes each.
 * @module
 */

const WRITE = 0;
const READ = 1;
/** Incremented on every write: the word the reader waits on. */
export const SEQ = 2;
const CAPACITY = 3;
const DROPPED = 4;
const HEADER_BYTES = 64;
const SLOT = 32;
const INLINE = 16;

export const KIND_MESSAGE = 0;
export const KIND_CANCEL_FROM = 1;
export const KIND_CLOSE = 2;

export function createRingBuffer(capacity = 4096): SharedArrayBuffer {
  if (capacity < 4 || (capacity & (capacity - 1)) !== 0) throw new RangeError(`capacity must be a power of two ≥ 4, got ${capacity}`);
  const sab = new SharedArrayBuffer(HEADER_BYTES + capacity * SLOT);
  new Int32Array(sab, 0, HEADER_BYTES / 4)[CAPACITY] = capacity;
  return sab;
}

class RingView {
  protected readonly hdr: Int32Array;
  protected readonly bytes: Uint8Array;
  protected readonly view: DataView;
  protected readonly capacity: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(sab, HEADER_BYTES);
    this.view = new DataView(sab, HEADER_BYTES);
    this.capacity = this.hdr[CAPACITY] as number;
  }

  get header(): Int32Array {
    return this.hdr;
  }

  /** Messages dropped because the ring was full. */
  get dropped(): number {
    return Atomics.load(this.hdr, DROPPED);
  }

  protected slotsFor(len: number): number {
    return len <= INLINE ? 1 : 1 + Math.ceil((len - INLINE) / SLOT);
  }

  protected byteAt(slotIndex: number, offsetInSlot: number): number {
    return ((slotIndex & (this.capacity - 1)) * SLOT) + offsetInSlot;
  }
}

export class RingWriter extends RingView {
  /** Appends one record; false (and counted as dropped) when the ring is full. */
  write(kind: number, timeMicros: number, data: Uint8Array = new Uint8Array(0)): boolean {
    const need = this.slotsFor(data.length);
    const w = Atomics.load(this.hdr, WRITE);
    const r = Atomics.load(this.hdr, READ);
    if (((w - r) | 0) + need > this.capacity) {
      Atomics.add(this.hdr, DROPPED, 1);
      return false;
    }
    const base = this.byteAt(w, 0);
    this.view.setFloat64(base, timeMicros, true);
    this.view.setInt32(base + 8, data.length, true);
    this.view.setInt32(base + 12, kind, true);
    for (let i = 0; i < data.length; i++) {
      const pos = i < INLINE ? base + 16 + i : this.byteAt(w + 1 + Math.floor((i - INLINE) / SLOT), (i - INLINE) % SLOT);
      this.bytes[pos] = data[i] as number;
    }
    Atomics.store(this.hdr, WRITE, (w + need) | 0);
    Atomics.add(this.hdr, SEQ, 1);
    Atomics.notify(this.hdr, SEQ);
    return true;
  }
}

export class RingReader extends RingView {
  /** Calls `fn` for every record written since the last drain; returns how many. */
  drain(fn: (kind: number, timeMicros: number, data: Uint8Array) => void): number {
    let r = Atomics.load(this.hdr, READ);
    const w = Atomics.load(this.hdr, WRITE);
    let n = 0;
    while (r !== w) {
      const base = this.byteAt(r, 0);
      const time = this.view.getFloat64(base, true);
      const len = this.view.getInt32(base + 8, true);
      const kind = this.view.getInt32(base + 12, true);
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) {
        const pos = i < INLINE ? base + 16 + i : this.byteAt(r + 1 + Math.floor((i - INLINE) / SLOT), (i - INLINE) % SLOT);
        data[i] = this.bytes[pos] as number;
      }
      r = (r + this.slotsFor(len)) | 0;
      Atomics.store(this.hdr, READ, r);
      fn(kind, time, data);
      n++;
    }
    return n;
  }
}
