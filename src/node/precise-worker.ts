/**
 * The timing thread (L2, runs inside a worker_threads Worker started by `precise-output.ts`).
 * It owns the output (a native port, a user module's output, or a recorder) and calls it at the
 * instant itself: a hop back to the main thread would cost up to ~0.7 ms under load.
 *
 * Waiting: "halving sleeps then a spin" — while the next message is more than `spinMicros`
 * away, `Atomics.wait` for half the remaining time (a new message from the main thread wakes it
 * early through the ring's sequence word); the last `spinMicros` are spun on `process.hrtime`.
 * Halving bounds the damage of an oversleeping wait (seen up to 1–3 ms for 10 ms waits on a
 * loaded VM) to half of what is left; bench/timing.ts compares it with a single wait + spin.
 * The thread never returns to its event loop until closed.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hrClock } from './node-runtime.ts';
import { KIND_CANCEL_FROM, KIND_CLOSE, KIND_MESSAGE, RingReader, SEQ } from './timing-ring.ts';
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

async function openTarget(target: PreciseTarget): Promise<Sink> {
  switch (target.kind) {
    case 'record':
      return { send: () => {} };
    case 'native': {
      const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
      const mod = (await import(new URL(`./native-midi${ext}`, import.meta.url).href)) as typeof import('./native-midi.ts');
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
  port.postMessage({ type: 'ready' });
  const ring = new RingReader(init.sab);
  const hdr = ring.header;
  const heap = new Heap();
  const spin = init.spinMicros;
  const halving = init.strategy === 'halving';
  let seq = 0;
  let closing = false;
  const reportT: number[] = [];
  const reportAt: number[] = [];
  const reportStatus: number[] = [];
  let lastReport = hrClock.micros();
  const flushReports = (force: boolean) => {
    if (reportT.length === 0) return;
    if (!force && reportT.length < 256 && hrClock.micros() - lastReport < 200_000) return;
    port.postMessage({ type: 'sent', t: reportT.splice(0), at: reportAt.splice(0), status: reportStatus.splice(0) });
    lastReport = hrClock.micros();
  };
  const onRecord = (kind: number, time: number, data: Uint8Array) => {
    if (kind === KIND_MESSAGE) heap.push({ time, seq: seq++, data });
    else if (kind === KIND_CANCEL_FROM) heap.removeFrom(time);
    else if (kind === KIND_CLOSE) closing = true;
  };
  for (;;) {
    const seen = Atomics.load(hdr, SEQ);
    ring.drain(onRecord);
    if (closing) break;
    const next = heap.peek();
    if (!next) {
      flushReports(true);
      Atomics.wait(hdr, SEQ, seen, 100);
      continue;
    }
    let now = hrClock.micros();
    const rem = next.time - now;
    if (rem > spin) {
      const sleep = halving ? rem / 2 : rem - spin;
      flushReports(false);
      Atomics.wait(hdr, SEQ, seen, Math.max(0, sleep) / 1000);
      continue;
    }
    // Spin to the instant; still notice a message for an earlier time.
    while (now < next.time && Atomics.load(hdr, SEQ) === seen) now = hrClock.micros();
    if (now < next.time) continue;
    while (heap.size > 0 && (heap.peek() as Item).time <= now) {
      const item = heap.pop() as Item;
      try {
        sink.send(item.data, item.time);
      } catch (err) {
        port.postMessage({ type: 'warning', message: err instanceof Error ? err.message : String(err) });
      }
      if (init.report) {
        reportT.push(item.time);
        reportAt.push(hrClock.micros());
        reportStatus.push(item.data[0] ?? 0);
      }
    }
  }
  flushReports(true);
  try {
    await sink.close?.();
  } catch {
    // Closing a port that vanished: nothing left to do.
  }
  port.postMessage({ type: 'closed' });
}

void main();
