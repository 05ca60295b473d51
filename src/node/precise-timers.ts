/**
 * `nodePreciseTimers` (L2): PreciseTimers for the main thread. A libuv timer wakes
 * `wakeEarlyMicros` before the instant (Node timers fire up to ~1 ms early or late), then the
 * thread sleeps in `Atomics.wait` until `spinMicros` before it and spins on `process.hrtime`
 * for the rest.
 *
 * The cost: the event loop is blocked for up to `wakeEarlyMicros` per instant (sleeping, not
 * burning CPU, except for the final spin). Link's network handling waits that long at worst;
 * measured in bench/timing.ts and docs/timing.md. For precision without blocking the main
 * thread, use the timing-thread output (`openPreciseOutput`).
 * @module
 */
import type { TimerHandle } from '../core/runtime.ts';
import type { PreciseTimers } from '../sched/precise-timers.ts';
import { hrClock } from './node-runtime.ts';

export interface NodePreciseTimersOptions {
  /** Wake the event loop this long before the instant (µs, default 2000). */
  wakeEarlyMicros?: number;
  /** Spin (instead of sleeping) for the last this many µs (default 150). */
  spinMicros?: number;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread until host time `atMicros`: Atomics.wait, then a short spin. */
export function blockUntil(atMicros: number, spinMicros: number): void {
  const rem = atMicros - hrClock.micros();
  if (rem > spinMicros) Atomics.wait(sleeper, 0, 0, (rem - spinMicros) / 1000);
  while (hrClock.micros() < atMicros) {
    // spin: a few hundred ns per hrtime read
  }
}

/**
 * @example
 * const clock = new MidiClockOut(link, await openNativeMidiOutput(0), { preciseTimers: nodePreciseTimers() });
 */
export function nodePreciseTimers(options: NodePreciseTimersOptions = {}): PreciseTimers {
  const wakeEarly = options.wakeEarlyMicros ?? 2000;
  const spin = options.spinMicros ?? 150;
  return {
    callAt(fn: () => void, atMicros: number): TimerHandle {
      let cancelled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const step = () => {
        timer = undefined;
        if (cancelled) return;
        const rem = atMicros - hrClock.micros();
        if (rem > wakeEarly) {
          timer = setTimeout(step, (rem - wakeEarly) / 1000);
          return;
        }
        blockUntil(atMicros, spin);
        fn();
      };
      step();
      return {
        cancel: () => {
          cancelled = true;
          if (timer) clearTimeout(timer);
        },
      };
    },
  };
}
