/**
 * `PreciseTimers` (L1 interface): "call this function at that host instant". The scheduler
 * hands events ahead of time; outputs that must be called at the instant (a native MIDI port on
 * the main thread) are called through one of these.
 *
 * - `timerPreciseTimers(clock, timers)` (here, L1): plain Timers — exact on `VirtualTime`,
 *   about ±1–2 ms on Node's event loop.
 * - `nodePreciseTimers()` (`src/node/timing/precise-timers.ts`, L2): a timer that wakes a little early,
 *   then `Atomics.wait` and a short spin on the main thread (tens of µs; blocks the event loop
 *   for at most `wakeEarlyMicros` per instant).
 * - For the best precision use `PreciseWorkerOutput` (`src/node/timing/precise-output.ts`): a timing
 *   thread that performs the output itself.
 * @module
 */
export type { PreciseTimers } from '../core/runtime.ts';
export { timerPreciseTimers } from '../core/precise-timers.ts';
