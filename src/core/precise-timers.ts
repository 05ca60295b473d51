/**
 * `PreciseTimers` from ordinary Timers (L0/L1): exactly on time with VirtualTime, timer
 * precision (±1–2 ms on an event loop) otherwise. The Node runtime offers better ones
 * (`src/node/timing/precise-timers.ts`).
 * @module
 */
import type { Clock, PreciseTimers, Timers } from './runtime.ts';

export function timerPreciseTimers(clock: Clock, timers: Timers): PreciseTimers {
  return {
    callAt(fn, atMicros) {
      return timers.setTimeout(fn, Math.max(0, atMicros - clock.micros()));
    },
  };
}
