/**
 * `HostTimeScheduler` (L1): messages at host times (µs) rather than beats, on the same
 * lookahead windows — each wakeup hands out every message due in [last, now + lookahead) with
 * its exact time. A message added for a time inside the window already handed out (or in the
 * past) is handed out at once.
 *
 * Lifecycle (docs/lifecycle.md): the constructor only wires; `open()` starts the windows
 * (messages scheduled before are kept); `close()` stops, withdraws what was handed out ahead,
 * sends every note-off (and Stop) still owed at once, and resolves when the output has sent it:
 * a note whose note-on went out never hangs because its note-off was scheduled further ahead.
 * @module
 */
import type { Clock, Timers } from '../core/runtime.ts';
import { timeMicros as checkTime } from '../core/checks.ts';
import { PhaselockError } from '../core/errors.ts';
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

/** A note-off (or note-on with velocity 0) or Stop: what ends something a receiver does. */
const isEnding = (d: Uint8Array) =>
  d[0] === 0xfc || (d.length >= 3 && (((d[0] as number) & 0xf0) === 0x80 || (((d[0] as number) & 0xf0) === 0x90 && d[2] === 0)));

/**
 * @example
 * await using s = new HostTimeScheduler({ clock: hrClock, timers: nodeTimers }, output).open();
 * s.schedule(hrClock.micros() + 500_000, noteOn(1, 60, 100));
 */
export class HostTimeScheduler {
  private readonly scheduler: WindowScheduler;
  private readonly dispatcher: OutputDispatcher;
  private items: Item[] = [];
  /** Handed out for a time not yet past (withdrawn on close). */
  private handed: Item[] = [];
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private readonly clock: Clock;

  constructor(rt: HostTimeSchedulerRuntime, output: ScheduledOutput, options: WindowSchedulerOptions = {}) {
    this.dispatcher = new OutputDispatcher(output, rt.clock, rt.preciseTimers ?? timerPreciseTimers(rt.clock, rt.timers), options.onError);
    this.scheduler = new WindowScheduler(rt.clock, rt.timers, (w) => this.take(w.toMicros), options);
    this.clock = rt.clock;
  }

  /** Starts handing out messages. Throws E_CLOSED once closed. */
  open(): this {
    this.assertOpen('open');
    this.scheduler.start();
    return this;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Messages not yet handed out. */
  get pending(): number {
    return this.items.length;
  }

  /** Schedules `data` at host time `timeMicros`; returns an id for `cancel`. */
  schedule(timeMicros: number, data: Uint8Array): number {
    this.assertOpen('schedule');
    const item = { id: this.nextId++, time: checkTime('timeMicros', timeMicros), data: data.slice() };
    if (item.time < (this.scheduler.horizonMicros ?? -Infinity)) {
      this.handOut(item);
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

  /**
   * Stops; messages not handed out are dropped and what was handed out ahead is withdrawn, but
   * every note-off and Stop among them goes out now. Resolves once the output has sent them.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.scheduler.stop();
      // What is due within the output's withdraw lead may be on its way already: it stays.
      const at = this.clock.micros() + this.dispatcher.withdrawLeadMicros;
      const owed = [...this.handed.filter((h) => h.time > at), ...this.items].filter((h) => isEnding(h.data));
      this.dispatcher.cancelFrom(at + 1);
      for (const h of owed) this.dispatcher.deliver(at, h.data);
      this.dispatcher.flush();
      this.items = [];
      this.handed = [];
      await this.dispatcher.drain();
      this.dispatcher.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private take(until: number): void {
    const now = this.clock.micros();
    if (this.handed.length > 0) this.handed = this.handed.filter((h) => h.time > now);
    let n = 0;
    while (n < this.items.length && (this.items[n] as Item).time < until) n++;
    for (const it of this.items.splice(0, n)) this.handOut(it);
  }

  private handOut(item: Item): void {
    if (item.time > this.clock.micros()) this.handed.push(item);
    this.dispatcher.deliver(item.time, item.data);
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new PhaselockError('E_CLOSED', `HostTimeScheduler.${what}: closed`);
  }
}
