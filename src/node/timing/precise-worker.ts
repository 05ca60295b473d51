/**
 * The timing thread (L2, runs inside a worker_threads Worker started by `precise-output.ts`).
 * It owns the output (a native port, a user module's output, or a recorder) and calls it at the
 * instant itself: a hop back to the main thread would cost up to ~0.7 ms under load.
 *
 * What made it precise (each measured on a 2-vCPU KVM guest, bench/timing.ts):
 * - **Priority**: the thread asks for SCHED_FIFO (else a lower nice value; `thread-priority.ts`).
 *   At normal priority other threads preempted it for 0.1–2 ms in ~2 % of its spins.
 * - **Sleep, then spin**: while the next message is more than `spinMicros` away, `Atomics.wait`
 *   ("halving": half the remaining time, never aiming closer than `spinMicros`; a new message
 *   wakes it early through the ring's sequence word), then spin. Waking takes 100–250 µs and
 *   now and then over a millisecond on such a guest: the spin covers that tail.
 * - **No garbage while spinning**: the clock read allocates nothing (`hrClock`; a BigInt clock
 *   brought a ~0.15 ms scavenge every ~50 instants), and only if no typed-array read shares its
 *   loop (`spinUntil`). A collection stalls the thread 0.2–0.3 ms wherever it lands; when
 *   reporting, the thread counts them (`gc` on the output, tested to stay near zero).
 * - **Nothing cold at the instant**: what is due is taken off the heap before the spin (cold heap
 *   code took 5–10 µs right after a sleep), and the loop is warmed up (JIT-compiled) on dummy
 *   messages before the thread reports ready.
 * The thread never returns to its event loop until closed.
 * @module
 */
import { GCProfiler } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { hrClock } from '../host-clock.ts';
import { KIND_CANCEL_FROM, KIND_CLOSE, KIND_MESSAGE, RingReader, SEQ } from './timing-ring.ts';
import { raiseThreadPriority } from './thread-priority.ts';
import type { PreciseTarget, WorkerInit } from './precise-output.ts';

interface Sink {
  send(data: Uint8Array, timeMicros: number): void;
  close?(): void | Promise<void>;
}

interface Item {
  time: number;
  seq: number;
  data: Uint8Array;
}

/** Binary min-heap on (time, seq). */
class Heap {
  private a: Item[] = [];
  get size(): number {
    return this.a.length;
  }
  peek(): Item | undefined {
    return this.a[0];
  }
  push(x: Item): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i] as Item, a[p] as Item)) break;
      [a[i], a[p]] = [a[p] as Item, a[i] as Item];
      i = p;
    }
  }
  pop(): Item | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l] as Item, a[m] as Item)) m = l;
        if (r < a.length && less(a[r] as Item, a[m] as Item)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as Item, a[i] as Item];
        i = m;
      }
    }
    return top;
  }
  removeFrom(time: number): void {
    const keep = this.a.filter((x) => x.time < time);
    this.a = [];
    for (const x of keep) this.push(x);
  }
}

const less = (x: Item, y: Item) => x.time < y.time || (x.time === y.time && x.seq < y.seq);

/** How often (µs) the spin looks at the ring's sequence word. */
const SPIN_CHECK_MICROS = 20;

/** Reads the clock until `until` (µs); returns the clock. Touches nothing else: see `spinUntil`. */
function spinTo(until: number): number {
  let now = hrClock.micros();
  while (now < until) now = hrClock.micros();
  return now;
}

/**
 * Spins until `time` (µs) unless the ring's sequence word moves first; returns the clock.
 * The clock is read in `spinTo`, the word every 20 µs out here: with an `Atomics.load` (or any
 * typed-array read) in the same loop as the clock read, the optimizer no longer elides
 * `process.hrtime()`'s array, and the spin allocated ~10 MB/s: a ~0.25 ms scavenge every ~0.6 s,
 * landing inside spins (bench/timing.ts p99: 115–250 µs before, 21–84 µs after).
 */
function spinUntil(hdr: Int32Array, seen: number, time: number): number {
  let now = hrClock.micros();
  while (now < time && Atomics.load(hdr, SEQ) === seen) now = spinTo(Math.min(time, now + SPIN_CHECK_MICROS));
  return now;
}

/** Reports of actual send times, batched to the main thread (only when reporting). */
class Reports {
  private t: number[] = [];
  private at: number[] = [];
  private status: number[] = [];
  private last = hrClock.micros();
  constructor(private readonly port: { postMessage(message: unknown): void }) {}
  add(time: number, at: number, status: number): void {
    this.t.push(time);
    this.at.push(at);
    this.status.push(status);
  }
  /** Posts the batch when forced, big, or 200 ms old: only ever called before a sleep. */
  flush(force: boolean): void {
    if (this.t.length === 0) return;
    if (!force && this.t.length < 256 && hrClock.micros() - this.last < 200_000) return;
    this.port.postMessage({ type: 'sent', t: this.t.splice(0), at: this.at.splice(0), status: this.status.splice(0) });
    this.last = hrClock.micros();
  }
}

class TimingLoop {
  private readonly heap = new Heap();
  private readonly batch: Item[] = [];
  private readonly hdr: Int32Array;
  private seq = 0;
  closing = false;

  constructor(
    private readonly ring: RingReader,
    private sink: Sink,
    private readonly init: WorkerInit,
    private reports: Reports | undefined,
    private readonly onError: (err: unknown) => void,
  ) {
    this.hdr = ring.header;
  }

  private readonly onRecord = (kind: number, time: number, data: Uint8Array) => {
    if (kind === KIND_MESSAGE) this.heap.push({ time, seq: this.seq++, data });
    else if (kind === KIND_CANCEL_FROM) this.heap.removeFrom(time);
    else if (kind === KIND_CLOSE) this.closing = true;
  };

  /**
   * Runs every path of `step`, sending included, on dummy messages ~100 µs apart so the JIT has
   * compiled it: the sink and the reports are stand-ins meanwhile, so nothing reaches the real ones.
   */
  warmUp(count = 300): void {
    const { sink, reports } = this;
    this.sink = { send: () => {} };
    this.reports = reports && new Reports({ postMessage: () => {} });
    const t0 = hrClock.micros() + 500;
    for (let i = 0; i < count; i++) this.heap.push({ time: t0 + i * 100, seq: this.seq++, data: new Uint8Array([0xf8]) });
    while (this.heap.size > 0 && !this.closing) this.step();
    this.sink = sink;
    this.reports = reports;
  }

  /** On close: sends what is already due (late rather than never); drops the future. */
  sendDue(): void {
    const now = hrClock.micros();
    while (this.heap.size > 0 && (this.heap.peek() as Item).time <= now) this.batch.push(this.heap.pop() as Item);
    this.sendBatch();
  }

  private sendBatch(): void {
    for (const item of this.batch) {
      const at = hrClock.micros();
      try {
        this.sink.send(item.data, item.time);
      } catch (err) {
        this.onError(err);
      }
      this.reports?.add(item.time, at, item.data[0] ?? 0);
    }
    this.batch.length = 0;
  }

  /** One turn: drain the ring, then sleep, or spin to the next instant and send what is due. */
  step(): void {
    const hdr = this.hdr;
    const heap = this.heap;
    const seen = Atomics.load(hdr, SEQ);
    this.ring.drain(this.onRecord);
    if (this.closing) return;
    const next = heap.peek();
    if (!next) {
      this.reports?.flush(true);
      Atomics.wait(hdr, SEQ, seen, 100);
      return;
    }
    const spin = this.init.spinMicros;
    const rem = next.time - hrClock.micros();
    if (rem > spin) {
      this.reports?.flush(false);
      Atomics.wait(hdr, SEQ, seen, (this.init.strategy === 'halving' ? Math.min(rem / 2, rem - spin) : rem - spin) / 1000);
      return;
    }
    const time = next.time;
    const batch = this.batch;
    while (heap.size > 0 && (heap.peek() as Item).time === time) batch.push(heap.pop() as Item);
    if (spinUntil(hdr, seen, time) < time) {
      // A message arrived; it may be due earlier. Put the batch back and look again.
      for (const item of batch) heap.push(item);
      batch.length = 0;
      return;
    }
    this.sendBatch();
  }
}

async function openTarget(target: PreciseTarget): Promise<Sink> {
  switch (target.kind) {
    case 'record':
      return { send: () => {} };
    case 'native': {
      const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
      const mod = (await import(new URL(`../midi/native-midi${ext}`, import.meta.url).href)) as typeof import('../midi/native-midi.ts');
      return mod.openNativeMidiOutput(target.port);
    }
    case 'module': {
      const mod = (await import(target.specifier)) as Record<string, unknown>;
      const factory = mod[target.exportName ?? 'default'];
      if (typeof factory !== 'function') throw new TypeError(`${target.specifier} has no function export '${target.exportName ?? 'default'}'`);
      const sink = (await factory(target.options)) as Sink;
      if (!sink || typeof sink.send !== 'function') throw new TypeError(`${target.specifier}: the factory did not return an object with send()`);
      return sink;
    }
  }
}

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const port = parentPort;
  if (!port) return;
  let sink: Sink;
  try {
    sink = await openTarget(init.target);
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code });
    return;
  }
  const priority = raiseThreadPriority({ realtime: init.realtime, nice: init.nice });
  const reports = init.report ? new Reports(port) : undefined;
  const loop = new TimingLoop(new RingReader(init.sab), sink, init, reports, (err) => {
    port.postMessage({ type: 'warning', message: err instanceof Error ? err.message : String(err) });
  });
  loop.warmUp();
  // When reporting, also count the thread's garbage collections: each one can stall an instant.
  const gc = reports ? new GCProfiler() : undefined;
  gc?.start();
  port.postMessage({ type: 'ready', priority });
  while (!loop.closing) loop.step();
  loop.sendDue();
  reports?.flush(true);
  try {
    await sink.close?.();
  } catch {
    // Closing a port that vanished: nothing left to do.
  }
  const costs = gc?.stop().statistics.map((x) => x.cost) ?? [];
  port.postMessage({ type: 'closed', gc: gc && { collections: costs.length, pauseTotalMicros: costs.reduce((a, b) => a + b, 0), pauseMaxMicros: Math.max(0, ...costs) } });
}

void main();
