/**
 * RTP-MIDI benchmark: phaselock's `phaselock/rtpmidi` side by side with the npm `rtpmidi`
 * package (MIT, unmaintained; a devDependency) in one run, unicast on 127.0.0.1 (no namespace,
 * no mDNS). Each implementation runs in peer processes of its own (bench/rtpmidi-peer.ts: two
 * for phaselock, two for the package), so CPU is accounted per process and every send and
 * arrival is stamped on the host's CLOCK_MONOTONIC, which all of them share.
 *
 *   node --import tsx bench/rtpmidi.ts [--short]      (or: npm run bench -- rtpmidi)
 *
 * Measures (issue 13, "Benchmark"):
 * 1. session set-up: invite → session established, → first clock sync done (initiator), → both
 *    sides synced; median of N runs per pair.
 * 2. one-way latency on loopback: `send` → 'message' at the receiver, p50/p99/max, every
 *    direction the two implementations can do.
 * 3. MIDI clock at the receiver: F8 at 24 ppq, 120 bpm, with exact timestamps; error against the
 *    ideal tick grid when played out at the timestamps (phaselock's jitter buffer) and on arrival.
 * 4. throughput: CPU (process.cpuUsage, all threads) of sender and receiver at a ladder of
 *    rates; the highest rate under 10 % of a core and the CPU at 1000 messages/s.
 * 5. recovery-journal overhead: bytes per RTP-MIDI packet of a typical performance (notes and
 *    controllers on 4 channels and MIDI clock), journal off / one-channel / full, counted at the
 *    sender's socket.
 * `--short`: a quick pass with small counts (for development); figures are then rough.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LinePeer, monoMicros, sleep, type PeerEvent, type Reply } from '../test/interop/harness.ts';
import { DEFAULT_SEND_AHEAD_MICROS } from '../src/rtpmidi/index.ts';
import { max, median, quantile } from './stats.ts';
import type { ByteStats } from './rtpmidi-peer.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const PEER = path.join(HERE, 'rtpmidi-peer.ts');
const SHORT = process.argv.includes('--short');

const SETUP_RUNS = SHORT ? 4 : 10;
/** npm initiators send their first IN 1.5 s after `connect`: these runs go at once, not in turn. */
const SETUP_RUNS_NPM = SHORT ? 2 : 6;
const NPM_STAGGER_MS = 400;
const LATENCY_MESSAGES = SHORT ? 150 : 500;
const LATENCY_GAP_US = 3000;
const TICK_SECONDS = SHORT ? 3 : 8;
const TICK_INTERVAL_US = 1e6 / 48; // 24 ppq at 120 bpm
const PLAYOUT_DEPTH_US = 5000;
const RATES = [250, 500, 1000, 2000, 4000, 8000];
const RATE_SECONDS = SHORT ? 0.7 : 1.2;
const CPU_LIMIT_PCT = 10;
const PERF_SECONDS = SHORT ? 2 : 5;

// ------------------------------------------------------------------------------------------
// Small statistics and formatting

const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const ms = (us: number, digits = 1) => fmt(us / 1000, digits);
/** Drops the first 10 % (cold code, first wake-ups). */
const warm = <T>(v: readonly T[]) => v.slice(Math.floor(v.length / 10));

function section(title: string): void {
  console.log(`\n=== ${title}`);
}

// ------------------------------------------------------------------------------------------
// Peer processes and sessions

type Impl = 'phaselock' | 'npm';

interface Proc {
  impl: Impl;
  peer: LinePeer;
}

async function startProc(impl: Impl, label: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', PEER, '--label', label], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  return { impl, peer: await LinePeer.start(child, label, 20_000) };
}

function cmd(p: Proc, name: string, args: object = {}, timeoutMs = 5000): Promise<Reply> {
  return p.peer.command(`${name} ${JSON.stringify(args)}`, timeoutMs);
}

interface Ep {
  proc: Proc;
  name: string;
  port: number;
}

async function openEp(proc: Proc, name: string, options: object = {}): Promise<Ep> {
  const { port } = await cmd(proc, 'open', { ep: name, impl: proc.impl, options });
  return { proc, name, port: port as number };
}

/** One session seen from both ends, with the set-up times (host µs). */
interface Link {
  init: Ep;
  resp: Ep;
  /** Session ids in each process. */
  sidInit: number;
  sidResp: number;
  t0: number;
  established: number;
  initSynced: number;
  respSynced: number;
}

const isEvent = (name: string) => (e: PeerEvent) => e.event === name;

/** `init` invites `resp` and waits until both ends have a session and a clock estimate. */
async function connect(init: Ep, resp: Ep, options: object = {}, timeoutMs = 20_000): Promise<Link> {
  const markR = resp.proc.peer.events.length;
  const markI = init.proc.peer.events.length;
  const { t0, tag } = await cmd(init.proc, 'invite', { ep: init.name, port: resp.port, options });
  const si = await init.proc.peer.waitForEvent((e) => isEvent('session')(e) && e.tag === tag, timeoutMs, markI);
  const remote = `${init.proc.peer.label}-${init.name}`;
  const taken = (e: PeerEvent) => claimed.has(`${resp.proc.peer.label}#${e.sid}`);
  const sr = await resp.proc.peer.waitForEvent((e) => isEvent('session')(e) && e.ep === resp.name && e.role === 'responder' && e.remote === remote && !taken(e), timeoutMs, markR);
  claimed.add(`${resp.proc.peer.label}#${sr.sid}`);
  const [yi, yr] = await Promise.all([
    init.proc.peer.waitForEvent((e) => isEvent('synced')(e) && e.sid === si.sid, timeoutMs, markI),
    resp.proc.peer.waitForEvent((e) => isEvent('synced')(e) && e.sid === sr.sid, timeoutMs, markR),
  ]);
  return { init, resp, sidInit: si.sid, sidResp: sr.sid, t0, established: si.t, initSynced: yi.t, respSynced: yr.t };
}
/** Responder sessions already matched to an invitation (label#sid). */
const claimed = new Set<string>();

async function closeLink(l: Link): Promise<void> {
  const mark = l.resp.proc.peer.events.length;
  await cmd(l.init.proc, 'close', { sid: l.sidInit });
  await l.resp.proc.peer.waitForEvent((e) => isEvent('closed')(e) && e.sid === l.sidResp, 5000, mark);
}

const implName = (i: Impl) => (i === 'npm' ? 'npm rtpmidi' : 'phaselock');
const pairName = (l: Link) => `${implName(l.init.proc.impl)} → ${implName(l.resp.proc.impl)}`;

interface Recorded {
  messages: number;
  indexed: number[][];
  ticks: number[][];
  packets: number[];
}
/** What every session of `p` received since `record` (recording stops). */
async function stopRecordAll(p: Proc): Promise<Record<number, Recorded>> {
  return (await cmd(p, 'stop-record', {}, 10_000)).sessions as Record<number, Recorded>;
}
const rec = (all: Record<number, Recorded>, sid: number): Recorded => all[sid] ?? { messages: 0, indexed: [], ticks: [], packets: [] };
const stopRecord = async (p: Proc, sid: number) => rec(await stopRecordAll(p), sid);

// ------------------------------------------------------------------------------------------
// 1. Session set-up

interface SetupRow {
  pair: string;
  runs: number;
  established: number[];
  initSynced: number[];
  bothSynced: number[];
}

function setupRow(pair: string, all: Array<Link | undefined>): SetupRow {
  const links = all.filter((l): l is Link => l !== undefined);
  const failed = all.length - links.length;
  return {
    pair: failed > 0 ? `${pair} — ${failed} of ${all.length} never synced within 20 s` : pair,
    runs: links.length,
    established: links.map((l) => l.established - l.t0),
    initSynced: links.map((l) => l.initSynced - l.t0),
    bothSynced: links.map((l) => Math.max(l.initSynced, l.respSynced) - l.t0),
  };
}

async function setupTrials(pl: [Proc, Proc], npm: [Proc, Proc]): Promise<SetupRow[]> {
  const plInit = await openEp(pl[0], 'su');
  const plResp = await openEp(pl[1], 'su');
  const npmResp = await openEp(npm[1], 'su');
  const rows: SetupRow[] = [];
  // phaselock initiators: one run after the other, each session closed (BY) before the next.
  for (const resp of [plResp, npmResp]) {
    const links: Link[] = [];
    for (let i = 0; i < SETUP_RUNS; i++) {
      const l = await connect(plInit, resp);
      links.push(l);
      await closeLink(l);
      await sleep(20);
    }
    rows.push(setupRow(pairName(links[0]!), links));
  }
  // npm initiators: the package sends its first IN 1.5 s after connect and its first CK 1.5 s
  // after the OK, so their runs overlap, one npm endpoint (own ports and SSRC) each, started
  // NPM_STAGGER_MS apart: phaselock's responder answers at most 6 INs at once from one address
  // (then 3 a second), and every peer here is 127.0.0.1.
  const npmInits = await Promise.all(Array.from({ length: 2 * SETUP_RUNS_NPM }, (_, i) => openEp(npm[0], `su${i}`)));
  const [toPl, toNpm] = await Promise.all([plResp, npmResp].map((resp, r) =>
    Promise.all(npmInits.slice(r * SETUP_RUNS_NPM, (r + 1) * SETUP_RUNS_NPM).map(async (init, i) => {
      await sleep(i * NPM_STAGGER_MS);
      // The npm package sometimes never completes a clock sync: count it, do not abort the run.
      return connect(init, resp).catch((e: unknown) => {
        process.stderr.write(`  (a set-up run failed: ${(e as Error).message.split('\n')[0]!.slice(0, 160)})\n`);
        return undefined;
      });
    }))));
  const name = (links: Array<Link | undefined>, fallback: string) => {
    const l = links.find((x) => x !== undefined);
    return l ? pairName(l) : fallback;
  };
  rows.push(setupRow(`${name(toPl!, 'npm → phaselock')} (overlapping, ${NPM_STAGGER_MS} ms apart)`, toPl!));
  rows.push(setupRow(`${name(toNpm!, 'npm → npm')} (overlapping, ${NPM_STAGGER_MS} ms apart)`, toNpm!));
  return rows;
}

// ------------------------------------------------------------------------------------------
// 2. One-way latency

interface LatencyRow {
  direction: string;
  received: number;
  sent: number;
  latency: number[];
  /** phaselock receivers: the sender's time as mapped through clock sync − the true send time. */
  stampError: number[];
}

async function latency(direction: string, from: Proc, fromSid: number, to: Proc, toSid: number): Promise<LatencyRow> {
  await cmd(to, 'record', { keep: true });
  const { sent } = await cmd(from, 'send-indexed', { sid: fromSid, n: LATENCY_MESSAGES, gapUs: LATENCY_GAP_US }, 60_000);
  const r = await stopRecord(to, toSid);
  const lat: number[] = [];
  const stamp: number[] = [];
  for (const [idx, at, timeMicros] of warm(r.indexed)) {
    const s = (sent as number[])[idx!];
    if (s === undefined) continue;
    lat.push(at! - s);
    if (timeMicros! >= 0) stamp.push(timeMicros! - s);
  }
  return { direction, received: r.indexed.length, sent: (sent as number[]).length, latency: lat, stampError: stamp };
}

// ------------------------------------------------------------------------------------------
// 3. MIDI clock at the receiver

interface TickRow {
  receiver: string;
  ticks: number;
  expected: number;
  f8Messages: number;
  /** The constant the error is taken against: playout depth, or the median lateness on arrival. */
  constantUs: number;
  errors: number[];
  /** Signed errors (late > 0). */
  signed: number[];
}

/**
 * Errors of delivery times `at[k]` against the grid `startAt + k·interval + constant`, where the
 * constant is the playout depth, or (on arrival, `depth` undefined) the median of at − grid:
 * the most favourable fixed latency a receiver could subtract.
 */
function tickErrors(receiver: string, at: number[], startAt: number, n: number, f8Messages: number, depth?: number): TickRow {
  const offsets = at.map((t, k) => t - (startAt + k * TICK_INTERVAL_US));
  const constantUs = depth ?? median(offsets);
  const signed = offsets.slice(10).map((o) => o - constantUs); // the first 10 ticks: warm-up
  return { receiver, ticks: at.length, expected: n, f8Messages, constantUs, errors: signed.map(Math.abs), signed };
}

interface TickTarget {
  link: Link;
  label: string;
  /** The receiver session plays out at the timestamps with this depth (µs). */
  depth?: number;
}

/** The sender's F8 grid to every target at once; each receiver's deliveries against it. */
async function tickRun(sender: Proc, targets: TickTarget[]): Promise<TickRow[]> {
  const n = Math.round(TICK_SECONDS * 48);
  const receivers = [...new Set(targets.map((t) => t.link.resp.proc))];
  const startAt = monoMicros() + 300_000;
  await Promise.all(receivers.map((p) => cmd(p, 'record', { keep: true })));
  await cmd(sender, 'clock', { sids: targets.map((t) => t.link.sidInit), startAt, n, intervalUs: TICK_INTERVAL_US }, (TICK_SECONDS + 10) * 1000);
  const got = new Map<Proc, Record<number, Recorded>>();
  for (const p of receivers) got.set(p, await stopRecordAll(p));
  return targets.map((t) => {
    const r = rec(got.get(t.link.resp.proc)!, t.link.sidResp);
    // The package delivers no lone F8: its per-packet event is timed instead (one packet per tick).
    const at = t.link.resp.proc.impl === 'npm' ? r.packets : r.ticks.map((x) => x[0]!);
    return tickErrors(t.label, at, startAt, n, r.ticks.length, t.depth);
  });
}

// ------------------------------------------------------------------------------------------
// 4. Throughput

interface RatePoint {
  rate: number;
  sent: number;
  received: number;
  senderPct: number;
  receiverPct: number;
}

const pct = (r: Reply) => (100 * r.cpuMicros) / r.wallMicros;
const worst = (p: RatePoint) => Math.max(p.senderPct, p.receiverPct);

async function rateRun(l: Link, rate: number): Promise<RatePoint> {
  const [from, to] = [l.init.proc, l.resp.proc];
  await cmd(to, 'record', { keep: false });
  await cmd(to, 'cpu-start');
  const s = await cmd(from, 'rate', { sids: [l.sidInit], rate, seconds: RATE_SECONDS }, 60_000);
  await sleep(30);
  const r = await cmd(to, 'cpu-stop');
  const rec = await stopRecord(to, l.sidResp);
  return { rate, sent: s.sent, received: rec.messages, senderPct: pct(s), receiverPct: pct(r) };
}

interface Idle {
  senderPct: number;
  receiverPct: number;
  /** Clock-sync datagrams sent per second by each side. */
  ckSender: number;
  ckReceiver: number;
}

/** Both ends of an open session, nothing sent, for RATE_SECONDS. */
async function idleRun(l: Link): Promise<Idle> {
  const [from, to] = [l.init.proc, l.resp.proc];
  await Promise.all([cmd(from, 'cpu-start'), cmd(to, 'cpu-start')]);
  await sleep(RATE_SECONDS * 1000);
  const [a, b] = await Promise.all([cmd(from, 'cpu-stop'), cmd(to, 'cpu-stop')]);
  return { senderPct: pct(a), receiverPct: pct(b), ckSender: (a.ckSent * 1e6) / a.wallMicros, ckReceiver: (b.ckSent * 1e6) / b.wallMicros };
}

interface Ladder {
  pair: string;
  idle: Idle;
  points: RatePoint[];
}

/** Idle, then the rates of RATES up to two in a row at or over the limit (1000 msg/s always). */
async function ladder(l: Link, pair = pairName(l)): Promise<Ladder> {
  // Warm-up, not measured: the first run of this message mix would pay for compiling its code paths.
  await cmd(l.init.proc, 'rate', { sids: [l.sidInit], rate: 2000, seconds: 0.5 }, 60_000);
  const idle = await idleRun(l);
  const points: RatePoint[] = [];
  let over = 0;
  for (const rate of RATES) {
    const p = await rateRun(l, rate);
    points.push(p);
    over = worst(p) >= CPU_LIMIT_PCT ? over + 1 : 0;
    if (over >= 2 && rate >= 1000) break;
  }
  return { pair, idle, points };
}

/** One implementation's own cost: its sender CPU from one ladder, its receiver CPU from another. */
function ownPoints(sending: Ladder, receiving: Ladder): RatePoint[] {
  const out: RatePoint[] = [];
  for (const s of sending.points) {
    const r = receiving.points.find((p) => p.rate === s.rate);
    if (!r) continue;
    out.push({ rate: s.rate, sent: s.sent + r.sent, received: s.received + r.received, senderPct: s.senderPct, receiverPct: r.receiverPct });
  }
  return out;
}

/**
 * The highest rate such that it and every lower rate measured stayed under the limit on both
 * sides (all messages delivered), and the first crossing interpolated linearly from it.
 */
function underLimit(points: RatePoint[]): { highest: number; interpolated: number } {
  const sorted = [...points].sort((a, b) => a.rate - b.rate);
  const firstOver = sorted.findIndex((p) => worst(p) >= CPU_LIMIT_PCT || p.received < p.sent);
  const below = firstOver === 0 ? undefined : sorted[(firstOver < 0 ? sorted.length : firstOver) - 1];
  const above = firstOver < 0 ? undefined : sorted[firstOver];
  const highest = below ? below.rate : NaN;
  let interpolated = NaN;
  if (above && below) interpolated = below.rate + ((CPU_LIMIT_PCT - worst(below)) * (above.rate - below.rate)) / (worst(above) - worst(below));
  return { highest, interpolated };
}

// ------------------------------------------------------------------------------------------
// Main

/** Warning events of the peers since `marks`, counted by message with numbers and names masked. */
function warningsSince(procs: readonly Proc[], marks: readonly number[]): string[] {
  const counts = new Map<string, number>();
  procs.forEach((p, i) => {
    for (const e of p.peer.events.slice(marks[i])) {
      if (e.event !== 'warning' && e.event !== 'error') continue;
      const key = `${p.peer.label}: ${String(e.message).replace(/'[^']*'/g, "'…'").replace(/0x[0-9a-f]+|\d+/g, 'N')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  });
  return [...counts].map(([k, c]) => `${c} × ${k}`);
}

const marksOf = (procs: readonly Proc[]) => procs.map((p) => p.peer.events.length);

const progress = (what: string) => process.stderr.write(`[${fmt((monoMicros() - t00) / 1e6, 1)} s] ${what}\n`);
let t00 = 0;

async function main(): Promise<void> {
  t00 = monoMicros();
  console.log(`rtpmidi benchmark — node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}${SHORT ? ' (--short: small counts, rough figures)' : ''}`);
  console.log('phaselock/rtpmidi (src/) beside the npm rtpmidi package, each in 2 peer processes of its own (bench/rtpmidi-peer.ts), unicast on 127.0.0.1.');
  console.log('Measured first, printed at the end (progress on stderr). Two npm rtpmidi peers in one session answer each other\'s clock sync without end');
  console.log('(see the idle rows of section 4), so the npm ↔ npm session exists only in a phase of its own, after everything else.');
  const procs = await Promise.all([
    startProc('phaselock', 'plA'), startProc('phaselock', 'plB'), startProc('npm', 'npmA'), startProc('npm', 'npmB'),
  ]);
  const [plA, plB, npmA, npmB] = procs as [Proc, Proc, Proc, Proc];
  const warnings: Array<[string, string[]]> = [];
  let marks = marksOf(procs);
  const phaseDone = (name: string) => {
    warnings.push([name, warningsSince(procs, marks)]);
    marks = marksOf(procs);
  };
  try {
    // ---- 1. set-up
    progress('1. session set-up');
    const setup = await setupTrials([plA, plB], [npmA, npmB]);
    for (const p of procs) await cmd(p, 'close-all');
    claimed.clear();
    phaseDone('set-up trials');

    // ---- the sessions of sections 2–5 (all but npm ↔ npm), set up once. Every session has a
    // responder endpoint of its own: phaselock's responder ends an older session from the same
    // initiator address and control port when a new one completes ('replaced'), so an endpoint
    // inviting another twice keeps only the newest session (seen while writing this benchmark).
    progress('sessions for sections 2–5');
    const ep = {
      plA: await openEp(plA, 'main'),
      plB: await openEp(plB, 'main'),
      plBplay: await openEp(plB, 'play', { playout: { depthMicros: PLAYOUT_DEPTH_US } }),
      plBjr: await Promise.all(['off', 'one-channel', 'full'].map((m) => openEp(plB, `jr-${m}`))),
      plBnpmPlay: await openEp(plB, 'npm-play', { playout: { depthMicros: PLAYOUT_DEPTH_US } }),
      plBnpm: await openEp(plB, 'npm'),
      plBnpmJr: await openEp(plB, 'npm-jr'),
      npmA: await openEp(npmA, 'main'),
      npmB: await openEp(npmB, 'main'),
    };
    const [pp, ppPlay, pn, jOff, jOne, jFull, npPlay, np, nj] = await Promise.all([
      connect(ep.plA, ep.plB),
      connect(ep.plA, ep.plBplay),
      connect(ep.plA, ep.npmB),
      connect(ep.plA, ep.plBjr[0]!, { journal: 'off' }),
      connect(ep.plA, ep.plBjr[1]!, { journal: 'one-channel' }),
      connect(ep.plA, ep.plBjr[2]!, { journal: 'full' }),
      connect(ep.npmA, ep.plBnpmPlay),
      connect(ep.npmA, ep.plBnpm),
      connect(ep.npmA, ep.plBnpmJr),
    ]);
    phaseDone('session set-up for sections 2–5');

    progress('2. latency');
    const lat: LatencyRow[] = [
      await latency('phaselock → phaselock', plA, pp.sidInit, plB, pp.sidResp),
      await latency('phaselock → npm rtpmidi', plA, pn.sidInit, npmB, pn.sidResp),
      await latency('npm rtpmidi → phaselock', npmA, np.sidInit, plB, np.sidResp),
    ];
    phaseDone('2. latency');

    progress('3. clock ticks (phaselock sender)');
    const ticks: TickRow[] = await tickRun(plA, [
      { link: ppPlay, label: 'phaselock → phaselock, played out', depth: PLAYOUT_DEPTH_US },
      { link: pp, label: 'phaselock → phaselock, on arrival' },
      { link: pn, label: 'phaselock → npm rtpmidi, on arrival (packet event)' },
    ]);
    progress('3. clock ticks (npm sender)');
    ticks.push(...await tickRun(npmA, [
      { link: npPlay, label: 'npm rtpmidi → phaselock, played out', depth: PLAYOUT_DEPTH_US },
      { link: np, label: 'npm rtpmidi → phaselock, on arrival' },
    ]));
    phaseDone('3. clock ticks');

    progress('4. throughput');
    const ladders: Ladder[] = [await ladder(pp), await ladder(np), await ladder(pn)];
    const journalOff1000 = await rateRun(jOff, 1000);
    const floor = await cmd(plA, 'rate', { sids: [], rate: 1000, seconds: RATE_SECONDS, dry: true }, 60_000);
    phaseDone('4. throughput');

    progress('5. journal overhead');
    const startAt = monoMicros() + 300_000;
    await cmd(plB, 'record', { keep: false });
    const [perfPl, perfNpm] = await Promise.all([
      cmd(plA, 'perf', { sids: [jOff.sidInit, jOne.sidInit, jFull.sidInit], seconds: PERF_SECONDS, startAt }, (PERF_SECONDS + 10) * 1000),
      cmd(npmA, 'perf', { sids: [nj.sidInit], seconds: PERF_SECONDS, startAt }, (PERF_SECONDS + 10) * 1000),
    ]);
    await sleep(50);
    const got = await stopRecordAll(plB);
    phaseDone('5. journal overhead');
    for (const p of procs) await cmd(p, 'close-all');
    claimed.clear();

    // ---- npm ↔ npm, alone
    progress('npm ↔ npm: session, latency, clock ticks, throughput');
    const nn = await connect(await openEp(npmA, 'nn'), await openEp(npmB, 'nn'));
    lat.push(await latency('npm rtpmidi → npm rtpmidi', npmA, nn.sidInit, npmB, nn.sidResp));
    ticks.push(...await tickRun(npmA, [{ link: nn, label: 'npm rtpmidi → npm rtpmidi, on arrival (packet event)' }]));
    ladders.push(await ladder(nn));
    for (const p of procs) await cmd(p, 'close-all');
    phaseDone('npm ↔ npm phase');
    const measuredFor = (monoMicros() - t00) / 1e6;

    // ================================================================================== print
    section('1. session set-up (ms from the invite call); initiator → responder');
    console.log(`phaselock initiators: ${SETUP_RUNS} runs one after the other (each closed with BY before the next); npm initiators: ${SETUP_RUNS_NPM} overlapping runs`);
    console.log('(own endpoint each). established: the initiator holds the session (OK on both ports); initiator synced: it has its first clock');
    console.log('estimate (CK 0/1/2); both synced: the responder has one too (the npm package sends nothing before its own sync).');
    console.table(setup.map((r) => ({
      'initiator → responder': r.pair, runs: r.runs,
      'established ms (median)': ms(median(r.established), 2),
      'established ms (min–max)': `${ms(Math.min(...r.established), 2)}–${ms(max(r.established), 2)}`,
      'initiator synced ms (median)': ms(median(r.initSynced), 2),
      'initiator synced ms (min–max)': `${ms(Math.min(...r.initSynced), 2)}–${ms(max(r.initSynced), 2)}`,
      'both synced ms (median)': ms(median(r.bothSynced), 2),
    })));

    section(`2. one-way latency on loopback: send → 'message' at the receiver (µs), ${LATENCY_MESSAGES} messages ${LATENCY_GAP_US / 2000}–${(1.5 * LATENCY_GAP_US) / 1000} ms apart, first 10 % dropped`);
    console.log('phaselock sends with session.send(bytes) (for now: out on the next turn of its timers); the npm package with Stream.sendMessage (at once).');
    console.log("Last column: the receiver's event.timeMicros (the sender's RTP timestamp mapped through clock sync) − the true send time.");
    console.log('npm → npm ran alone, with the two peers exchanging clock sync without end (section 4): that receiver never sleeps between messages.');
    console.table(lat.map((r) => ({
      'sender → receiver': r.direction, 'received/sent': `${r.received}/${r.sent}`,
      'p50 µs': fmt(median(r.latency)), 'p99 µs': fmt(quantile(r.latency, 0.99)), 'max µs': fmt(max(r.latency)),
      'mapped time error µs, p50 | p99 of |·|': r.stampError.length
        ? `${fmt(median(r.stampError))} | ${fmt(quantile(r.stampError.map(Math.abs), 0.99))}` : '— (not exposed)',
    })));

    section(`3. MIDI clock at the receiver: F8 at 24 ppq, 120 bpm (every ${fmt(TICK_INTERVAL_US, 1)} µs) for ${TICK_SECONDS} s; |error| vs the ideal tick grid (µs), first 10 ticks dropped`);
    console.log(`phaselock sends every tick ahead with its exact time (timestamped output, ${DEFAULT_SEND_AHEAD_MICROS / 1000} ms send-ahead). The npm package has no way to (its`);
    console.log('Session.sendMessage mis-stamps), so its sender sends each F8 from a Node timer at the tick time, stamped with its clock then.');
    console.log(`played out: phaselock delivers at the sender's time (mapped through clock sync) + ${PLAYOUT_DEPTH_US / 1000} ms (playout: { depthMicros: ${PLAYOUT_DEPTH_US} }); error vs grid + depth.`);
    console.log("on arrival: error vs grid + the median lateness ('constant'), the best fixed latency a receiver could take off.");
    console.log("p50/p99/max: of |error|; 'median signed' (late > 0) separates a fixed bias from the jitter.");
    console.log("npm receivers deliver no packet whose only command is one byte (a lone F8: 'F8 delivered' = 0): their per-packet 'midi' event is timed.");
    console.table(ticks.map((r) => ({
      'sender → receiver, delivery': r.receiver, ticks: `${r.ticks}/${r.expected}`, 'F8 delivered': r.f8Messages,
      'constant µs': fmt(r.constantUs), 'median signed µs': fmt(median(r.signed)), 'p50 µs': fmt(median(r.errors)), 'p99 µs': fmt(quantile(r.errors, 0.99)), 'max µs': fmt(max(r.errors)),
    })));

    section(`4. throughput: CPU (% of one core; process.cpuUsage, user + system, all threads) of sender and receiver, ${RATE_SECONDS} s per rate`);
    console.log('The sender sleeps (setTimeout) until the next message is due, at most 1000 wake-ups a second, and sends what is due (note-on,');
    console.log('controller, note-off round 4 channels, 3 bytes each): one packet per message up to 1000 msg/s, then one per ms. phaselock:');
    console.log('session.send() for each (journal full); npm: one Stream.sendMessage per wake-up.');
    console.log(`Ladder ${RATES.join(', ')} msg/s after 0.5 s of warm-up, stopped after two rates in a row (from 1000 on) at which a side reaches ${CPU_LIMIT_PCT} %.`);
    console.log("'idle': the session open, nothing sent. The npm package logs through winston at level 'warn' (as in test/rtpmidi/npm-peer.mjs).");
    const floorPct = pct(floor);
    console.table(ladders.flatMap((l) => [
      { pair: l.pair, 'msg/s': 'idle', 'received/sent': '—', 'sender CPU %': fmt(l.idle.senderPct, 2), 'receiver CPU %': fmt(l.idle.receiverPct, 2), 'CK sent/s: sender | receiver': `${fmt(l.idle.ckSender, 1)} | ${fmt(l.idle.ckReceiver, 1)}` },
      ...l.points.map((p) => ({ pair: l.pair, 'msg/s': String(p.rate), 'received/sent': `${p.received}/${p.sent}`, 'sender CPU %': fmt(p.senderPct, 2), 'receiver CPU %': fmt(p.receiverPct, 2), 'CK sent/s: sender | receiver': '' })),
    ]).concat([
      { pair: 'phaselock → phaselock, journal off', 'msg/s': '1000', 'received/sent': `${journalOff1000.received}/${journalOff1000.sent}`, 'sender CPU %': fmt(journalOff1000.senderPct, 2), 'receiver CPU %': fmt(journalOff1000.receiverPct, 2), 'CK sent/s: sender | receiver': '' },
      { pair: 'pacing loop alone (builds the messages, sends nothing)', 'msg/s': '1000', 'received/sent': '—', 'sender CPU %': fmt(floorPct, 2), 'receiver CPU %': '—', 'CK sent/s: sender | receiver': '' }]));
    const byPair = (name: string) => ladders.find((l) => l.pair === name)!;
    const own = [
      { impl: 'phaselock (sender and receiver: phaselock → phaselock)', points: byPair('phaselock → phaselock').points },
      { impl: 'npm rtpmidi (sender: npm → phaselock; receiver: phaselock → npm)', points: ownPoints(byPair('npm rtpmidi → phaselock'), byPair('phaselock → npm rtpmidi')) },
      { impl: 'npm rtpmidi ↔ npm rtpmidi (sender and receiver, with their clock-sync exchange)', points: byPair('npm rtpmidi → npm rtpmidi').points },
    ].map((o) => ({ ...o, ...underLimit(o.points), at1000: o.points.find((p) => p.rate === 1000) }));
    console.table(own.map((o) => ({
      implementation: o.impl, [`highest rate with it and every lower rate < ${CPU_LIMIT_PCT} % (sender and receiver)`]: fmt(o.highest),
      [`≈ rate at ${CPU_LIMIT_PCT} % (interpolated)`]: fmt(o.interpolated),
      'CPU % at 1000 msg/s: sender | receiver': o.at1000 ? `${fmt(o.at1000.senderPct, 2)} | ${fmt(o.at1000.receiverPct, 2)}` : 'n/a',
    })));

    section(`5. recovery journal overhead: a typical performance for ${PERF_SECONDS} s, bytes per RTP-MIDI packet counted at the sender's socket`);
    console.log('The performance (120 bpm): Start, MIDI clock (24 ppq), and on each of 4 channels a note every 16th (off half a 16th later) and a filter');
    console.log('controller between them: 144 messages/s. phaselock: timestamped ahead, one session per journal mode, from one sender to three');
    console.log('phaselock receivers sending RS every 1 s (default); npm: sent from a timer as each message falls due (it has no journal).');
    console.log('Bytes: the UDP payload (12-byte RTP header included); journal bytes: the journal section of the packet.');
    const jrRows = [
      ['phaselock, journal off', jOff, perfPl],
      ['phaselock, journal one-channel', jOne, perfPl],
      ['phaselock, journal full', jFull, perfPl],
      ['npm rtpmidi (no journal)', nj, perfNpm],
    ] as const;
    const per = jrRows.map(([what, l, r]) => ({ what, b: r.bytes[l.sidInit] as ByteStats | undefined, received: rec(got, l.sidResp).messages, sent: r.messages as number }));
    const offBpp = per[0]!.b ? per[0]!.b.bytes / per[0]!.b.packets : NaN;
    console.table(per.map(({ what, b, received, sent }) => {
      const bpp = b ? b.bytes / b.packets : NaN;
      return {
        sender: what, packets: b?.packets ?? 0, 'packets/s': fmt((b?.packets ?? 0) / PERF_SECONDS, 1), 'received/sent msgs': `${received}/${sent}`,
        'bytes/packet (mean)': fmt(bpp, 1), 'journal bytes/packet (mean)': fmt(b ? b.journalBytes / b.packets : NaN, 1),
        'largest packet': b?.maxBytes ?? 0, 'packets without MIDI': b?.guardPackets ?? 0, 'bytes/s': fmt(b ? b.bytes / PERF_SECONDS : NaN),
        'vs phaselock off': what.startsWith('phaselock') ? `+${fmt(bpp - offBpp, 1)} B (+${fmt((100 * (bpp - offBpp)) / offBpp)} %)` : '—',
      };
    }));

    // ---- summary
    const sRow = (pair: string) => setup.find((r) => r.pair.startsWith(pair))!;
    const lRow = (d: string) => lat.find((r) => r.direction === d)!;
    const tRow = (d: string) => ticks.find((r) => r.receiver === d)!;
    const jRow = (w: string) => per.find((r) => r.what === w)!.b;
    const bpp = (b: ByteStats | undefined) => (b ? fmt(b.bytes / b.packets, 1) : 'n/a');
    const p99 = (v: number[]) => fmt(quantile(v, 0.99));
    const [ownPl, ownNpm, ownNn] = own as [typeof own[0], typeof own[0], typeof own[0]];
    section('summary: phaselock ↔ phaselock beside npm rtpmidi ↔ npm rtpmidi (npm against phaselock where noted)');
    console.table([
      { metric: 'set-up: invite → established, median ms', phaselock: ms(median(sRow('phaselock → phaselock').established), 2), 'npm rtpmidi': ms(median(sRow('npm rtpmidi → npm rtpmidi').established), 2) },
      { metric: 'set-up: invite → first clock sync (initiator), median ms', phaselock: ms(median(sRow('phaselock → phaselock').initSynced), 2), 'npm rtpmidi': ms(median(sRow('npm rtpmidi → npm rtpmidi').initSynced), 2) },
      { metric: 'latency send → message, p50 / p99 µs', phaselock: `${fmt(median(lRow('phaselock → phaselock').latency))} / ${p99(lRow('phaselock → phaselock').latency)}`, 'npm rtpmidi': `${fmt(median(lRow('npm rtpmidi → npm rtpmidi').latency))} / ${p99(lRow('npm rtpmidi → npm rtpmidi').latency)}` },
      { metric: 'clock tick |error| p99 µs: played out | on arrival', phaselock: `${p99(tRow('phaselock → phaselock, played out').errors)} | ${p99(tRow('phaselock → phaselock, on arrival').errors)}`, 'npm rtpmidi': `— | ${p99(tRow('npm rtpmidi → npm rtpmidi, on arrival (packet event)').errors)} (packet event; no F8 delivered)` },
      { metric: `throughput: msg/s with sender and receiver < ${CPU_LIMIT_PCT} % CPU (≈ interpolated crossing)`, phaselock: `${fmt(ownPl.highest)} (≈ ${fmt(ownPl.interpolated)})`, 'npm rtpmidi': `${fmt(ownNpm.highest)} (≈ ${fmt(ownNpm.interpolated)}) against phaselock; ${fmt(ownNn.highest)} npm ↔ npm` },
      { metric: 'CPU % at 1000 msg/s: sender | receiver', phaselock: ownPl.at1000 ? `${fmt(ownPl.at1000.senderPct, 2)} | ${fmt(ownPl.at1000.receiverPct, 2)}` : 'n/a', 'npm rtpmidi': `${ownNpm.at1000 ? `${fmt(ownNpm.at1000.senderPct, 2)} | ${fmt(ownNpm.at1000.receiverPct, 2)}` : 'n/a'} against phaselock; ${ownNn.at1000 ? `${fmt(ownNn.at1000.senderPct, 2)} | ${fmt(ownNn.at1000.receiverPct, 2)}` : 'n/a'} npm ↔ npm` },
      { metric: 'bytes/packet, typical performance: journal full | one-channel | off', phaselock: `${bpp(jRow('phaselock, journal full'))} | ${bpp(jRow('phaselock, journal one-channel'))} | ${bpp(jRow('phaselock, journal off'))}`, 'npm rtpmidi': `${bpp(jRow('npm rtpmidi (no journal)'))} (no journal)` },
    ]);

    section('warnings and errors the peers reported (numbers masked), by phase');
    for (const [phase, w] of warnings) console.log(`${phase}: ${w.length ? `\n  ${w.join('\n  ')}` : 'none'}`);
    console.log(`\nmeasured in ${fmt(measuredFor, 1)} s; load average now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await Promise.all(procs.map((p) => p.peer.close()));
  }
}

await main();
