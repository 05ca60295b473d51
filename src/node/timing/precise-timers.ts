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
import type { TimerHandle } from '../../core/runtime.ts';
import type { PreciseTimers } from '../../sched/precise-timers.ts';
import { hrClock } from '../host-clock.ts';

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
    // spin: ~40 ns per clock read, no garbage
  }
}

/**
 * @example
 * const clock = new MidiClockOut(link, await openNativeMidiOutput(0), { preciseTimers: nodePreciseTimers() });
 */
export function nodePreciseTimers(options: NodePreciseTimersOptions = {}): PreciseTimers {
  const wakeEarly = options.wakeEarlyMicros ?? 2000;
  const spin = options.spinMicros ?? 150;
  // One queue for every callAt of this instance, earliest first (ties in call order), and one
  // libuv timer for its head: separate timers armed at different moments could wake in the
  // wrong order for two instants a few µs apart.
  const queue: Entry[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let immediate: ReturnType<typeof setImmediate> | undefined;
  const disarm = () => {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = immediate = undefined;
  };
  const arm = () => {
    disarm();
    const head = queue[0];
    if (!head) return;
    const rem = head.at - hrClock.micros();
    if (rem > wakeEarly) timer = setTimeout(run, (rem - wakeEarly) / 1000);
    else immediate = setImmediate(run);
  };
  const run = () => {
    timer = immediate = undefined;
    try {
      for (let head = queue[0]; head && head.at - hrClock.micros() <= wakeEarly; head = queue[0]) {
        queue.shift();
        blockUntil(head.at, spin);
        head.fn(); // may add or cancel entries: the loop reads the queue afresh
      }
    } finally {
      arm();
    }
  };
  return {
    callAt(fn: () => void, atMicros: number): TimerHandle {
      const entry: Entry = { at: atMicros, fn };
      let lo = 0;
      let hi = queue.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((queue[mid] as Entry).at <= atMicros) lo = mid + 1;
        else hi = mid;
      }
      queue.splice(lo, 0, entry);
      if (lo === 0) arm();
      return {
        cancel: () => {
          const k = queue.indexOf(entry);
          if (k < 0) return;
          queue.splice(k, 1);
          if (k === 0) arm();
        },
      };
    },
  };
}

interface Entry {
  at: number;
  fn: () => void;
}
