// MIDI clock timing, side by side in one run, idle and with one core busy:
//   node --import tsx bench/timing.ts [--seconds 10] [--only precise,settimeout] [--json]
//   (PRECISE_SPIN_MICROS / PRECISE_STRATEGY=halving|wait-spin tune the timing thread for experiments)
// Each method runs in its own child process (clean CPU accounting) for `--seconds` after its
// downbeat: a 120 bpm MIDI clock (48 ticks/s) plus a 16th-note sequence. Reported per method:
// tick error vs the ideal Link grid (when the output was actually called, minus the grid time;
// p50/p99/max µs), standard deviation of tick intervals, CPU % of one core (all threads), and
// the event loop's lag (how long Link's network handling could have waited: p99/max ms), and the
// time the hypervisor stole from this VM meanwhile (a noisy host shows there, not in our code).
import { spawn, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Link } from '../src/node/link/link.ts';
import { hrClock } from '../src/node/link/node-runtime.ts';
import { openPreciseOutput } from '../src/node/timing/precise-output.ts';
import { nodePreciseTimers } from '../src/node/timing/precise-timers.ts';
import { MidiClockOut, LinkSequencer, RecordingOutput, midiClock as clockByte, noteOn, type MidiOutput } from '../src/midi/index.ts';

const METHODS = {
  precise: 'phaselock, precise output (timing thread)',
  'precise-unprivileged': 'phaselock, precise output, thread at normal priority',
  'precise-kHz-main': 'phaselock, precise output, main thread woken 1000×/s',
  timestamped: 'phaselock, timestamped output (send-ahead)',
  'main-thread': 'phaselock, user output on the main thread',
  settimeout: 'setTimeout scheduler (self-correcting)',
  'poll-1ms': '1 ms polling clock (aalink/coremusic design)',
  'spin-floor': 'busy spin at each tick (floor of this machine, 100 % CPU)',
} as const;
type Method = keyof typeof METHODS;

interface Result {
  method: Method;
  load: 'idle' | 'one core busy';
  ticks: number;
  errors: number[];
  intervalsStd: number;
  cpuPercent: number;
  lagP99Ms: number;
  lagMaxMs: number;
  sendAheadMinMs?: number;
  priority?: string;
  /** Time the hypervisor ran something else instead of this guest's CPUs (/proc/stat steal, 10 ms ticks). */
  stealMs: number;
  /** Garbage collections in the timing thread (precise rows). */
  threadGcs?: number;
}

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const LAG_RESOLUTION_MS = 10;

/** CPU time stolen from this VM by its host so far (ms, all CPUs), or NaN where not reported. */
function stealMs(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
    return f[0] === 'cpu' && f[8] !== undefined ? Number(f[8]) * 10 : NaN;
  } catch {
    return NaN;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

// ---- child: one method ----------------------------------------------------------------

interface Sample { grid: number; actual: number }

async function runChild(method: Method, seconds: number): Promise<Omit<Result, 'method' | 'load'>> {
  const steal0 = stealMs();
  const link = new Link({ bpm: 120 });
  // 10 ms sampling: a 1 ms histogram timer wakes the process 1000×/s, and those wake-ups
  // themselves delayed ~1.5 % of the timing thread's instants by 50–200 µs (measured).
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  const samples: Sample[] = [];
  let sendAhead = Infinity;
  let finish: () => Promise<void>;
  const s0 = () => link.captureAppSessionState();
  const quantum = 4;

  let priority: string | undefined;
  let threadGcs: number | undefined;
  const precise = method === 'precise' || method === 'precise-unprivileged' || method === 'precise-kHz-main';
  if (precise || method === 'timestamped' || method === 'main-thread') {
    let output: MidiOutput;
    let close = async () => {};
    if (precise) {
      // precise-kHz-main: a busy application, its main thread woken every 1 ms for 100 µs of work.
      const busyMain = method === 'precise-kHz-main'
        ? setInterval(() => { const end = hrClock.micros() + 100; while (hrClock.micros() < end); }, 1)
        : undefined;
      const env = process.env;
      const unprivileged = method === 'precise-unprivileged';
      const out = await openPreciseOutput({ kind: 'record' }, {
        spinMicros: env.PRECISE_SPIN_MICROS ? Number(env.PRECISE_SPIN_MICROS) : undefined,
        strategy: (env.PRECISE_STRATEGY ?? 'halving') as 'halving',
        ...(unprivileged ? { realtime: false, nice: false } : {}),
      });
      priority = out.priority.kind;
      out.on('sent', (batch) => { for (const r of batch) if (r.status === 0xf8) samples.push({ grid: r.timeMicros, actual: r.sentAtMicros }); });
      output = out;
      close = async () => { clearInterval(busyMain); await out.close(); threadGcs = out.gc?.collections; };
    } else if (method === 'timestamped') {
      output = new RecordingOutput({ clock: hrClock, limit: 0, onMessage: (m) => {
        if (m.data[0] !== 0xf8) return;
        samples.push({ grid: m.timeMicros, actual: m.timeMicros });
        sendAhead = Math.min(sendAhead, m.timeMicros - (m.calledAtMicros as number));
      } });
    } else {
      output = new RecordingOutput({ clock: hrClock, limit: 0, acceptsFutureTimestamps: false, onMessage: (m) => {
        if (m.data[0] === 0xf8) samples.push({ grid: m.timeMicros, actual: m.calledAtMicros as number });
      } });
    }
    const opts = method === 'main-thread' ? { preciseTimers: nodePreciseTimers() } : {};
    const clock = new MidiClockOut(link, output, opts).open();
    const seq = new LinkSequencer(link, output, { ...opts, loop: { lengthBeats: 1 } }).open();
    for (let i = 0; i < 4; i++) seq.scheduleNote(i / 4, 10, 42, 90, 0.1);
    const t0 = clock.start();
    await sleep((t0 - hrClock.micros()) / 1000);
    lag.enable();
    const cpu0 = process.cpuUsage();
    const wall0 = hrClock.micros();
    await sleep(seconds * 1000);
    const cpu = process.cpuUsage(cpu0);
    const wall = hrClock.micros() - wall0;
    lag.disable();
    clock.close();
    seq.close();
    await sleep(100);
    await close();
    finish = async () => {};
    await finish();
    return { ...summarize(samples, t0, (cpu.user + cpu.system) / wall, lag, sendAhead), stealMs: stealMs() - steal0, ...(priority ? { priority, threadGcs } : {}) };
  }

  // Baselines: the tick grid of the same Link timeline, sent by the usual JavaScript designs.
  const s = s0();
  const t0 = s.timeAtBeat(Math.ceil(s.beatAtTime(hrClock.micros() + 200_000, quantum) / quantum) * quantum, quantum);
  const gridOf = (n: number) => link.captureAppSessionState().timeAtBeat(n / 24, quantum) ;
  const beat0 = s.beatAtTime(t0, quantum);
  const n0 = Math.round(beat0 * 24);
  const sink = (n: number, actual: number) => {
    void clockByte();
    if (n % 6 === 0) void noteOn(10, 42, 90);
    samples.push({ grid: gridOf(n), actual });
  };
  let stop = false;
  await sleep((t0 - hrClock.micros()) / 1000 - 20);
  lag.enable();
  const cpu0 = process.cpuUsage();
  const wall0 = hrClock.micros();
  const end = wall0 + seconds * 1e6;
  if (method === 'settimeout') {
    let n = n0;
    const step = () => {
      if (stop) return;
      const now = hrClock.micros();
      if (now >= gridOf(n)) sink(n++, now);
      setTimeout(step, Math.max(0, (gridOf(n) - hrClock.micros()) / 1000));
    };
    step();
  } else if (method === 'poll-1ms') {
    let last = n0 - 1;
    const iv = setInterval(() => {
      const now = hrClock.micros();
      const b = link.captureAppSessionState().beatAtTime(now, quantum);
      const n = Math.floor(b * 24 + 1e-9);
      while (last < n) sink(++last, now);
      if (stop) clearInterval(iv);
    }, 1);
  } else {
    // spin-floor: a thread that spins continuously and "sends" at each grid instant.
    const w = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      const now = () => { const t = process.hrtime(); return t[0] * 1e6 + Math.floor(t[1] / 1000); };
      const out = [];
      for (const t of workerData.times) { let x = now(); while (x < t) x = now(); out.push(x); }
      parentPort.postMessage(out);`, { eval: true, workerData: { times: Array.from({ length: seconds * 48 }, (_, i) => gridOf(n0 + i)) } });
    const actual = await new Promise<number[]>((r) => w.once('message', r));
    actual.forEach((a, i) => samples.push({ grid: gridOf(n0 + i), actual: a }));
    await w.terminate();
  }
  while (hrClock.micros() < end) await sleep(50);
  stop = true;
  const cpu = process.cpuUsage(cpu0);
  const wall = hrClock.micros() - wall0;
  lag.disable();
  await link.close();
  return { ...summarize(samples, t0, (cpu.user + cpu.system) / wall, lag, Infinity), stealMs: stealMs() - steal0 };
}

function summarize(samples: Sample[], t0: number, cpuFraction: number, lag: ReturnType<typeof monitorEventLoopDelay>, sendAhead: number) {
  const xs = samples.filter((x) => x.grid >= t0).sort((a, b) => a.grid - b.grid);
  const errors = xs.map((x) => x.actual - x.grid);
  const intervals = xs.slice(1).map((x, i) => x.actual - (xs[i] as Sample).actual);
  return {
    ticks: xs.length,
    errors,
    intervalsStd: std(intervals),
    cpuPercent: cpuFraction * 100,
    // The histogram records whole timer intervals: minus the resolution = how late the loop ran it.
    lagP99Ms: Math.max(0, lag.percentile(99) / 1e6 - LAG_RESOLUTION_MS),
    lagMaxMs: Math.max(0, lag.max / 1e6 - LAG_RESOLUTION_MS),
    ...(Number.isFinite(sendAhead) ? { sendAheadMinMs: sendAhead / 1000 } : {}),
  };
}

// ---- parent: run everything, print the table ------------------------------------------

function runInChild(method: Method, seconds: number): Promise<Omit<Result, 'method' | 'load'>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--child', method, '--seconds', String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${method} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) as string));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function startBusyCore(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
}

function fmt(r: Result): string[] {
  const e = [...r.errors].sort((a, b) => a - b);
  const us = (x: number) => (Number.isFinite(x) ? Math.round(x).toString() : '–');
  const note = [
    r.sendAheadMinMs !== undefined ? `send-ahead min ${r.sendAheadMinMs.toFixed(1)} ms` : '',
    r.priority ? `thread priority: ${r.priority}` : '',
    r.threadGcs !== undefined ? `thread GCs: ${r.threadGcs}` : '',
  ].filter(Boolean).join('; ');
  return [METHODS[r.method], r.load, String(r.ticks), us(pct(e, 0.5)), us(pct(e, 0.99)), us(e.at(-1) ?? NaN), us(r.intervalsStd), r.cpuPercent.toFixed(1),
    `${r.lagP99Ms.toFixed(2)} / ${r.lagMaxMs.toFixed(2)}`, Number.isFinite(r.stealMs) ? String(r.stealMs) : '–', note];
}

function table(rows: string[][]): string {
  const head = ['method', 'load', 'ticks', 'err p50 µs', 'err p99 µs', 'err max µs', 'interval σ µs', 'CPU % (1 core)', 'loop lag p99/max ms', 'host steal ms', 'notes'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i] as number)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const child = arg('--child') as Method | undefined;
  const seconds = Number(arg('--seconds') ?? 10);
  if (child) {
    const r = await runChild(child, seconds);
    process.stdout.write(JSON.stringify(r) + '\n');
    process.exit(0);
  }
  const only = arg('--only')?.split(',') as Method[] | undefined;
  const methods = (Object.keys(METHODS) as Method[]).filter((m) => !only || only.includes(m));
  console.log(`# MIDI clock timing: 120 bpm clock + 16th-note sequence, ${seconds} s per run; ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`);
  const results: Result[] = [];
  for (const load of ['idle', 'one core busy'] as const) {
    const busy = load === 'idle' ? undefined : startBusyCore();
    try {
      for (const m of methods) {
        process.stderr.write(`  ${load}: ${m}…\n`);
        results.push({ method: m, load, ...(await runInChild(m, seconds)) });
      }
    } finally {
      busy?.kill();
    }
  }
  console.log(table(results.map(fmt)));
  if (process.argv.includes('--json')) console.log(JSON.stringify(results.map((r) => ({ ...r, errors: undefined }))));
}

await main();
