/**
 * 16-bit RTP sequence number arithmetic (RFC 3550 §A.1 style): unwrapping onto an extended
 * counter and modular comparisons. Pure (L0).
 * @module
 */

export const SEQ_MOD = 0x10000;

/** Signed distance `b - a` on the 16-bit circle, in [-32768, 32767]. */
export function seqDelta(a: number, b: number): number {
  return ((((b - a) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** True when `a` is at or before `b` on the 16-bit circle (half a cycle window). */
export function seqLe(a: number, b: number): boolean {
  return seqDelta(a, b) >= 0;
}

/** The extended value of 16-bit `seq` nearest to the extended `reference`. */
export function unwrapSeq(seq: number, reference: number): number {
  return reference + seqDelta(reference & 0xffff, seq);
}

/** Throws a RangeError unless `seq` is an integer in [0, 65535] (an API boundary check). */
export function checkSeq(seq: number, what = 'seq'): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) {
    throw new RangeError(`${what} must be an integer in [0, 65535], got ${seq}`);
  }
}
