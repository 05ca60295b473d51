/**
 * `PreciseWorkerOutput` (L2): the precise delivery path — a dedicated timing thread
 * (worker_threads) that owns the real output and calls it at each message's instant (see
 * `precise-worker.ts` for the wait strategy). To the scheduler it accepts future timestamps:
 * messages are written ahead of time into a shared-memory ring, so the main thread's event loop
 * (and Link's network handling) never waits for an instant.
 *
 * Targets: a native port (`@julusian/midi`, opened inside the thread), a module exporting a
 * factory of `{ send(data, timeMicros) }` objects (runs inside the thread), or a recorder that
 * only reports when each message went out (tests, benchmarks).
 * @module
 */
import { Worker } from 'node:worker_threads';
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, type PhaselockErrorCode } from '../core/errors.ts';
import type { MidiOutput } from '../midi/output.ts';
import { createRingBuffer, KIND_CANCEL_FROM, KIND_CLOSE, KIND_MESSAGE, RingWriter } from './timing-ring.ts';

export type PreciseTarget =
  /** A native MIDI output port by name or index (`@julusian/midi`, optional dependency). */
  | { kind: 'native'; port: string | number }
  /** No device: only reports when each message was sent (`report` is implied). */
  | { kind: 'record' }
  /** `import(specifier)[exportName ?? 'default'](options)` → `{ send(data, timeMicros), close?() }`, run in the thread. */
  | { kind: 'module'; specifier: string; exportName?: string; options?: unknown };

export interface PreciseOutputOptions {
  /** Spin for the last this many µs before each instant (default 250). */
  spinMicros?: number;
  /** 'halving' (default): sleep half the remaining time until within spinMicros. 'wait-spin': one sleep, then spin. */
  strategy?: 'halving' | 'wait-spin';
  /** Ring capacity in 32-byte slots, a power of two (default 4096). */
  capacity?: number;
  /** Report each message's actual send time (`sent`, 'sent' events). Default: true for 'record'. */
  report?: boolean;
}

/** @internal what the worker receives. */
export interface WorkerInit {
  sab: SharedArrayBuffer;
  target: PreciseTarget;
  spinMicros: number;
  strategy: 'halving' | 'wait-spin';
  report: boolean;
}

export interface SentReport {
  /** Scheduled host time (µs). */
  timeMicros: number;
  /** hrtime (µs) right after the output's send returned, in the timing thread. */
  sentAtMicros: number;
  /** Status byte. */
  status: number;
}

export interface PreciseOutputEvents {
  sent: [batch: SentReport[]];
  warning: [error: PhaselockError];
}

/**
 * @example
 * const out = await openPreciseOutput({ kind: 'native', port: 'IAC Driver Bus 1' });
 * const clock = new MidiClockOut(link, out);
 * // …
 * clock.close(); await out.close();
 */
export class PreciseWorkerOutput extends Emitter<PreciseOutputEvents> implements MidiOutput {
  readonly acceptsFutureTimestamps = true;
  /** Actual send times, when reporting. */
  readonly sent: SentReport[] = [];
  private readonly ring: RingWriter;
  private closing: Promise<void> | undefined;

  /** Use `openPreciseOutput`. */
  constructor(
    private readonly worker: Worker,
    sab: SharedArrayBuffer,
    private readonly keepReports: boolean,
  ) {
    super();
    this.ring = new RingWriter(sab);
    worker.on('message', (m: { type: string; t?: number[]; at?: number[]; status?: number[]; message?: string }) => {
      if (m.type === 'sent' && m.t && m.at && m.status) {
        const batch = m.t.map((t, i) => ({ timeMicros: t, sentAtMicros: m.at?.[i] as number, status: m.status?.[i] as number }));
        if (this.keepReports) for (const r of batch) this.sent.push(r);
        this.emit('sent', batch);
      } else if (m.type === 'warning') {
        this.emit('warning', new PhaselockError('E_SOCKET', `timing thread: ${m.message ?? ''}`));
      }
    });
  }

  /** Messages dropped because the ring was full (the main thread ran far ahead). */
  get dropped(): number {
    return this.ring.dropped;
  }

  /** Queues `data` for host time `timeMicros`; the timing thread sends it at that instant. */
  send(data: Uint8Array, timeMicros: number): void {
    if (this.closing) return;
    if (!this.ring.write(KIND_MESSAGE, timeMicros, data)) {
      this.emit('warning', new PhaselockError('E_STATE', 'timing thread ring full: message dropped'));
    }
  }

  /** Drops queued messages due at or after `fromMicros` (not yet sent). */
  cancelFrom(fromMicros: number): void {
    if (!this.closing) this.ring.write(KIND_CANCEL_FROM, fromMicros);
  }

  /** Stops the thread after it sent what is due now; closes the port. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const done = () => resolve();
      this.worker.once('exit', done);
      this.worker.on('message', (m: { type: string }) => { if (m.type === 'closed') void this.worker.terminate().then(done, done); });
      this.ring.write(KIND_CLOSE, 0);
      setTimeout(() => void this.worker.terminate().then(done, done), 2000).unref();
    });
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * The timing thread's script. Built (.js) it loads directly; run from TypeScript sources (tsx,
 * tests) a worker does not inherit the main thread's loader hooks, so a tiny bootstrap registers
 * tsx in the thread first.
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./precise-worker.js', import.meta.url), { workerData: init });
  const url = new URL('./precise-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(boot, { eval: true, workerData: init });
}

/**
 * Starts a timing thread for `target` and resolves once its output is open. Rejects with a
 * PhaselockError (E_UNAVAILABLE when the native port or MIDI subsystem is missing).
 */
export function openPreciseOutput(target: PreciseTarget, options: PreciseOutputOptions = {}): Promise<PreciseWorkerOutput> {
  const sab = createRingBuffer(options.capacity ?? 4096);
  const report = options.report ?? target.kind === 'record';
  const init: WorkerInit = {
    sab,
    target,
    spinMicros: options.spinMicros ?? 250,
    strategy: options.strategy ?? 'halving',
    report,
  };
  const worker = startWorker(init);
  worker.unref();
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; message?: string; code?: string }) => {
      if (m.type === 'ready') {
        worker.off('message', onMessage);
        worker.off('error', onError);
        resolve(out);
      } else if (m.type === 'error') {
        worker.off('message', onMessage);
        void worker.terminate();
        reject(new PhaselockError((m.code as PhaselockErrorCode | undefined) ?? 'E_UNAVAILABLE', m.message ?? 'timing thread failed to open its output'));
      }
    };
    const onError = (err: Error) => reject(new PhaselockError('E_UNAVAILABLE', `timing thread failed: ${err.message}`, { cause: err }));
    const out = new PreciseWorkerOutput(worker, sab, report);
    worker.on('message', onMessage);
    worker.once('error', onError);
  });
}
