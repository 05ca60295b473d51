/**
 * The host clock and timers of the Node runtime (L2): CLOCK_MONOTONIC in integer µs, and
 * Node's timers behind the `Timers` port. Every timer callback marks the end of a phaselock
 * callback for the event-loop probe (link/loop-probe.ts).
 * @module
 */
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';
import { callbackEnded } from './link/loop-probe.ts';

/**
 * Host time: integer µs of CLOCK_MONOTONIC (process.hrtime). Read as `[s, ns]` rather than a
 * BigInt: optimized code elides that array, so the read allocates nothing (~40 ns), while
 * `hrtime.bigint()` allocates on every read and a spinning timing thread then pauses for a
 * scavenge every few hundred ms (measured; bench/timing.ts).
 */
export const hrClock: Clock = {
  micros: () => {
    const t = process.hrtime();
    return t[0] * 1_000_000 + Math.floor(t[1] / 1000);
  },
};

export const nodeTimers: Timers = {
  setTimeout(fn: () => void, delayMicros: number): TimerHandle {
    const t = setTimeout(() => {
      try {
        fn();
      } finally {
        callbackEnded();
      }
    }, Math.max(0, delayMicros / 1000));
    return { cancel: () => clearTimeout(t) };
  },
};
