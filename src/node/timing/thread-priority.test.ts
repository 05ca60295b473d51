// The timing thread's priority: real time when allowed, else a raised nice value, else normal,
// and always a reason. Each case runs in a worker thread of its own (never the test runner's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { hrClock } from '../host-clock.ts';
import type { RaisePriorityOptions, ThreadPriority } from './thread-priority.ts';

const isRoot = process.getuid?.() === 0;

/** Calls raiseThreadPriority(options) inside a fresh worker thread; resolves with its result. */
function raiseInWorker(options: RaisePriorityOptions, env: NodeJS.ProcessEnv = process.env): Promise<ThreadPriority & { tid?: number; error?: string }> {
  const url = new URL('./thread-priority.ts', import.meta.url).href;
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); })
      .then((mod) => {
        let r;
        try { r = { ...mod.raiseThreadPriority(workerData), tid: mod.currentThreadId() }; } catch (e) { r = { error: e.constructor.name + ': ' + e.message }; }
        parentPort.postMessage(r);
        setTimeout(() => {}, 300); // stay alive while the test inspects the thread
      });`;
  const w = new Worker(src, { eval: true, workerData: options, env });
  return new Promise((resolve, reject) => {
    w.once('message', (m) => {
      resolve(m);
      setTimeout(() => void w.terminate(), 200);
    });
    w.once('error', reject);
  });
}

test('hrClock reads integer µs of the same clock as hrtime.bigint, monotonic', () => {
  let prev = hrClock.micros();
  for (let i = 0; i < 10_000; i++) {
    const before = Number(process.hrtime.bigint() / 1000n);
    const t = hrClock.micros();
    const after = Number(process.hrtime.bigint() / 1000n);
    assert.ok(Number.isInteger(t));
    assert.ok(t >= before && t <= after, `${before} ≤ ${t} ≤ ${after}`);
    assert.ok(t >= prev);
    prev = t;
  }
});

test('with CAP_SYS_NICE the thread gets SCHED_FIFO, and the kernel agrees', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  const r = await raiseInWorker({ realtime: 12 });
  if (!isRoot) {
    // Without privileges the result depends on this user's rtprio/nice limits: it must say why.
    assert.ok(['realtime', 'nice', 'normal'].includes(r.kind));
    assert.ok(r.detail.length > 0);
    return;
  }
  assert.equal(r.kind, 'realtime', r.detail);
  assert.match(r.detail, /SCHED_FIFO 12/);
  const policy = spawnSync('chrt', ['-p', String(r.tid)], { encoding: 'utf8' }).stdout;
  assert.match(policy, /SCHED_FIFO/);
  assert.match(policy, /priority: 12/);
  // Only that thread: the process's main thread is untouched.
  assert.match(spawnSync('chrt', ['-p', String(process.pid)], { encoding: 'utf8' }).stdout, /SCHED_OTHER/);
});

test('when chrt is refused or missing it falls back to nice, and reports the refusal', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  const r = await raiseInWorker({ realtime: 10, nice: 5 }, { ...process.env, PATH: '/nonexistent' });
  assert.equal(r.kind, 'nice');
  assert.match(r.detail, /nice 5/);
  assert.match(r.detail, /chrt: .*ENOENT/);
  // /proc/<pid>/task/<tid>/stat: field 19 is the nice value (fields counted after "(comm)").
  const stat = readFileSync(`/proc/${process.pid}/task/${r.tid}/stat`, 'utf8');
  assert.equal(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16], '5', stat);
});

test('nothing requested: normal priority; bad values are RangeErrors', async () => {
  const r = await raiseInWorker({ realtime: false, nice: false });
  assert.equal(r.kind, 'normal');
  assert.equal(r.detail, 'not requested');
  assert.match((await raiseInWorker({ realtime: 0 })).error ?? '', /RangeError: realtime priority/);
  assert.match((await raiseInWorker({ realtime: false, nice: -21 })).error ?? '', /RangeError: nice/);
});
