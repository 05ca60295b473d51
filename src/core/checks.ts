/**
 * Argument checks for API boundaries: bad input throws at once, naming the accepted range.
 * @module
 */

/** Throws TypeError unless `value` is a number, RangeError unless it is finite. */
export function finiteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`${name} must be a finite number, got ${typeof value}`);
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(`${name} must be a finite number, got ${value}`);
  }
  return value;
}

/** A finite number >= 0. */
export function nonNegative(name: string, value: unknown): number {
  const v = finiteNumber(name, value);
  if (v < 0) throw new RangeError(`${name} must be >= 0, got ${v}`);
  return v;
}

/** A host time in µs: a finite number, rounded half away from zero to a whole µs. */
export function timeMicros(name: string, value: unknown): number {
  const v = finiteNumber(name, value);
  if (Math.abs(v) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`${name} must be within ±${Number.MAX_SAFE_INTEGER} µs, got ${v}`);
  }
  return roundHalfAway(v);
}

/** A boolean, strictly. */
export function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${typeof value}`);
  return value;
}

/** An integer within [min, max]. */
export function intInRange(name: string, value: unknown, min: number, max: number): number {
  const v = finiteNumber(name, value);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  }
  return v;
}

/**
 * Round half away from zero, as C's llround does (the Link reference's rule).
 * `Math.round(-2.5)` is -2; this gives -3.
 */
export function roundHalfAway(x: number): number {
  return x < 0 ? 0 - Math.round(-x) : Math.round(x);
}
