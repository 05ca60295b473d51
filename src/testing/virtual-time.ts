/**
 * Virtual time for scenario tests: a Clock and Timers that move only on `advance`, firing
 * timers in time order (ties in creation order). Starts at a large non-zero epoch so code
 * that assumes "time 0 = start" is caught.
 * @module
 */
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export const VIRTUAL_EPOCH_MICROS = 1_000_000_000_000;

export class VirtualTime implements Clock, Timers {
  private nowMicros: number;
  private seq = 0;
  private queue: Entry[] = [];

  constructor(startMicros = VIRTUAL_EPOCH_MICROS) {
    this.nowMicros = startMicros;
  }

  micros(): number {
    return this.nowMicros;
  }

  setTimeout(fn: () => void, delayMicros: number): TimerHandle {
    const entry: Entry = { at: this.nowMicros + Math.max(0, Math.round(delayMicros)), seq: this.seq++, fn, cancelled: false };
    this.insert(entry);
    return { cancel: () => { entry.cancelled = true; } };
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.queue.filter((e) => !e.cancelled).length;
  }

  /** Moves time forward by `micros`, firing every timer due on the way, in order. */
  advance(micros: number): void {
    this.advanceTo(this.nowMicros + micros);
  }

  advanceTo(target: number): void {
    for (;;) {
      const next = this.queue[0];
      if (!next || next.at > target) break;
      this.queue.shift();
      if (next.cancelled) continue;
      this.nowMicros = next.at;
      next.fn();
    }
    this.nowMicros = Math.max(this.nowMicros, target);
  }

  /** Advances in `stepMicros` steps until `done()` or `maxMicros` elapsed; returns whether done. */
  runUntil(done: () => boolean, maxMicros: number, stepMicros = 1000): boolean {
    const end = this.nowMicros + maxMicros;
    while (!done()) {
      if (this.nowMicros >= end) return false;
      this.advance(Math.min(stepMicros, end - this.nowMicros));
    }
    return true;
  }

  private insert(e: Entry): void {
    // Binary search on (at, seq): timers are few, inserts cheap.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.queue[mid] as Entry;
      if (m.at < e.at || (m.at === e.at && m.seq < e.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, e);
  }
}
