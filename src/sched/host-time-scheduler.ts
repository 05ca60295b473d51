/**
 * `HostTimeScheduler` (L1): messages at host times (µs) rather than beats, on the same
 * lookahead windows — each wakeup hands out every message due in [last, now + lookahead) with
 * its exact time. A message added for a time inside the window already handed out (or in the
 * past) is handed out at once.
 * @module
 */
import type { Clock, Timers } from '../core/runtime.ts';
import { timeMicros as checkTime } from '../core/checks.ts';
import { OutputDispatcher, type ScheduledOutput } from './output-dispatcher.ts';
import { timerPreciseTimers, type PreciseTimers } from './precise-timers.ts';
import { WindowScheduler, type WindowSchedulerOptions } from './window-scheduler.ts';

interface Item {
  id: number;
  time: number;
  data: Uint8Array;
}

export interface HostTimeSchedulerRuntime {
  clock: Clock;
  timers: Timers;
  preciseTimers?: PreciseTimers;
}

/**
 * @example
 * const s = new HostTimeScheduler({ clock: hrClock, timers: nodeTimers }, output);
 * s.schedule(hrClock.micros() + 500_000, noteOn(1, 60, 100));
 */
export class HostTimeScheduler {
  private readonly scheduler: WindowScheduler;
  private readonly dispatcher: OutputDispatcher;
  private items: Item[] = [];
  private nextId = 1;

  constructor(rt: HostTimeSchedulerRuntime, output: ScheduledOutput, options: WindowSchedulerOptions = {}) {
    this.dispatcher = new OutputDispatcher(output, rt.clock, rt.preciseTimers ?? timerPreciseTimers(rt.clock, rt.timers), options.onError);
    this.scheduler = new WindowScheduler(rt.clock, rt.timers, (w) => this.take(w.toMicros), options);
    this.scheduler.start();
  }

  /** Messages not yet handed out. */
  get pending(): number {
    return this.items.length;
  }

  /** Schedules `data` at host time `timeMicros`; returns an id for `cancel`. */
  schedule(timeMicros: number, data: Uint8Array): number {
    const item = { id: this.nextId++, time: checkTime('timeMicros', timeMicros), data: data.slice() };
    if (item.time < (this.scheduler.horizonMicros ?? -Infinity)) {
      this.dispatcher.deliver(item.time, item.data);
      return item.id;
    }
    let i = this.items.length;
    while (i > 0 && (this.items[i - 1] as Item).time > item.time) i--;
    this.items.splice(i, 0, item);
    return item.id;
  }

  /** Cancels a message not yet handed out; false if it was (or never existed). */
  cancel(id: number): boolean {
    const i = this.items.findIndex((x) => x.id === id);
    if (i < 0) return false;
    this.items.splice(i, 1);
    return true;
  }

  /** Stops; messages not yet sent (including ones queued for an instant output) are dropped. */
  close(): void {
    this.scheduler.stop();
    this.dispatcher.close();
    this.items = [];
  }

  private take(until: number): void {
    let n = 0;
    while (n < this.items.length && (this.items[n] as Item).time < until) n++;
    for (const it of this.items.splice(0, n)) this.dispatcher.deliver(it.time, it.data);
  }
}
