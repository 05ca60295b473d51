/**
 * Interop benchmark: phaselock <-> Ableton Link side by side with Ableton <-> Ableton, in one
 * run, each pair in its own network namespace (the peers of test/interop: phaselock's driver
 * and the C++ driver on Ableton's public API).
 *
 *   node --import tsx bench/link-interop.ts
 *
 * Measures: phase disagreement at quantum 4 (long-lived pair, fresh joins in both roles, and 16
 * peers started together), join time, tempo and start/stop propagation latency, idle CPU and
 * RSS of an enabled peer, and the per-call cost of capture + beatAtTime + phaseAtTime against
 * the native binding @ktamas77/abletonlink (installed into a temporary directory for the run;
 * not a phaselock dependency). phaselock peers run the interop driver bundled to plain
 * JavaScript under `node` (bench/link-peers.ts), as a user's compiled program would.
 * Needs root (network namespaces), g++ and /usr/include/ableton (ableton-link-dev).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  beatsToMicros, buildAbletonPeer, monoMicros, Netns, phaseDifference, phaseErrorsUs, sleep,
  spreadInstants, type AbletonPeerOptions, type LinePeer, type PeerEvent, type PeerKind,
} from '../test/interop/harness.ts';
import { bundlePhaselockPeer, cpuNanos, rssMiB, scaleScenario, startBenchPeer, type ScaleResult } from './link-peers.ts';
import { max, median, quantile } from './stats.ts';

/** The bundled phaselock driver (set in main). */
let bundle = '';
const startPeer = (ns: Netns, kind: PeerKind, opts: AbletonPeerOptions = {}) => startBenchPeer(ns, kind, bundle, opts);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const Q = 4;
const NATIVE_PACKAGE = '@ktamas77/abletonlink';

// ------------------------------------------------------------------------------------------
// Small statistics and formatting

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const randomBetween = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

function section(title: string): void {
  console.log(`\n=== ${title}`);
}

// ------------------------------------------------------------------------------------------
// Pairs

interface Pair {
  name: string;
  ns: Netns;
  kinds: readonly [PeerKind, PeerKind];
  labels: readonly [string, string];
  peers?: [LinePeer, LinePeer];
}

const isPeers = (n: number) => (e: PeerEvent) => e.event === 'peers' && e.n === n;

async function startPair(pair: Pair, opts: { startStopSync?: boolean } = {}): Promise<[LinePeer, LinePeer]> {
  const [a, b] = await Promise.all(pair.kinds.map((k, i) => startPeer(pair.ns, k, { ...opts, label: pair.labels[i]! })));
  return [a!, b!];
}

async function enableAndJoin(x: LinePeer, y: LinePeer): Promise<void> {
  const marks = [x.events.length, y.events.length];
  await x.command('enable');
  await y.command('enable');
  await Promise.all([x.waitForEvent(isPeers(1), 5000, marks[0]), y.waitForEvent(isPeers(1), 5000, marks[1])]);
}

// ------------------------------------------------------------------------------------------
// 1. Phase disagreement

async function phaseDisagreement(x: LinePeer, y: LinePeer): Promise<{ max: number; p50: number }> {
  const bpm = (await x.status()).tempo;
  const times = spreadInstants(monoMicros() + 50_000, 50, 41_000);
  const errors = await phaseErrorsUs(x, y, Q, times, bpm);
  return { max: max(errors), p50: median(errors) };
}

// ------------------------------------------------------------------------------------------
// 2. Join time

/**
 * `first` enabled alone, then `second` enabled 0.8 s later at t0 (more than the join rule's
 * ε = 0.5 s, so `second` is the one that joins: within ε the smaller session id would decide,
 * at random). The join time is when (polled every ~2 ms, reply arrival time) both report one
 * peer and agree on phase within 100 µs.
 */
interface JoinResult {
  /** Join time (ms). */
  ms: number;
  /** Max phase disagreement (µs) over 50 instants, 300 ms after the join. */
  phaseMaxUs: number;
  /** The same 5 s after the join (after a joining phaselock peer's early re-measurements). */
  phaseLaterMaxUs: number;
}

async function joinTrial(ns: Netns, first: PeerKind, second: PeerKind): Promise<JoinResult> {
  const [x, y] = await Promise.all([startPeer(ns, first, { label: `join-${first}` }), startPeer(ns, second, { label: `join-${second}` })]);
  try {
    await x.command('enable');
    await sleep(800);
    const t0 = monoMicros();
    await y.command('enable');
    for (;;) {
      const T = monoMicros();
      const [sx, sy] = await Promise.all([x.status(T), y.status(T)]);
      const arrived = monoMicros();
      const errUs = Math.abs(beatsToMicros(phaseDifference(sx.phase, sy.phase, sx.quantum), sx.tempo));
      if (sx.numPeers === 1 && sy.numPeers === 1 && errUs <= 100) {
        const ms = (arrived - t0) / 1000;
        await sleep(300);
        const phaseMaxUs = (await phaseDisagreement(x, y)).max;
        await sleep(4700);
        return { ms, phaseMaxUs, phaseLaterMaxUs: (await phaseDisagreement(x, y)).max };
      }
      if (arrived - t0 > 5_000_000) throw new Error(`${second} did not join ${first} within 5 s`);
      await sleep(2);
    }
  } finally {
    await Promise.all([x.close(), y.close()]);
  }
}

async function joinTrials(ns: Netns, first: PeerKind, second: PeerKind, trials: number): Promise<JoinResult[]> {
  const out: JoinResult[] = [];
  for (let i = 0; i < trials; i++) out.push(await joinTrial(ns, first, second));
  return out;
}

// ------------------------------------------------------------------------------------------
// 3. Propagation latency

/**
 * `changes` changes on `from` at random instants (100–700 ms apart); latency = the
 * receiver's event timestamp minus the sender's commit time (the reply's `t`), in ms.
 */
async function propagation(from: LinePeer, to: LinePeer, kind: 'tempo' | 'playing', changes: number): Promise<number[]> {
  const latencies: number[] = [];
  let bpm = (await from.status()).tempo;
  let playing = (await from.status()).isPlaying;
  for (let i = 0; i < changes; i++) {
    await sleep(randomBetween(100, 700));
    const mark = to.events.length;
    let pred: (e: PeerEvent) => boolean;
    let line: string;
    if (kind === 'tempo') {
      let next = bpm;
      while (Math.abs(next - bpm) < 1) next = Math.round(randomBetween(80, 160) * 100) / 100;
      bpm = next;
      line = `tempo ${bpm}`;
      pred = (e) => e.event === 'tempo' && Math.abs(e.bpm - next) < 1e-3;
    } else {
      playing = !playing;
      const want = playing;
      line = want ? 'play' : 'stop';
      pred = (e) => e.event === 'playing' && e.isPlaying === want;
    }
    const reply = await from.command(line);
    const ev = await to.waitForEvent(pred, 3000, mark);
    latencies.push((ev.t - reply.t) / 1000);
  }
  return latencies;
}

// ------------------------------------------------------------------------------------------
// 4. Idle CPU and RSS

async function comm(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
}

/** A bare Node process with an idle Link peer's socket traffic (the floor of the idle CPU row). */
const FLOOR_SCRIPT = `
const dgram = require('node:dgram');
const a = dgram.createSocket('udp4'), b = dgram.createSocket('udp4');
b.on('message', () => {}); a.on('message', () => {});
b.bind(0, '127.0.0.1', () => a.bind(0, '127.0.0.1', () => {
  const buf = Buffer.alloc(107), to = b.address().port, back = a.address().port;
  const tick = () => {
    a.send(buf, to, '127.0.0.1'); a.send(buf, to, '127.0.0.1'); b.send(buf, back, '127.0.0.1');
    setTimeout(tick, 250);
  };
  tick();
}));`;

// ------------------------------------------------------------------------------------------
// 5. Per-call cost (child process, inside a namespace)

function runCapture(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (err) => resolve({ code: -1, stdout, stderr: stderr + err.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The first compiler or npm error line of a failed install, without the build noise. */
function installFailure(output: string): string {
  const lines = output.split('\n').map((l) => l.replace(/^npm error\s*/, '').trim());
  const line = lines.find((l) => /fatal error|error:/.test(l)) ?? lines.find((l) => /ERR!|error/i.test(l)) ?? 'unknown error';
  return line.replace(/^.*?(fatal error|error):/, '$1:').slice(0, 160);
}

interface NativeInstall {
  dir?: string;
  note: string;
}

/**
 * `npm install --no-save --prefix <tmp> @ktamas77/abletonlink`. On Linux its binding.gyp
 * defines LINK_PLATFORM_MACOSX unconditionally and compiles as C++14 while node-addon-api 8
 * needs C++17, so a plain install fails; the retry undoes both through CXXFLAGS (which come
 * after the gyp flags on the compiler command line).
 */
async function installNative(): Promise<NativeInstall> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phaselock-bench-native-'));
  const args = ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, NATIVE_PACKAGE];
  const plain = await runCapture('npm', args);
  if (plain.code === 0) return { dir, note: 'plain npm install' };
  const firstReason = installFailure(plain.stdout + plain.stderr);
  const cxxflags = '-ULINK_PLATFORM_MACOSX -std=c++17';
  const retry = await runCapture('npm', args, { ...process.env, CXXFLAGS: cxxflags });
  if (retry.code === 0) return { dir, note: `plain install failed (${firstReason}); built with CXXFLAGS="${cxxflags}"` };
  await rm(dir, { recursive: true, force: true });
  return { note: `unavailable: ${firstReason}; with CXXFLAGS="${cxxflags}": ${installFailure(retry.stdout + retry.stderr)}` };
}

interface PerCallResult {
  phaselockNs: number;
  nativePairNs?: number;
  nativePhaseNs?: number;
  nativeError?: string;
}

/** Median ns/call of `fn` over `rounds` rounds of `n` calls (after a warm-up). */
function nsPerCall(fn: (i: number) => number, n = 200_000, rounds = 7): number {
  let sink = 0;
  for (let i = 0; i < 50_000; i++) sink += fn(i);
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += fn(i);
    results.push(Number(process.hrtime.bigint() - t0) / n);
  }
  if (sink === 0.123456789) console.error('unlikely');
  return median(results);
}

/** Child mode: measure in-process, print one JSON line. Never enables either Link. */
async function perCallChild(nativeDir: string | undefined): Promise<void> {
  const { Link } = await import('../src/index.ts');
  const link = new Link({ bpm: 120 }); // not enabled: no socket is opened
  const result: PerCallResult = {
    phaselockNs: nsPerCall((i) => {
      const s = link.captureAppSessionState();
      const t = link.clock.micros() + i;
      return s.beatAtTime(t, Q) + s.phaseAtTime(t, Q);
    }),
  };
  if (nativeDir) {
    try {
      const require = createRequire(path.join(nativeDir, 'package.json'));
      const { AbletonLink } = require(NATIVE_PACKAGE) as { AbletonLink: new (bpm: number) => { getBeat(): number; getPhase(q: number): number; isEnabled(): boolean } };
      const native = new AbletonLink(120); // not enabled
      if (native.isEnabled()) throw new Error('the native Link enabled itself');
      result.nativePairNs = nsPerCall(() => native.getBeat() + native.getPhase(Q));
      result.nativePhaseNs = nsPerCall(() => native.getPhase(Q));
    } catch (err) {
      result.nativeError = err instanceof Error ? err.message : String(err);
    }
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

async function perCall(ns: Netns, nativeDir: string | undefined): Promise<PerCallResult> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--per-call-child', nativeDir ?? ''];
  const child = ns.exec(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`per-call child failed (${code}): ${stderr.trim()}`);
  return JSON.parse(line) as PerCallResult;
}

// ------------------------------------------------------------------------------------------
// Main

interface Summary {
  metric: string;
  'phaselock↔Ableton': string;
  'Ableton↔Ableton': string;
  target: string;
  'met?': string;
}

async function main(): Promise<void> {
  const started = monoMicros();
  console.log(`link-interop benchmark — node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`);
  await buildAbletonPeer();
  const bundled = await bundlePhaselockPeer();
  bundle = bundled.file;
  const pa: Pair = { name: 'phaselock↔Ableton', ns: await Netns.create('plb-pa'), kinds: ['phaselock', 'ableton'], labels: ['phaselock', 'ableton'] };
  const aa: Pair = { name: 'Ableton↔Ableton', ns: await Netns.create('plb-aa'), kinds: ['ableton', 'ableton'], labels: ['ableton-1', 'ableton-2'] };
  const callNs = await Netns.create('plb-call');
  let native: NativeInstall | undefined;
  let installing: Promise<NativeInstall> | undefined;
  try {
    // ---- join time (fresh peers per trial, before the long-lived pairs exist)
    section('join time: enable of the second peer -> both report 1 peer and agree on phase within 100 µs (ms)');
    const TRIALS = 6;
    const trialsPlJoinsAb = await joinTrials(pa.ns, 'ableton', 'phaselock', TRIALS);
    const trialsAbJoinsPl = await joinTrials(pa.ns, 'phaselock', 'ableton', TRIALS);
    const trialsAbJoinsAb = await joinTrials(aa.ns, 'ableton', 'ableton', TRIALS);
    const joinPlJoinsAb = trialsPlJoinsAb.map((r) => r.ms);
    const joinAbJoinsPl = trialsAbJoinsPl.map((r) => r.ms);
    const joinAbJoinsAb = trialsAbJoinsAb.map((r) => r.ms);
    const joinRows = [
      ['phaselock joins Ableton', trialsPlJoinsAb],
      ['Ableton joins phaselock', trialsAbJoinsPl],
      ['Ableton joins Ableton', trialsAbJoinsAb],
    ] as const;
    console.table(joinRows.map(([what, rs]) => {
      const v = rs.map((r) => r.ms);
      return {
        'who joins': what, trials: v.length, 'median ms': fmt(median(v)), 'min ms': fmt(Math.min(...v)), 'max ms': fmt(max(v)),
        'all ms': v.map((x) => fmt(x, 1)).join(' '),
        'phase max µs per join, 0.3 s later': rs.map((r) => fmt(r.phaseMaxUs, 0)).join(' '),
        '… 5 s later': rs.map((r) => fmt(r.phaseLaterMaxUs, 0)).join(' '),
      };
    }));
    const plJoinPhase = [...trialsPlJoinsAb, ...trialsAbJoinsPl].map((r) => r.phaseMaxUs);
    const plJoinPhaseLater = [...trialsPlJoinsAb, ...trialsAbJoinsPl].map((r) => r.phaseLaterMaxUs);
    const abJoinPhase = trialsAbJoinsAb.map((r) => r.phaseMaxUs);
    const abJoinPhaseLater = trialsAbJoinsAb.map((r) => r.phaseLaterMaxUs);

    // ---- many peers started together
    section('16 peers of one kind started together: worst pairwise phase gap (µs, q = 4) 5 s and 10 s after the enable, 2 runs each');
    const scale: ScaleResult[] = [];
    for (let run = 0; run < 2; run++) {
      for (const kind of ['phaselock', 'ableton'] as const) scale.push(await scaleScenario(pa.ns, kind, 16, bundle, [5, 10]));
    }
    console.table(scale.map((r) => ({
      peers: `${r.peers} × ${r.kind}`,
      ...Object.fromEntries(r.gaps.map((g) => [`at ${g.atSeconds} s: worst µs`, g.minPeers === r.peers - 1 ? fmt(g.worstMicros, 0) : `not converged (min ${g.minPeers} peers)`])),
    })));
    const scaleWorst = (kind: PeerKind, at: number) => max(scale.filter((r) => r.kind === kind).map((r) => {
      const g = r.gaps.find((x) => x.atSeconds === at)!;
      return g.minPeers === r.peers - 1 ? g.worstMicros : Infinity;
    }));

    // ---- long-lived pairs
    for (const pair of [pa, aa]) {
      pair.peers = await startPair(pair, { startStopSync: true });
      await enableAndJoin(...pair.peers);
    }
    const pairsAt = monoMicros();
    await sleep(500);

    section(`phase disagreement at quantum ${Q}, 50 common instants (µs)`);
    const phase = new Map<Pair, { max: number; p50: number }>();
    for (const pair of [pa, aa]) phase.set(pair, await phaseDisagreement(...pair.peers!));
    console.table([pa, aa].map((p) => ({ pair: p.name, 'max µs': fmt(phase.get(p)!.max), 'p50 µs': fmt(phase.get(p)!.p50) })));

    section('propagation latency: sender commit time -> receiver event (ms), 20 changes each, random 100-700 ms gaps');
    const CHANGES = 20;
    const prop = new Map<string, number[]>();
    for (const pair of [pa, aa]) {
      const [x, y] = pair.peers!;
      for (const kind of ['tempo', 'playing'] as const) {
        prop.set(`${pair.name}|${kind}|x`, await propagation(x, y, kind, CHANGES));
        prop.set(`${pair.name}|${kind}|y`, await propagation(y, x, kind, CHANGES));
      }
    }
    const propRows = [];
    for (const pair of [pa, aa]) {
      for (const kind of ['tempo', 'playing'] as const) {
        for (const side of ['x', 'y'] as const) {
          const v = prop.get(`${pair.name}|${kind}|${side}`)!;
          const [from, to] = side === 'x' ? pair.labels : [pair.labels[1], pair.labels[0]];
          propRows.push({ change: kind === 'tempo' ? 'tempo' : 'start/stop', 'from -> to': `${from} -> ${to}`, n: v.length, 'p50 ms': fmt(median(v)), 'p90 ms': fmt(quantile(v, 0.9)), 'max ms': fmt(max(v)) });
        }
      }
    }
    console.table(propRows);

    // ---- idle CPU + RSS, with the native install running meanwhile (it burns CPU, but each
    // peer's own CPU time, all threads, from /proc/<pid>/task/*/schedstat, is what counts). A
    // joined phaselock peer re-measures at 1, 2, 4 and 8 s after its join: the window starts
    // 20 s after the pairs formed, in the steady state.
    section('idle enabled peers (in their 2-peer session, no commands, steady state): CPU over 30 s and RSS');
    installing = installNative();
    await sleep(Math.max(0, 20_000 - (monoMicros() - pairsAt) / 1000));
    const all = [pa, aa].flatMap((pair) => pair.peers!.map((peer, i) => ({ pair, peer, label: pair.labels[i]! })));
    const pid = (p: LinePeer) => p.proc.pid!;
    // The floor of Node itself: a bare process with an idle peer's datagram traffic (4 timer
    // wake-ups, 12 sends and 12 receives a second; an idle phaselock peer in a pair sends 8 (Alive,
// Response) and receives 12 (the peer's Alive and Response, its own Alive looped back)).
    const floor = pa.ns.exec(process.execPath, ['-e', FLOOR_SCRIPT], { stdio: 'ignore' });
    await sleep(3000);
    const t0 = monoMicros();
    const before = await Promise.all(all.map((a) => cpuNanos(pid(a.peer))));
    const floorBefore = await cpuNanos(floor.pid!);
    await sleep(30_000);
    const after = await Promise.all(all.map((a) => cpuNanos(pid(a.peer))));
    const floorCpuPct = (100 * ((await cpuNanos(floor.pid!)) - floorBefore)) / ((monoMicros() - t0) * 1000);
    floor.kill();
    const wall = (monoMicros() - t0) * 1000;
    const rss = await Promise.all(all.map((a) => rssMiB(pid(a.peer))));
    const comms = await Promise.all(all.map((a) => comm(pid(a.peer))));
    const cpu = all.map((a, i) => ({ ...a, comm: comms[i]!, cpuPct: (100 * (after[i]! - before[i]!)) / wall, rss: rss[i]! }));
    console.table([
      ...cpu.map((c) => ({ pair: c.pair.name, peer: c.label, pid: pid(c.peer), comm: c.comm, 'CPU % of a core': fmt(c.cpuPct, 3), 'RSS MiB': fmt(c.rss, 1) })),
      { pair: '—', peer: 'bare node, same datagram rate', pid: floor.pid, comm: 'node', 'CPU % of a core': fmt(floorCpuPct, 3), 'RSS MiB': '' },
    ]);
    for (const c of cpu) {
      if (c.comm === 'ip') console.log(`warning: pid ${pid(c.peer)} is still the ip process, not the peer`);
    }
    for (const pair of [pa, aa]) await Promise.all(pair.peers!.map((p) => p.close()));

    section(`per-call cost of capture + beatAtTime + phaseAtTime (in-process, no Link enabled; ns/call, median of 7 × 200k)`);
    native = await installing;
    console.log(`native binding ${NATIVE_PACKAGE}: ${native.note}`);
    const calls = await perCall(callNs, native.dir);
    const nativeOk = calls.nativePairNs !== undefined && !calls.nativeError;
    const nativeWhy = native.dir ? `unavailable: ${calls.nativeError ?? 'not measured'}` : native.note;
    console.table([
      { implementation: 'phaselock Link (capture, clock, beatAtTime, phaseAtTime)', 'ns/call': fmt(calls.phaselockNs, 1) },
      { implementation: `${NATIVE_PACKAGE} getBeat() + getPhase(4) (no capture API: each getter captures)`, 'ns/call': nativeOk ? fmt(calls.nativePairNs!, 1) : nativeWhy },
      { implementation: `${NATIVE_PACKAGE} getPhase(4) alone (lower bound: 1 capture)`, 'ns/call': nativeOk ? fmt(calls.nativePhaseNs!, 1) : nativeWhy },
    ]);

    // ---- summary
    const yes = (ok: boolean) => (ok ? 'yes' : 'NO');
    const prow = (key: string) => prop.get(key)!;
    const cpuOf = (pair: Pair, i: number) => cpu.find((c) => c.pair === pair && c.peer === pair.peers![i])!;
    const plTempo = prow(`${pa.name}|tempo|x`);
    const plPlay = prow(`${pa.name}|playing|x`);
    const summary: Summary[] = [
      { metric: 'phase disagreement q=4, max (µs), long-lived pair', 'phaselock↔Ableton': fmt(phase.get(pa)!.max), 'Ableton↔Ableton': fmt(phase.get(aa)!.max), target: '≤ 20', 'met?': yes(phase.get(pa)!.max <= 20) },
      { metric: 'phase disagreement q=4, p50 (µs), long-lived pair', 'phaselock↔Ableton': fmt(phase.get(pa)!.p50), 'Ableton↔Ableton': fmt(phase.get(aa)!.p50), target: '—', 'met?': '—' },
      { metric: `phase disagreement q=4, max (µs), worst of ${plJoinPhase.length} | ${abJoinPhase.length} fresh joins, 0.3 s after`, 'phaselock↔Ableton': fmt(max(plJoinPhase)), 'Ableton↔Ableton': fmt(max(abJoinPhase)), target: '≤ 3', 'met?': yes(max(plJoinPhase) <= 3) },
      { metric: `phase disagreement q=4, max (µs), median of the fresh joins, 0.3 s after`, 'phaselock↔Ableton': fmt(median(plJoinPhase)), 'Ableton↔Ableton': fmt(median(abJoinPhase)), target: '—', 'met?': '—' },
      { metric: `phase disagreement q=4, max (µs), worst | median of the fresh joins, 5 s after`, 'phaselock↔Ableton': `${fmt(max(plJoinPhaseLater))} | ${fmt(median(plJoinPhaseLater))}`, 'Ableton↔Ableton': `${fmt(max(abJoinPhaseLater))} | ${fmt(median(abJoinPhaseLater))}`, target: '—', 'met?': '—' },
      { metric: '16 peers started together: worst pairwise gap (µs) at 5 s, worst of 2 runs (phaselock | Ableton)', 'phaselock↔Ableton': fmt(scaleWorst('phaselock', 5)), 'Ableton↔Ableton': fmt(scaleWorst('ableton', 5)), target: '≤ 20', 'met?': yes(scaleWorst('phaselock', 5) <= 20) },
      { metric: '… at 10 s', 'phaselock↔Ableton': fmt(scaleWorst('phaselock', 10)), 'Ableton↔Ableton': fmt(scaleWorst('ableton', 10)), target: '—', 'met?': '—' },
      { metric: 'join time, median (ms): phaselock joins Ableton | Ableton joins Ableton', 'phaselock↔Ableton': fmt(median(joinPlJoinsAb)), 'Ableton↔Ableton': fmt(median(joinAbJoinsAb)), target: '≤ 100', 'met?': yes(median(joinPlJoinsAb) <= 100) },
      { metric: 'join time, median (ms): Ableton joins phaselock | Ableton joins Ableton', 'phaselock↔Ableton': fmt(median(joinAbJoinsPl)), 'Ableton↔Ableton': fmt(median(joinAbJoinsAb)), target: '≤ 100', 'met?': yes(median(joinAbJoinsPl) <= 100) },
      { metric: 'tempo latency p50 (ms): change on phaselock | on ableton-1', 'phaselock↔Ableton': fmt(median(plTempo)), 'Ableton↔Ableton': fmt(median(prow(`${aa.name}|tempo|x`))), target: '≤ 2', 'met?': yes(median(plTempo) <= 2) },
      { metric: 'tempo latency max (ms): change on phaselock | on ableton-1', 'phaselock↔Ableton': fmt(max(plTempo)), 'Ableton↔Ableton': fmt(max(prow(`${aa.name}|tempo|x`))), target: '≤ 52', 'met?': yes(max(plTempo) <= 52) },
      { metric: 'tempo latency p50 / max (ms): change on Ableton | on ableton-2', 'phaselock↔Ableton': `${fmt(median(prow(`${pa.name}|tempo|y`)))} / ${fmt(max(prow(`${pa.name}|tempo|y`)))}`, 'Ableton↔Ableton': `${fmt(median(prow(`${aa.name}|tempo|y`)))} / ${fmt(max(prow(`${aa.name}|tempo|y`)))}`, target: '—', 'met?': '—' },
      { metric: 'start/stop latency p50 (ms): change on phaselock | on ableton-1', 'phaselock↔Ableton': fmt(median(plPlay)), 'Ableton↔Ableton': fmt(median(prow(`${aa.name}|playing|x`))), target: '≤ 2', 'met?': yes(median(plPlay) <= 2) },
      { metric: 'start/stop latency max (ms): change on phaselock | on ableton-1', 'phaselock↔Ableton': fmt(max(plPlay)), 'Ableton↔Ableton': fmt(max(prow(`${aa.name}|playing|x`))), target: '≤ 52', 'met?': yes(max(plPlay) <= 52) },
      { metric: 'start/stop latency p50 / max (ms): change on Ableton | on ableton-2', 'phaselock↔Ableton': `${fmt(median(prow(`${pa.name}|playing|y`)))} / ${fmt(max(prow(`${pa.name}|playing|y`)))}`, 'Ableton↔Ableton': `${fmt(median(prow(`${aa.name}|playing|y`)))} / ${fmt(max(prow(`${aa.name}|playing|y`)))}`, target: '—', 'met?': '—' },
      { metric: 'idle CPU, % of a core: phaselock peer | ableton-1', 'phaselock↔Ableton': fmt(cpuOf(pa, 0).cpuPct, 3), 'Ableton↔Ableton': fmt(cpuOf(aa, 0).cpuPct, 3), target: '≤ 0.15', 'met?': yes(cpuOf(pa, 0).cpuPct <= 0.15) },
      { metric: 'idle CPU, % of a core: bare node with the same datagrams (the floor)', 'phaselock↔Ableton': fmt(floorCpuPct, 3), 'Ableton↔Ableton': '—', target: '—', 'met?': '—' },
      { metric: 'idle CPU, % of a core: Ableton peer | ableton-2', 'phaselock↔Ableton': fmt(cpuOf(pa, 1).cpuPct, 3), 'Ableton↔Ableton': fmt(cpuOf(aa, 1).cpuPct, 3), target: '—', 'met?': '—' },
      { metric: 'RSS (MiB): phaselock peer (plain node) | ableton-1', 'phaselock↔Ableton': fmt(cpuOf(pa, 0).rss, 1), 'Ableton↔Ableton': fmt(cpuOf(aa, 0).rss, 1), target: '—', 'met?': '—' },
      {
        metric: 'capture+beat+phase ns/call: phaselock | native getBeat()+getPhase(4)',
        'phaselock↔Ableton': fmt(calls.phaselockNs, 1),
        'Ableton↔Ableton': nativeOk ? fmt(calls.nativePairNs!, 1) : nativeWhy,
        target: 'phaselock ≥ 3× faster',
        'met?': nativeOk ? `${yes(calls.nativePairNs! / calls.phaselockNs >= 3)} (${fmt(calls.nativePairNs! / calls.phaselockNs, 1)}×)` : 'n/a',
      },
    ];
    section('summary');
    console.table(summary);
    console.log(`total ${fmt((monoMicros() - started) / 1e6, 1)} s`);
  } finally {
    for (const pair of [pa, aa]) await Promise.all((pair.peers ?? []).map((p) => p.close()));
    await Promise.all([pa.ns.close(), aa.ns.close(), callNs.close()]);
    native ??= await installing;
    if (native?.dir) await rm(native.dir, { recursive: true, force: true });
    await bundled.dispose();
  }
}

const childAt = process.argv.indexOf('--per-call-child');
if (childAt >= 0) {
  await perCallChild(process.argv[childAt + 1] || undefined);
} else {
  await main();
}
