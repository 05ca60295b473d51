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
import { Emitter } from '../../core/emitter.ts';
import { PhaselockError, type PhaselockErrorCode } from '../../core/errors.ts';
import { hrClock } from '../host-clock.ts';
import type { TimestampedOutput } from '../../sched/output-dispatcher.ts';
import { checkPriorityOptions, type ThreadPriority } from './thread-priority.ts';
import { createRingBuffer, KIND_CANCEL_FROM, KIND_CLOSE, KIND_MESSAGE, RingWriter } from './timing-ring.ts';

/**
 * µs spun before each instant. Waking from a sleep takes 100–250 µs on a KVM guest and, now
 * and then, over a millisecond; the spin must cover that tail (bench/timing.ts measures it).
 */
export const DEFAULT_SPIN_MICROS = 500;
/** After the last message's time, how long drain() allows the thread to have sent it (µs). */
const DRAIN_MARGIN_MICROS = 2_000;
/**
 * How far ahead a withdrawal is sure to reach: the thread looks at the ring every 20 µs while
 * it spins (precise-worker.ts), so a `cancelFrom` reaches what is due > 20 µs after it is
 * written; the rest covers the main thread pausing between reading the clock and writing.
 */
export const WITHDRAW_LEAD_MICROS = 1_000;

export type PreciseTarget =
  /** A native MIDI output port by name or index (`@julusian/midi`, optional dependency). */
  | { kind: 'native'; port: string | number }
  /** No device: only reports when each message was sent (`report` is implied). */
  | { kind: 'record' }
  /** `import(specifier)[exportName ?? 'default'](options)` → `{ send(data, timeMicros), close?() }`, run in the thread. */
  | { kind: 'module'; specifier: string; exportName?: string; options?: unknown };

export interface PreciseOutputOptions {
  /** Spin for the last this many µs before each instant (default `DEFAULT_SPIN_MICROS`). */
  spinMicros?: number;
  /**
   * SCHED_FIFO priority (1–99) for the timing thread, or false (default 10). Refused without
   * CAP_SYS_NICE or an `rtprio` limit; then `nice` is tried; `priority` says what it got.
   */
  realtime?: number | false;
  /** Nice value for the timing thread when real time is refused (default -10), or false. */
  nice?: number | false;
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
  realtime: number | false;
  nice: number | false;
}

export interface SentReport {
  /** Scheduled host time (µs). */
  timeMicros: number;
  /** hrtime (µs) when the timing thread called the output's send. */
  sentAtMicros: number;
  /** Status byte. */
  status: number;
}

/** Garbage collections in the timing thread while it ran (any of them can delay an instant). */
export interface TimingThreadGc {
  collections: number;
  pauseTotalMicros: number;
  pauseMaxMicros: number;
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
export class PreciseWorkerOutput extends Emitter<PreciseOutputEvents> implements TimestampedOutput {
  readonly acceptsFutureTimestamps = true;
  readonly withdrawLeadMicros = WITHDRAW_LEAD_MICROS;
  /** Actual send times, when reporting. */
  readonly sent: SentReport[] = [];
  /** The timing thread's scheduling priority (real time, raised nice, or normal and why). */
  priority: ThreadPriority = { kind: 'normal', detail: 'not started' };
  /** When reporting: the timing thread's garbage collections from ready to close (set once closed). */
  gc: TimingThreadGc | undefined;
  private readonly ring: RingWriter;
  private closing: Promise<void> | undefined;
  /** The latest message time handed over (drain waits for it). */
  private lastTime = -Infinity;

  /** Use `openPreciseOutput`. */
  constructor(
    private readonly worker: Worker,
    sab: SharedArrayBuffer,
    private readonly keepReports: boolean,
  ) {
    super();
    this.ring = new RingWriter(sab);
    worker.on('message', (m: { type: string; t?: number[]; at?: number[]; status?: number[]; message?: string; gc?: TimingThreadGc }) => {
      if (m.type === 'sent' && m.t && m.at && m.status) {
        const batch = m.t.map((t, i) => ({ timeMicros: t, sentAtMicros: m.at?.[i] as number, status: m.status?.[i] as number }));
        if (this.keepReports) for (const r of batch) this.sent.push(r);
        this.emit('sent', batch);
      } else if (m.type === 'closed') {
        this.gc = m.gc;
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
    if (timeMicros > this.lastTime) this.lastTime = timeMicros;
    if (!this.ring.write(KIND_MESSAGE, timeMicros, data)) {
      this.emit('warning', new PhaselockError('E_STATE', 'timing thread ring full: message dropped'));
    }
  }

  /** Drops queued messages due at or after `fromMicros` (not yet sent). */
  cancelFrom(fromMicros: number): void {
    if (this.closing) return;
    this.ring.write(KIND_CANCEL_FROM, fromMicros);
    if (this.lastTime >= fromMicros) this.lastTime = fromMicros - 1;
  }

  /**
   * Resolves once the latest message handed over is due and the thread has had its spin margin
   * to send it (the thread sends each message at its instant; nothing later is owed).
   */
  async drain(): Promise<void> {
    const wait = this.lastTime - hrClock.micros() + DRAIN_MARGIN_MICROS;
    if (this.closing || !Number.isFinite(wait) || wait <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, wait / 1000));
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
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(ts ? './precise-worker.ts' : './precise-worker.js', import.meta.url);
  const create = (execArgv?: string[]) => {
    const options = { workerData: init, ...(execArgv ? { execArgv } : {}) };
    if (!ts) return new Worker(url, options);
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
    return new Worker(boot, { ...options, eval: true });
  };
  // Inherited flags are fine, except `--input-type` (from `node --input-type=module -e …`), which
  // stops a worker from starting. An explicit list is checked more strictly than an inherited one
  // (V8 and per-process flags are refused, though they apply to the whole process anyway): give
  // one only when something must go, and leave out what Node refuses.
  const execArgv = workerExecArgv(process.execArgv);
  if (execArgv.length === process.execArgv.length) return create();
  try {
    return create(execArgv);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    const refused = new Set(/flags: (.*)$/.exec((err as Error).message)?.[1]?.split(', ') ?? []);
    return create(execArgv.filter((a) => !refused.has(a)));
  }
}

/** The parent's Node flags minus `--input-type`, which only describes the parent's own `-e` code. */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--input-type') i++;
    else if (!a.startsWith('--input-type=')) out.push(a);
  }
  return out;
}

/**
 * Starts a timing thread for `target` and resolves once its output is open. Rejects with a
 * PhaselockError (E_UNAVAILABLE when the native port or MIDI subsystem is missing).
 */
export function openPreciseOutput(target: PreciseTarget, options: PreciseOutputOptions = {}): Promise<PreciseWorkerOutput> {
  const { spinMicros } = options;
  try {
    checkPriorityOptions(options);
  } catch (err) {
    return Promise.reject(err as RangeError);
  }
  if (spinMicros !== undefined && !(Number.isFinite(spinMicros) && spinMicros >= 0 && spinMicros <= 20_000)) {
    return Promise.reject(new RangeError(`spinMicros must be 0–20000, got ${String(spinMicros)}`));
  }
  const sab = createRingBuffer(options.capacity ?? 4096);
  const report = options.report ?? target.kind === 'record';
  const init: WorkerInit = {
    sab,
    target,
    spinMicros: options.spinMicros ?? DEFAULT_SPIN_MICROS,
    strategy: options.strategy ?? 'halving',
    report,
    realtime: options.realtime ?? 10,
    nice: options.nice ?? -10,
  };
  let worker: Worker;
  try {
    worker = startWorker(init);
  } catch (err) {
    return Promise.reject(new PhaselockError('E_UNAVAILABLE', `timing thread failed to start: ${(err as Error).message}`, { cause: err }));
  }
  worker.unref();
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; message?: string; code?: string; priority?: ThreadPriority }) => {
      if (m.type === 'ready') {
        if (m.priority) out.priority = m.priority;
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
