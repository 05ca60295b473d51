/**
 * Beat promises (L1 on any `TimelineSource`): `atBeat(source, beat)` resolves when the timeline
 * reaches `beat`, `sync(source, beatMultiple)` at the next multiple of `beatMultiple` beats
 * (plus `offset`). The result carries the scheduled host time, taken from the timeline, not
 * from when the promise happened to run. Both reject with E_CLOSED when the source closes
 * first, and with the signal's reason when aborted.
 *
 * While the beat is far away a coarse timer re-reads the timeline (so tempo changes and jumps
 * are followed, and a 'tempo' event re-reads it at once); in the last `fineMicros` it hands the
 * exact time to `PreciseTimers`. With the Node precise timers the promise settles within tens
 * of µs of the beat (a promise continuation adds a microtask on top); with plain timers within
 * the event loop's ±1–2 ms. On VirtualTime it is exact.
 * @module
 */
import { finiteNumber, nonNegative } from '../core/checks.ts';
import { PhaselockError } from '../core/errors.ts';
import type { PreciseTimers, TimerHandle, Timers } from '../core/runtime.ts';
import type { TimelineSource } from './timeline-source.ts';

export interface AtBeatOptions {
  /** Quantum for the beat magnitude (default 4), as in `beatAtTime`. */
  quantum?: number;
  /** Rejects with the signal's reason (or an E_CLOSED PhaselockError) when aborted. */
  signal?: AbortSignal;
  /** Override the timers of the timeline source. */
  timers?: Timers;
  preciseTimers?: PreciseTimers;
  /** Switch from coarse re-reading to the precise timer this long before the beat (µs, default 20 000). */
  fineMicros?: number;
}

export interface SyncOptions extends AtBeatOptions {
  /** Beat offset of the grid: sync(4, { offset: 1 }) → beats 1, 5, 9, … (default 0). */
  offset?: number;
}

export interface BeatArrival {
  /** The beat that arrived. */
  beat: number;
  /** Its host time (µs) on the timeline when it fired: the exact scheduled time. */
  timeMicros: number;
  /** The clock when the promise settled (µs). */
  firedAtMicros: number;
  /** firedAtMicros − timeMicros (µs; > 0 when the beat was already past when asked). */
  lateMicros: number;
}

const COARSE_MAX_MICROS = 100_000;

/**
 * Resolves at the host time of `beat` (quantum `q`) on `link`'s timeline. A beat already past
 * resolves at once (with `lateMicros` > 0).
 * @example
 * const { timeMicros } = await atBeat(link, 8, { quantum: 4 });
 */
export function atBeat(link: TimelineSource, beat: number, options: AtBeatOptions = {}): Promise<BeatArrival> {
  const b = finiteNumber('beat', beat);
  const q = nonNegative('quantum', options.quantum ?? 4);
  const fine = nonNegative('fineMicros', options.fineMicros ?? 20_000);
  const clock = link.clock;
  const timers = options.timers ?? link.timers;
  const preciseTimers = options.preciseTimers ?? link.preciseTimers;
  const signal = options.signal;
  if (link.closed) return Promise.reject(new PhaselockError('E_CLOSED', 'atBeat: the timeline source is closed'));
  return new Promise<BeatArrival>((resolve, reject) => {
    let handle: TimerHandle | undefined;
    let settled = false;
    const cleanup = () => {
      settled = true;
      handle?.cancel();
      link.off('tempo', onTempo);
      link.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      if (settled) return;
      cleanup();
      reject(signal?.reason ?? new PhaselockError('E_CLOSED', 'atBeat aborted'));
    };
    const onClose = () => {
      if (settled) return;
      cleanup();
      reject(new PhaselockError('E_CLOSED', `atBeat(${b}): the timeline source closed first`));
    };
    const fire = (expected: number) => {
      handle = undefined;
      const t = link.captureAppSessionState().timeAtBeat(b, q);
      const now = clock.micros();
      // The timeline moved the beat later since the timer was set: wait again.
      if (t > now && t !== expected) return check();
      cleanup();
      resolve({ beat: b, timeMicros: t, firedAtMicros: now, lateMicros: now - t });
    };
    const check = () => {
      if (settled) return;
      handle?.cancel();
      const t = link.captureAppSessionState().timeAtBeat(b, q);
      const ahead = t - clock.micros();
      if (ahead <= 0) fire(t);
      else if (ahead > fine) handle = timers.setTimeout(check, Math.min(ahead - fine, COARSE_MAX_MICROS));
      else handle = preciseTimers.callAt(() => fire(t), t);
    };
    const onTempo = () => check();
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    link.on('tempo', onTempo);
    link.on('close', onClose);
    check();
  });
}

/**
 * Resolves at the next beat that is `offset` plus a whole multiple of `beatMultiple` (strictly
 * after now): sync(link, 1) is the next beat, sync(link, 4) the next bar with quantum 4.
 * @example
 * const bar = await sync(link, 4); // bar.timeMicros: the downbeat's exact host time
 */
export function sync(link: TimelineSource, beatMultiple: number, options: SyncOptions = {}): Promise<BeatArrival> {
  const m = finiteNumber('beatMultiple', beatMultiple);
  if (m <= 0) throw new RangeError(`beatMultiple must be > 0, got ${beatMultiple}`);
  const offset = finiteNumber('offset', options.offset ?? 0);
  const q = nonNegative('quantum', options.quantum ?? 4);
  const now = link.clock.micros();
  const b = link.captureAppSessionState().beatAtTime(now, q);
  const k = Math.floor((b - offset) / m) + 1;
  return atBeat(link, offset + k * m, options);
}
