/**
 * Interop under attack (issue #10, point 3): phaselock in a session with the REAL Ableton peer
 * (ableton-peer.cpp), both with start/stop sync, in a private network namespace, while a hostile
 * peer (hostile-peer.ts) sends on real sockets every class of datagram found to hurt a Link peer.
 * Each class is one test, in order, sharing the namespace and the peers; each checks that
 * phaselock refused what it had to (its warnings say so) and is still a healthy member of the
 * session with Ableton. Then a flood of >= 10 000 Alives/s from random node ids (the rate reached
 * is asserted, so the test cannot pass without one), the junk expiring (ttl cap), a newcomer
 * joining, tempo both ways and phase agreement, and RSS before, during and after.
 *
 * This file also holds the socket-level codec fuzzing (test/link-codec-fuzz.test.ts proves the
 * decoders alone): the pcap corpus and the live Alives, mutated and truncated, through a real
 * phaselock's sockets and receive paths.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  buildAbletonPeer, LinePeer, monoMicros, Netns, phaseErrorsUs, sleep, spreadInstants, startAbletonPeer, startPhaselockPeer,
  type PeerEvent, type Reply,
} from './harness.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOSTILE_SCRIPT = path.join(HERE, 'hostile-peer.ts');
const Q = 4;
const PHASE_TOLERANCE_US = 100;
const TEMPO_TOLERANCE = 1e-3;
/** phaselock's warning limit (link-peer.ts) and table bound (peer-table.ts). */
const WARNINGS_PER_SECOND = 20;
const TABLE_BOUND = 256;
/** The header ttl is honoured up to 10 s, plus the 1 s prune padding. */
const JUNK_GONE_MS = 12_000;
const MIB = 1024 * 1024;
const RSS_GROWTH_LIMIT = 64 * MIB;

interface Info extends Reply {
  nodeId: string;
  sessionId: string;
  ghostNow: number;
  numPeers: number;
  tableEntries: number;
  rss: number;
  heapUsed: number;
  warningCount: number;
}

interface Observed {
  from: { address: string; port: number };
  nodeId: string;
  sessionId?: string;
  timeline?: { tempo: number; beatOrigin: number; timeOrigin: number };
  startStop?: { isPlaying: boolean; beats: number; timestamp: number };
  alives: number;
}

const isPeers = (n: number) => (e: PeerEvent) => e.event === 'peers' && e.n === n;
const near = (a: unknown, b: number, tol: number) => typeof a === 'number' && Math.abs(a - b) <= tol;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

const WARNING_KINDS: ReadonlyArray<[string, RegExp]> = [
  ['undecodable discovery', /^dropped discovery datagram/],
  ['undecodable measurement', /^dropped measurement datagram/],
  ['not Link', /not a Link discovery frame|datagram on the measurement socket/],
  ['stray pong', /^ignored pong/],
  ['oversized ping', /^ignored oversized ping/],
  ['flood summary', /^flood on .* in the last second/],
  ['impostor id', /it belongs to/],
  ['our own id', /announces our node id/],
  ['implausible state', /phaselock cannot follow/],
  ['refused mep4', /it will not be measured/],
];

/** Warnings counted by kind. */
function kinds(warnings: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of warnings) {
    const k = WARNING_KINDS.find(([, re]) => re.test(w))?.[0] ?? w.slice(0, 40);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** CPU time (user + system, s) a process has used so far, from /proc (Linux). */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

describe('phaselock with the Ableton peer on a hostile network (real sockets)', () => {
  let ns: Netns;
  let pl: LinePeer;
  let ab: LinePeer;
  let ab2: LinePeer | undefined;
  let hostile: LinePeer;
  /** The session phaselock and Ableton are in from the start. */
  let session: string;
  /**
   * The Ableton peer's discovery endpoint: its node id changes when it loses its last peer
   * (phaselock's ByeBye for a re-rolled id), so it is tracked by its socket.
   */
  let abletonPort: number;
  let rssBefore: number;
  let rssPeak = 0;

  const info = async () => (await pl.command('info')) as Info;
  /** phaselock's warnings and debug lines since the last drain. */
  const drain = async () => {
    const r = await pl.command('drain');
    return { warnings: r.warnings as string[], debug: r.debug as string[] };
  };
  /** Waits out phaselock's 1 s warning window, so the next class's warnings all get through. */
  const quiet = async () => {
    await sleep(1100);
    await drain();
  };
  const observedPeers = async () => (await hostile.command('peers')).peers as Observed[];
  const observedAbleton = async () => {
    const seen = await observedPeers();
    const o = seen.find((p) => p.from.port === abletonPort);
    assert.ok(o, `the hostile peer hears the Ableton peer (port ${abletonPort}): ${JSON.stringify(seen)}`);
    return o;
  };
  const someMatch = (lines: readonly string[], re: RegExp, what: string) =>
    assert.ok(lines.some((m) => re.test(m)), `${what}: no line matches ${re}:\n${lines.join('\n')}`);

  /** Max pairwise phase disagreement (µs) over 30 common future instants. */
  async function maxPhaseErrorUs(peers: readonly LinePeer[]): Promise<number> {
    const bpm = (await peers[0]!.status()).tempo;
    const times = spreadInstants(monoMicros() + 50_000, 30, 41_000);
    let max = 0;
    for (let i = 0; i < peers.length; i++) {
      for (let j = i + 1; j < peers.length; j++) max = Math.max(max, ...(await phaseErrorsUs(peers[i]!, peers[j]!, Q, times, bpm)));
    }
    return max;
  }

  /**
   * phaselock is running, in the session it started in together with the Ableton peer (as the
   * Ableton peer announces it), each sees exactly the other, and their phases agree.
   */
  async function expectHealthy(what: string, timeoutMs = 3000): Promise<void> {
    assert.ok(pl.running, `${what}: the phaselock process exited`);
    await pl.waitFor(async () => (await pl.status()).numPeers === 1 && (await ab.status()).numPeers === 1,
      { what: `${what}: numPeers 1 on both sides`, timeoutMs });
    const i = await info();
    assert.equal(i.sessionId, session, `${what}: phaselock left the session`);
    await pl.waitFor(async () => (await observedAbleton()).sessionId === session, { what: `${what}: Ableton announces the session`, timeoutMs: 1000 });
    const phaseUs = await maxPhaseErrorUs([pl, ab]);
    assert.ok(phaseUs <= PHASE_TOLERANCE_US, `${what}: phase disagreement ${phaseUs.toFixed(1)} µs`);
  }

  before(async () => {
    await buildAbletonPeer();
    ns = await Netns.create('plh');
    ab = await startAbletonPeer(ns, { startStopSync: true, label: 'ableton' });
    pl = await startPhaselockPeer(ns, { startStopSync: true, label: 'phaselock' });
    hostile = await LinePeer.start(
      ns.exec(process.execPath, ['--import', 'tsx', HOSTILE_SCRIPT], { cwd: path.join(HERE, '..', '..') }), 'hostile', 15_000);
    await ab.command('enable');
    // Ableton's session is then older than the ±0.5 s tie zone (spec 02 §7.2): phaselock joins it,
    // so phaselock measured it and keeps re-measuring it during the attack.
    await sleep(1000);
    await pl.command('enable');
    for (const p of [pl, ab]) await p.waitFor(async () => (await p.status()).numPeers === 1, { what: `${p.label} numPeers 1` });
    const me = await info();
    session = me.sessionId;
    const peers = await hostile.waitFor(async () => {
      const seen = await observedPeers();
      return seen.length === 2 && seen.every((p) => p.sessionId === session) && seen;
    }, { what: 'the hostile peer hears both peers in one session' });
    const abObserved = peers.find((p) => p.nodeId !== me.nodeId)!;
    abletonPort = abObserved.from.port;
    assert.equal(session, abObserved.nodeId, 'phaselock joined the session the Ableton peer founded');
    await hostile.command(`target ${JSON.stringify({ nodeId: me.nodeId })}`);
    rssBefore = me.rss;
    await drain();
  });

  after(async () => {
    await hostile?.close();
    await Promise.all([pl, ab, ab2].map((p) => p?.close()));
    await ns?.close();
  });

  it('an Alive whose mep4 has port 0 is refused with a warning; nothing crashes', async () => {
    await hostile.command('port0');
    await sleep(500);
    const { warnings } = await drain();
    someMatch(warnings, /advertises measurement endpoint 127\.66\.0\.1:0 \(port 0\)/, 'port 0');
    await expectHealthy('after port-0 endpoints');
  });

  it('timelines and start/stop states near or beyond 2^53 claiming our session are refused; phaselock keeps announcing', async () => {
    await quiet();
    const me = (await info()).nodeId;
    const prior = (await observedPeers()).find((p) => p.nodeId === me)!;
    assert.ok(prior, 'the hostile peer hears phaselock');
    await hostile.command('huge', 5000);
    await sleep(300);
    const { warnings } = await drain();
    someMatch(warnings, /beat origin 9007199254740982 µb is outside/, 'beat origin 2^53-10');
    someMatch(warnings, /time origin 9007199254740982 µs is outside/, 'time origin 2^53-10');
    someMatch(warnings, /time origin -9007199254740982 µs is outside/, 'time origin -(2^53-10)');
    someMatch(warnings, /start\/stop stamp 9007199254740982 µs is outside/, 'stst timestamp 2^53-10');
    someMatch(warnings, /start\/stop beat 9007199254740982 µb is outside/, 'stst beats 2^53-10');
    someMatch(warnings, /tmln beatOrigin 4611686018427387904 outside the safe integer range/, 'beat origin 2^62');
    someMatch(warnings, /tmln timeOrigin -9223372036854775808 outside the safe integer range/, 'time origin -2^63');
    someMatch(warnings, /stst timestamp 9223372036854775807 outside the safe integer range/, 'stst timestamp 2^63-1');
    // Its Alives keep coming, with what it had: nothing out of range was adopted.
    await sleep(600);
    const now = (await observedPeers()).find((p) => p.from.port === prior.from.port)!;
    assert.ok(now.alives >= prior.alives + 4, `phaselock sent ${now.alives - prior.alives} Alives in ~1.8 s`);
    assert.ok(Math.abs(now.timeline!.beatOrigin) < 2 ** 50 && Math.abs(now.timeline!.timeOrigin) < 2 ** 49, JSON.stringify(now.timeline));
    assert.ok(Math.abs(now.startStop!.timestamp) < 2 ** 49 && Math.abs(now.startStop!.beats) < 2 ** 50, JSON.stringify(now.startStop));
    // A local change still encodes, goes out and is followed (the forged stamp froze nothing).
    for (const playing of [true, false]) {
      const mark = ab.events.length;
      await pl.command(playing ? 'play' : 'stop');
      await ab.waitForEvent((e) => e.event === 'playing' && e.isPlaying === playing, 3000, mark);
    }
    // The forgeries with a plausible timeline but a refused start/stop state are members of
    // the session (anyone can claim it) until their ttl (5 s) runs out.
    await expectHealthy('after huge timelines', 8000);
  });

  it('pongs with a ghost time out of range move nothing: phaselock measures the forged sessions, joins none', async () => {
    await quiet();
    const prior = await info();
    const mono0 = monoMicros();
    const r = await hostile.command(`ghost ${JSON.stringify({ durationMs: 2500 })}`, 8000);
    const { warnings, debug } = await drain();
    for (const v of r.variants as Array<{ gt: number; pings: number; pongs: number }>) {
      assert.ok(v.pings > 0 && v.pongs > 0, `forged session with ghost time ${v.gt} was never measured: ${JSON.stringify(v)}`);
    }
    // 2^53-1 and -2^52 are beyond ±2^49: their pongs do not count. 2^49-1000 is a ghost time, but
    // a session that old would run out of range: its measurement is refused.
    someMatch(warnings, /ignored pong from 127\.66\.202\.1:/, 'pong with ghost time 2^53-1');
    someMatch(warnings, /ignored pong from 127\.66\.202\.3:/, 'pong with ghost time -2^52');
    someMatch(debug, /measurement of session 0000000000000002 failed: the measured ghost time \d+ µs is beyond ±2\^48 µs/, 'ghost time 2^49-1000');
    const later = await info();
    assert.equal(later.sessionId, session, 'joined a forged session');
    const ghostDrift = later.ghostNow - prior.ghostNow - (monoMicros() - mono0);
    assert.ok(Math.abs(ghostDrift) < 100_000, `phaselock's ghost clock moved by ${ghostDrift} µs`);
    console.log(`forged pongs: ${JSON.stringify(r.variants)}`);
    await expectHealthy('after forged pongs');
  });

  it('a spoofed session naming a third party: a silent one on our subnet is pinged little (backoff), one off it never', async () => {
    await quiet();
    const r = await hostile.command(`victim ${JSON.stringify({ durationMs: 8000 })}`, 15_000);
    const { warnings } = await drain();
    console.log(`victim: ${r.pingsFromTarget} pings from phaselock in ${r.elapsedMs} ms (${r.alives} spoofed Alives)`);
    // Without the backoff every Alive (4/s) would start another 6-ping attempt: ~150 pings.
    // With it, attempts at ~0, 1.3, 3.6 and 7.9 s: at most 24.
    assert.ok(r.pingsFromTarget > 0, 'the spoofed session was never tried: the attack did not run');
    assert.ok(r.pingsFromTarget <= 30, `${r.pingsFromTarget} pings to a silent third party in ${r.elapsedMs} ms`);
    assert.equal(r.pings, r.pingsFromTarget, 'someone else pinged the victim');
    someMatch(warnings, /advertises measurement endpoint 10\.9\.0\.2:9 \(10\.9\.0\.2 is not on 127\.0\.0\.1\/8\); it will not be measured/, 'off-subnet mep4');
    // A ping to 10.9.0.2 would fail (no route in the namespace) with a socket warning.
    assert.deepEqual(warnings.filter((m) => /10\.9\.0\.2/.test(m) && !/it will not be measured/.test(m)), []);
    await expectHealthy('after spoofed third parties');
  });

  it("another endpoint announcing the Ableton peer's node id is refused (the entry stays with its owner)", async () => {
    await quiet();
    const tempo = (await pl.status()).tempo;
    const abletonId = (await observedAbleton()).nodeId;
    await hostile.command(`dupid ${JSON.stringify({ nodeId: abletonId })}`, 5000);
    const { warnings } = await drain();
    someMatch(warnings, new RegExp(`ignored node id ${abletonId} from 127\\.66\\.0\\.1:\\d+: it belongs to 127\\.0\\.0\\.1:`), 'impostor');
    assert.equal((await pl.status()).tempo, tempo, "the impostor's tempo (200 bpm) was adopted");
    await expectHealthy('after an impostor');
  });

  it('another endpoint announcing our own node id: phaselock re-rolls its id and stays in the session', async () => {
    await quiet();
    const prior = await info();
    const abletonBefore = (await observedAbleton()).nodeId;
    const abMark = ab.events.length;
    const t0 = monoMicros();
    const r = await hostile.command('ownid');
    assert.equal(r.nodeId, prior.nodeId);
    const later = await pl.waitFor(async () => {
      const i = await info();
      return i.nodeId !== prior.nodeId && i;
    }, { what: 'a new node id', timeoutMs: 2000 });
    const { warnings } = await drain();
    someMatch(warnings, new RegExp(`announces our node id ${prior.nodeId}; ours is now ${later.nodeId}`), 're-roll');
    assert.equal(later.sessionId, session);
    await pl.waitFor(async () => (await observedPeers()).some((p) => p.nodeId === later.nodeId && p.sessionId === session),
      { what: 'phaselock announces its new id in the session' });
    // The second copy of the forgery came after the re-roll: a member with our old id until its
    // ttl (5 s) runs out.
    await expectHealthy('after a re-roll', 8000);
    // How the Ableton peer took phaselock's ByeBye for the old id (it may have been its last peer).
    const abPeers = ab.events.slice(abMark).filter((e) => e.event === 'peers').map((e) => `${e.n} at +${((e.t - t0) / 1000).toFixed(0)} ms`);
    const abletonAfter = (await observedAbleton()).nodeId;
    console.log(`re-roll: phaselock ${prior.nodeId} -> ${later.nodeId}; Ableton peers events [${abPeers.join(', ')}], ` +
      `its node id ${abletonBefore === abletonAfter ? 'unchanged' : `${abletonBefore} -> ${abletonAfter}`}`);
  });

  it('socket-level fuzzing: 5000 mutated and truncated datagrams (pcap corpus, live Alives, pings) reach only warnings', async () => {
    await quiet();
    const prior = await info();
    const t0 = monoMicros();
    const r = await hostile.command(`fuzz ${JSON.stringify({ count: 5000, seed: 0x5eed })}`, 20_000);
    await sleep(500);
    const seconds = (monoMicros() - t0) / 1e6;
    const later = await info();
    const { warnings } = await drain();
    console.log(`fuzz: ${JSON.stringify(r)} in ${seconds.toFixed(1)} s; ${later.warningCount - prior.warningCount} warnings`);
    assert.ok(r.sent === 5000 && r.toDiscovery > 1000 && r.toMeasurement > 1000 && r.truncated > 500, JSON.stringify(r));
    console.log(`fuzz warnings admitted, by kind: ${JSON.stringify(kinds(warnings))}`);
    someMatch(warnings, /dropped discovery datagram from 127\.66\.1\.\d+:\d+: /, 'discovery decode errors');
    someMatch(warnings, /dropped (measurement datagram|\d+-byte datagram on the measurement socket) from 127\.66\.1\./, 'measurement decode errors');
    // Rate-limited: a flood of bad datagrams is not a flood of warnings.
    const limit = WARNINGS_PER_SECOND * (Math.ceil(seconds) + 1);
    assert.ok(later.warningCount - prior.warningCount <= limit, `${later.warningCount - prior.warningCount} warnings in ${seconds} s`);
    // Mutated ids may have joined "our session" (anyone can claim it) until their ttl runs out;
    // the Ableton peer heard none of it, and phaselock is still in the session with it.
    assert.ok(pl.running);
    assert.equal((await ab.status()).numPeers, 1);
    assert.ok((await pl.status()).numPeers >= 1);
    assert.equal((await info()).sessionId, session);
    assert.ok(await maxPhaseErrorUs([pl, ab]) <= PHASE_TOLERANCE_US);
  });

  it('oversized datagrams (600, 2000, 60 000 bytes) are dropped with a warning', async () => {
    await quiet();
    await hostile.command('oversized');
    await sleep(300);
    const { warnings } = await drain();
    for (const n of [600, 2000, 60_000]) {
      someMatch(warnings, new RegExp(`discovery datagram of ${n} bytes exceeds 512`), `${n}-byte Alive`);
    }
    someMatch(warnings, /ignored oversized ping/, 'oversized ping');
    // (Members planted by the fuzzing may still count until their ttl runs out: numPeers is
    // checked after the flood.)
    assert.ok(pl.running);
    assert.equal((await info()).sessionId, session);
    assert.equal((await ab.status()).numPeers, 1);
    assert.ok(await maxPhaseErrorUs([pl, ab]) <= PHASE_TOLERANCE_US);
  });

  let junkAt = 0;
  let floodEndedAt = 0;

  it('256 junk ids with ttl 255, then a flood of >= 10 000 Alives/s for >= 3 s: memory and tables stay bounded', async () => {
    await quiet();
    const start = await info();
    const junk = await hostile.command(`junk ${JSON.stringify({ count: 256, ours: 128 })}`);
    junkAt = monoMicros();
    await sleep(300);
    const withJunk = await info();
    console.log(`junk: ${JSON.stringify(junk)}; phaselock numPeers ${withJunk.numPeers}, table ${withJunk.tableEntries}`);
    assert.ok(withJunk.numPeers >= 100, `the junk claiming our session was admitted (numPeers ${withJunk.numPeers})`);
    assert.ok(withJunk.tableEntries <= TABLE_BOUND);

    const cpu0 = await Promise.all([pl, ab, hostile].map((p) => cpuSeconds(p.proc.pid)));
    const flooding = hostile.command(`flood ${JSON.stringify({ ratePerSec: 12_000, durationMs: 3500 })}`, 30_000);
    let maxTable = 0;
    let polls = 0;
    let slowestReplyMs = 0;
    let done = false;
    void flooding.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      const t = monoMicros();
      const i = await info(); // a reply within 3 s, or the test fails
      slowestReplyMs = Math.max(slowestReplyMs, (monoMicros() - t) / 1000);
      rssPeak = Math.max(rssPeak, i.rss);
      maxTable = Math.max(maxTable, i.tableEntries);
      polls++;
      await sleep(250);
    }
    const r = await flooding;
    const cpu = (await Promise.all([pl, ab, hostile].map((p) => cpuSeconds(p.proc.pid)))).map((c, i) => `${((100 * (c - cpu0[i]!)) / r.seconds).toFixed(0)} %`);
    console.log(`CPU during the flood (of one core): phaselock ${cpu[0]}, Ableton ${cpu[1]}, hostile ${cpu[2]}`);
    floodEndedAt = monoMicros();
    const end = await info();
    rssPeak = Math.max(rssPeak, end.rss);
    const warnings = end.warningCount - start.warningCount;
    const admitted = (await drain()).warnings;
    console.log(`flood: ${r.sent} Alives in ${r.seconds.toFixed(2)} s = ${Math.round(r.ratePerSec)}/s to ${r.to} ` +
      `(${r.sendErrors} send errors); Responses from phaselock ${r.responsesFromTarget}, from Ableton ${r.responsesFromOthers}`);
    console.log(`during the flood: ${polls} polls, slowest reply ${slowestReplyMs.toFixed(0)} ms, table <= ${maxTable}, ` +
      `${warnings} warnings; RSS before ${mib(rssBefore)}, at the flood ${mib(start.rss)}, peak ${mib(rssPeak)}, after ${mib(end.rss)}; ` +
      `heap used at the flood ${mib(start.heapUsed)}, after ${mib(end.heapUsed)}`);
    console.log(`flood warnings admitted, by kind: ${JSON.stringify(kinds(admitted))}`);
    assert.ok(r.ratePerSec >= 10_000, `the flood reached only ${Math.round(r.ratePerSec)} Alives/s`);
    assert.ok(r.seconds >= 3 && r.sent >= 30_000, `the flood lasted ${r.seconds} s (${r.sent} Alives)`);
    assert.ok(r.responsesFromTarget > 0, 'phaselock answered none of the flood: did it reach it?');
    // Responses are stateless but rate-limited: 256 at once, 128/s after (gateway.ts).
    assert.ok(r.responsesFromTarget <= 256 + 128 * (r.seconds + 1), `${r.responsesFromTarget} Responses in ${r.seconds} s`);
    assert.ok(maxTable <= TABLE_BOUND, `peer table of ${maxTable} entries`);
    assert.ok(warnings <= WARNINGS_PER_SECOND * (Math.ceil(r.seconds) + 2), `${warnings} warnings during the flood`);
    // One summary a second counts what the flood made phaselock refuse (gateway.ts).
    someMatch(admitted, /^flood on 127\.0\.0\.1 in the last second: \d+ Responses and \d+ pongs not sent \(rate limit\)/, 'the flood');
    assert.ok(rssPeak - rssBefore < RSS_GROWTH_LIMIT, `RSS grew by ${mib(rssPeak - rssBefore)}`);
    assert.ok(pl.running);
    assert.equal(end.sessionId, session);
    assert.equal((await ab.status()).numPeers, 1, 'the Ableton peer is still in the session');
    console.log(`pings to the silent mep4 of the 128 foreign junk sessions so far: ${(await hostile.command('sink')).pings}`);
  });

  it('after the attack: phaselock is alive and in the session; the junk expires (ttl cap), numPeers back to 1', async () => {
    assert.ok(pl.running);
    const left = Math.max(2000, JUNK_GONE_MS - (monoMicros() - junkAt) / 1000);
    await pl.waitFor(async () => (await pl.status()).numPeers === 1, { what: 'numPeers 1 once the junk expired', timeoutMs: left });
    console.log(`numPeers back to 1 ${((monoMicros() - junkAt) / 1e6).toFixed(1)} s after the junk`);
    // The phase is compared after the flood, not during it: a peer that measures phaselock's
    // session during a flood is off by about half the queueing delay the flood adds to both
    // event loops (both processes near a full core). Measured: the Ableton peer, re-measuring
    // in the middle of a 20 s flood, moved by 2.5 ms; phaselock's own re-measurement under the
    // same flood (± 3.8 ms) was refused by its quality gate (session-election.ts).
    await expectHealthy('after the flood');
  });

  it('a peer joining afterwards sees phaselock (numPeers 2 everywhere); tempo both ways; phase agrees; memory bounded', async () => {
    const table = (await info()).tableEntries;
    ab2 = await startAbletonPeer(ns, { startStopSync: true, label: 'ableton-2' });
    const marks = [pl.events.length, ab.events.length, ab2.events.length];
    await ab2.command('enable');
    const all = [pl, ab, ab2];
    await Promise.all(all.map((p, i) => p.waitForEvent(isPeers(2), 5000, marks[i])));
    for (const p of all) await p.waitFor(async () => (await p.status()).numPeers === 2, { what: `${p.label} numPeers 2`, timeoutMs: 2000 });
    assert.equal((await info()).sessionId, session);
    console.log(`the newcomer joined while phaselock's peer table still held ${table} entries (junk of the flood)`);

    for (const [from, bpm] of [[pl, 133.5], [ab, 97.25]] as const) {
      const to = all.filter((p) => p !== from);
      const toMarks = to.map((p) => p.events.length);
      await from.command(`tempo ${bpm}`);
      await Promise.all(to.map(async (p, i) => {
        await p.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, bpm, TEMPO_TOLERANCE), 3000, toMarks[i]);
        assert.ok(near((await p.status()).tempo, bpm, TEMPO_TOLERANCE), `${p.label} follows ${from.label}'s tempo ${bpm}`);
      }));
    }
    const phaseUs = await maxPhaseErrorUs(all);
    console.log(`phase disagreement after the attack, 3 peers: max ${phaseUs.toFixed(1)} µs`);
    assert.ok(phaseUs <= PHASE_TOLERANCE_US, `phase disagreement ${phaseUs} µs`);

    // Every junk entry is gone (10 s ttl cap after the flood's last Alive): only the two real peers.
    const wait = Math.max(0, JUNK_GONE_MS - (monoMicros() - floodEndedAt) / 1000);
    const final = await pl.waitFor(async () => {
      const i = await info();
      return i.tableEntries === 2 && i;
    }, { what: 'a peer table of the two real peers', timeoutMs: wait + 1000 });
    console.log(`RSS: before the attack ${mib(rssBefore)}, peak ${mib(rssPeak)}, at the end ${mib(final.rss)}`);
    assert.ok(final.rss - rssBefore < RSS_GROWTH_LIMIT, `RSS grew by ${mib(final.rss - rssBefore)}`);
  });
});
