/**
 * Requests waiting for mpv's reply (L1): request ids, one timeout each, a bounded table.
 * A reply that arrives after its request timed out is recognised (a short memory of timed-out
 * ids) and dropped quietly; one for an id we never used is reported by the caller.
 * @module
 */
import { PhaselockError } from '../core/errors.ts';
import type { TimerHandle, Timers } from '../core/runtime.ts';
import { describeCommand, MpvCommandError, type MpvReply } from './mpv-protocol.ts';

interface Pending {
  command: readonly unknown[];
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: TimerHandle;
  timeoutMicros: number;
}

/** Ids stay within mpv's int range on every build (its request_id is a C int on older ones). */
const MAX_ID = 0x7fff_ffff;
/** Timed-out ids remembered so that their late replies are not mistaken for a hostile peer's. */
const LATE_MEMORY = 256;

export type SettleResult = 'settled' | 'late' | 'unknown';

export class PendingRequests {
  private readonly table = new Map<number, Pending>();
  private readonly timedOut = new Set<number>();
  private nextId = 1;

  constructor(private readonly timers: Timers, readonly maxPending: number) {}

  get size(): number {
    return this.table.size;
  }

  /**
   * A new request: its id and the promise of its reply's data. The promise rejects with
   * `MpvCommandError` (E_PROTOCOL) when mpv answers with an error and `E_TIMEOUT` after
   * `timeoutMicros`. Throws `E_STATE` when `maxPending` requests are already waiting.
   */
  add(command: readonly unknown[], timeoutMicros: number): { id: number; reply: Promise<unknown> } {
    if (this.table.size >= this.maxPending) {
      throw new PhaselockError('E_STATE', `mpv: ${describeCommand(command)}: ${this.maxPending} requests already wait for mpv's reply`);
    }
    const id = this.allocate();
    let entry!: Pending;
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => this.expire(id), timeoutMicros);
      entry = { command, resolve, reject, timer, timeoutMicros };
    });
    this.table.set(id, entry);
    return { id, reply };
  }

  /** Settles the request a reply answers. Pure apart from the table. */
  settle(reply: MpvReply): SettleResult {
    const entry = this.table.get(reply.requestId);
    if (!entry) return this.timedOut.delete(reply.requestId) ? 'late' : 'unknown';
    this.table.delete(reply.requestId);
    entry.timer.cancel();
    if (reply.error === 'success') entry.resolve(reply.data);
    else entry.reject(new MpvCommandError(reply.error, entry.command));
    return 'settled';
  }

  /** Rejects every waiting request with the error `why` makes for it (connection lost, closed). */
  rejectAll(why: (command: readonly unknown[]) => Error): void {
    const entries = [...this.table.values()];
    this.table.clear();
    for (const e of entries) {
      e.timer.cancel();
      e.reject(why(e.command));
    }
  }

  private expire(id: number): void {
    const entry = this.table.get(id);
    if (!entry) return;
    this.table.delete(id);
    this.timedOut.add(id);
    if (this.timedOut.size > LATE_MEMORY) this.timedOut.delete(this.timedOut.values().next().value!);
    entry.reject(new PhaselockError('E_TIMEOUT', `mpv: ${describeCommand(entry.command)}: no reply within ${entry.timeoutMicros / 1e6} s`));
  }

  /** The next id not in use (wrapping below MAX_ID; the table is far smaller than the id space). */
  private allocate(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_ID ? 1 : id + 1;
      if (!this.table.has(id) && !this.timedOut.has(id)) return id;
    }
  }
}
