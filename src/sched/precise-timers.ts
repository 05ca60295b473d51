/**
 * `PreciseTimers` (L1 interface): "call this function at that host instant". The scheduler
 * hands events ahead of time; outputs that must be called at the instant (a native MIDI port on
 * the main thread) are called through one of these.
 *
 * - `timerPreciseTimers(clock, timers)` (here, L1): plain Timers — exact on `VirtualTime`,
 *   about ±1–2 ms on Node's event loop.
 * - `nodePreciseTimers()` (`src/node/precise-timers.ts`, L2): a timer that wakes a little early,
 *   then `Atomics.wait` and a short spin on the main thread (tens of µs; blocks the event loop
 *   for at most `wakeEarlyMicros` per instant).
 * - For the best precision use `PreciseWorkerOutput` (`src/node/precise-output.ts`): a timing
 *   thread that performs the output itself.
 * @module
 */
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';

export interface PreciseTimers {
  /** Calls `fn` once, as close as the implementation can to host time `atMicros` (never before). */
  callAt(fn: () => void, atMicros: number): TimerHandle;
}

/** PreciseTimers from ordinary Timers: exactly on time with VirtualTime, timer precision otherwise. */
export function timerPreciseTimers(clock: Clock, timers: Timers): PreciseTimers {
  return {
    callAt(fn, atMicros) {
      return timers.setTimeout(fn, Math.max(0, atMicros - clock.micros()));
    },
  };
}
