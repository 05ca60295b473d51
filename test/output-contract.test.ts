// The output contract (issue 11): whatever the output, stop and close never leave a note-on after
// its note-off, nor a MIDI clock receiver running. A LinkSequencer plays overlapping notes (note-ons
// handed out ahead, within the lookahead) and a MidiClockOut runs; each is closed — or stopped,
// then closed — at many moments across a bar, including just before and just after note-ons,
// note-offs and the instants they are handed out. For every built-in output, what a receiver got
// is rebuilt (RecordingOutput.messages, the printed lines, the file's lines, the timing thread's
// reports of what it sent, the port's calls) and checked:
// - per note: on, off, on, off…: never a note-on while the note sounds, the last message a note-off;
// - per clock: if Start or Continue arrived, the last transport message is Stop, and no tick follows it;
// - nothing timed after the close, except within the output's withdraw lead (the timing thread).
// On VirtualTime (RecordingOutput both ways, FormattingOutput, NativeMidiOutput on a stand-in port)
// every moment is exact; the file and timing-thread outputs run on the real clock, briefly and
// with no timing asserts (DESIGN §6).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonLinesFileOutput } from '../src/cli/midi-target.ts';
import { SeededRandom } from '../src/core/prng.ts';
import { MidiClockOut } from '../src/midi/clock-out.ts';
import { FormattingOutput, RecordingOutput, type MidiOutput } from '../src/midi/output.ts';
import { LinkSequencer } from '../src/midi/sequencer.ts';
import { hrClock, nodeTimers } from '../src/node/host-clock.ts';
import { NativeMidiOutput } from '../src/node/midi/native-midi.ts';
import { openPreciseOutput, type PreciseWorkerOutput } from '../src/node/timing/precise-output.ts';
import { LocalTimeline } from '../src/sched/local-timeline.ts';
import { RtpOutput, type TimedMessage } from '../src/rtpmidi/rtp-output.ts';
import { VirtualTime } from '../src/testing/virtual-time.ts';

// ---- what a receiver got ---------------------------------------------------------------------

type Kind = 'on' | 'off' | 'start' | 'continue' | 'stop' | 'clock' | 'other';
/** One message as a receiver got it: its kind and, for notes, which note (the key). */
interface Got {
  kind: Kind;
  key: string;
}

function fromBytes(d: ArrayLike<number>): Got {
  const s = d[0] as number;
  const hi = s & 0xf0;
  if (hi === 0x90 || hi === 0x80) return { kind: hi === 0x90 && (d[2] as number) > 0 ? 'on' : 'off', key: `ch${(s & 0x0f) + 1} ${d[1]}` };
  return fromStatus(s);
}

/** The timing thread reports status bytes only: notes are told apart by channel (one note per channel at a time). */
function fromStatus(s: number): Got {
  const hi = s & 0xf0;
  if (hi === 0x90) return { kind: 'on', key: `ch${(s & 0x0f) + 1}` };
  if (hi === 0x80) return { kind: 'off', key: `ch${(s & 0x0f) + 1}` };
  const kind = ({ 0xfa: 'start', 0xfb: 'continue', 0xfc: 'stop', 0xf8: 'clock' } as Record<number, Kind>)[s] ?? 'other';
  return { kind, key: '' };
}

/** A FormattingOutput line: `  1234.567 ms  noteon ch1 60 vel 100`. */
function fromLine(line: string): Got {
  const m = /^\s*-?\d+\.\d{3} ms {2}(\S+)(?: (ch\d+) (\d+) vel (\d+))?/.exec(line);
  assert.ok(m, `unreadable line ${JSON.stringify(line)}`);
  const [, what, ch, note, vel] = m;
  if (what === 'noteon' || what === 'noteoff') return { kind: what === 'noteon' && Number(vel) > 0 ? 'on' : 'off', key: `${ch} ${note}` };
  return { kind: (['start', 'continue', 'stop', 'clock'] as const).find((k) => k === what) ?? 'other', key: '' };
}

/** Messages a device plays from a timestamped stream: by time, equal times in the order given. */
function byTime<T extends { timeMicros: number }>(ms: readonly T[]): T[] {
  return ms.map((m, i) => [m, i] as const).sort((a, b) => a[0].timeMicros - b[0].timeMicros || a[1] - b[1]).map(([m]) => m);
}

/** Per note: on, off, on, off…, ending with an off. Returns the number of note-ons. */
function assertNoHangingNote(got: readonly Got[], what: string): number {
  const sounding = new Set<string>();
  let ons = 0;
  got.forEach((g, i) => {
    if (g.kind === 'on') {
      assert.ok(!sounding.has(g.key), `${what}: note-on ${g.key} (message ${i}) while it still sounds: an earlier note-on got no note-off before it`);
      sounding.add(g.key);
      ons++;
    } else if (g.kind === 'off') {
      sounding.delete(g.key);
    }
  });
  assert.deepEqual([...sounding], [], `${what}: note-on after the last note-off (a hanging note); got ${got.filter((g) => g.kind === 'on' || g.kind === 'off').map((g) => `${g.kind} ${g.key}`).join(', ')}`);
  return ons;
}

/** A clock receiver: stopped at the end if it was started, no tick after the last Stop. */
function assertClockStopped(got: readonly Got[], what: string): boolean {
  const transport = got.filter((g) => g.kind === 'start' || g.kind === 'continue' || g.kind === 'stop');
  const started = transport.some((g) => g.kind !== 'stop');
  if (started) assert.equal(transport.at(-1)?.kind, 'stop', `${what}: the receiver runs on (${transport.map((g) => g.kind).join(', ')})`);
  const lastStop = got.map((g) => g.kind).lastIndexOf('stop');
  if (lastStop >= 0) assert.ok(!got.slice(lastStop + 1).some((g) => g.kind === 'clock'), `${what}: a clock tick after the last Stop`);
  return started;
}

// ---- the music --------------------------------------------------------------------------------

/**
 * A 4-beat loop of overlapping notes, one note per channel at a time (the timing thread reports
 * status bytes only): a re-attack on one instant (ch5 at the loop end), a note across the loop
 * end (ch2), notes ending on the loop end (ch4, ch5).
 */
const PATTERN: Array<[beat: number, channel: number, note: number, beats: number]> = [
  [0, 1, 60, 1.5], [0, 5, 48, 4], [0.5, 2, 64, 1.5], [1, 3, 67, 2.75], [1.25, 4, 72, 0.5],
  [2, 1, 62, 1], [2.5, 2, 65, 1.75], [3.5, 4, 74, 0.5],
];

/** Beats (within two passes of the loop) at which something happens. */
const EDGES = [...new Set(PATTERN.flatMap(([b, , , d]) => [b, b + d, b + 4, b + d + 4]))].filter((b) => b <= 6).sort((a, b) => a - b);

function sequencer(timeline: LocalTimeline, output: MidiOutput, options: { lookaheadMicros: number; intervalMicros: number; latencyMicros?: number }): LinkSequencer {
  const seq = new LinkSequencer(timeline, output, { loop: { lengthBeats: 4 }, ...options });
  for (const [beat, ch, note, beats] of PATTERN) seq.scheduleNote(beat, ch, note, 100, beats);
  return seq;
}

// ---- VirtualTime outputs ------------------------------------------------------------------------

interface VtRig {
  output: MidiOutput;
  /** What the receiver got, in the order it got it. */
  received(): Got[];
  /** Whether it can check that nothing is left for after close. */
  timestamps?(): number[];
}

const VT_OUTPUTS: Record<string, (vt: VirtualTime) => VtRig> = {
  'RecordingOutput (timestamped)': (vt) => {
    const rec = new RecordingOutput({ clock: vt });
    return { output: rec, received: () => byTime(rec.messages).map((m) => fromBytes(m.data)), timestamps: () => rec.messages.map((m) => m.timeMicros) };
  },
  'RecordingOutput (acceptsFutureTimestamps: false)': (vt) => {
    const rec = new RecordingOutput({ clock: vt, acceptsFutureTimestamps: false });
    return { output: rec, received: () => rec.messages.map((m) => fromBytes(m.data)), timestamps: () => rec.messages.map((m) => m.calledAtMicros as number) };
  },
  FormattingOutput: (vt) => {
    const lines: Array<[number, string]> = [];
    const out = new FormattingOutput({ write: (l) => lines.push([vt.micros(), l]), clock: vt, timers: vt });
    return { output: out, received: () => lines.map(([, l]) => fromLine(l)), timestamps: () => lines.map(([at]) => at) };
  },
  // The RTP-MIDI output (one per session): what goes on the wire, with each message's time as the
  // RTP timestamp carries it; a receiver plays by those times. Sent ahead by sendAheadMicros: a
  // message on the wire cannot be withdrawn (withdrawLeadMicros).
  'RtpOutput (RTP-MIDI, sent 10 ms ahead)': (vt) => {
    const wire: TimedMessage[] = [];
    const out = new RtpOutput(vt, vt, (batch) => wire.push(...batch.map((m) => ({ timeMicros: m.timeMicros, data: m.data.slice() }))));
    return { output: out, received: () => byTime(wire).map((m) => fromBytes(m.data)), timestamps: () => wire.map((m) => m.timeMicros) };
  },
  // NativeMidiOutput cannot open a port here: the class itself, on a stand-in for RtMidi's port.
  'NativeMidiOutput (instant, stand-in port)': (vt) => {
    const calls: Array<[number, number[]]> = [];
    const port = {
      getPortCount: () => 1, getPortName: () => 'stand-in', openPort() {}, openVirtualPort() {}, closePort() {},
      sendMessage: (m: number[]) => { calls.push([vt.micros(), m]); },
    };
    const out = new NativeMidiOutput(port, 'stand-in');
    return { output: out, received: () => calls.map(([, m]) => fromBytes(m)), timestamps: () => calls.map(([at]) => at) };
  },
};

const BPM = 120;
const BEAT = 60e6 / BPM;
const LOOKAHEAD = 120_000;
const INTERVAL = 20_000;

/** Moments (µs from the song start) to stop or close at: around every edge and around when it is handed out, and a seeded sweep. */
function moments(seed: number, edgesMicros: number[], spanMicros: number, count: number): number[] {
  const out = new Set<number>();
  for (const e of edgesMicros) {
    for (const d of [-1, 0, 1, -LOOKAHEAD - 1, -LOOKAHEAD, -LOOKAHEAD + 1, -LOOKAHEAD - INTERVAL, -LOOKAHEAD / 2]) out.add(Math.round(e + d));
  }
  const rng = new SeededRandom(seed);
  for (let i = 0; i < count; i++) out.add(Math.round(-LOOKAHEAD - INTERVAL + rng.float() * (spanMicros + LOOKAHEAD + INTERVAL)));
  return [...out].sort((a, b) => a - b);
}

/** Resolves `p` while virtual time runs (a close may wait for the output to drain); fails if it never does. */
async function settle(vt: VirtualTime, p: Promise<void>, what: string): Promise<void> {
  let done = false;
  void p.then(() => { done = true; });
  for (let i = 0; i < 200 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (!done) vt.advance(5_000);
  }
  assert.ok(done, `${what}: close() never resolved`);
  await p;
}

type Ending = { kind: 'close' } | { kind: 'stop' } | { kind: 'stop-then-close'; afterMicros: number };

const ENDINGS_AFTER_STOP = [0, 1, INTERVAL, LOOKAHEAD / 2, LOOKAHEAD - 1, LOOKAHEAD, LOOKAHEAD + 1, LOOKAHEAD + INTERVAL + 1];

function vtWorld(rig: (vt: VirtualTime) => VtRig) {
  const vt = new VirtualTime();
  vt.advance(333_333);
  const timeline = new LocalTimeline({ clock: vt, timers: vt, bpm: BPM });
  return { vt, timeline, r: rig(vt) };
}

/** Plays the pattern, ends it at `at` µs from the song start; returns what the receiver got. */
async function sequencerOnVt(rig: (vt: VirtualTime) => VtRig, at: number, ending: Ending, latencyMicros: number, what: string) {
  const { vt, timeline, r } = vtWorld(rig);
  const seq = sequencer(timeline, r.output, { lookaheadMicros: LOOKAHEAD, intervalMicros: INTERVAL, latencyMicros });
  const t0 = seq.start();
  vt.advanceTo(t0 + at);
  let closedAt: number;
  if (ending.kind === 'close') {
    closedAt = vt.micros();
    await settle(vt, seq.close(), what);
  } else {
    seq.stop();
    if (ending.kind === 'stop-then-close') vt.advance(ending.afterMicros);
    else vt.advance(3 * BEAT);
    closedAt = vt.micros();
    await settle(vt, seq.close(), what);
  }
  vt.advance(4 * 4 * BEAT); // nothing may come after close
  const lead = 'withdrawLeadMicros' in r.output ? (r.output.withdrawLeadMicros ?? 0) : 0;
  if (r.timestamps) for (const t of r.timestamps()) assert.ok(t <= closedAt + lead, `${what}: a message for ${t - closedAt} µs after close (withdraw lead ${lead} µs)`);
  assert.equal(vt.pending, 0, `${what}: a timer left behind`);
  return { got: r.received(), withdrawn: r.output instanceof RecordingOutput ? r.output.withdrawn.length : 0 };
}

for (const [name, rig] of Object.entries(VT_OUTPUTS)) {
  test(`LinkSequencer into ${name}: close at any moment leaves no note-on after its note-off`, async () => {
    let ons = 0;
    let withdrawn = 0;
    let cases = 0;
    for (const latencyMicros of [0, 15_000]) {
      for (const at of moments(11, EDGES.map((b) => b * BEAT + latencyMicros), 8 * BEAT, 40)) {
        const what = `close at ${at} µs (latency ${latencyMicros})`;
        const r = await sequencerOnVt(rig, at, { kind: 'close' }, latencyMicros, what);
        ons += assertNoHangingNote(r.got, what);
        withdrawn += r.withdrawn;
        cases++;
      }
    }
    assert.ok(cases > 150 && ons > cases, `${cases} closes, ${ons} note-ons`);
    if (name === 'RecordingOutput (timestamped)') assert.ok(withdrawn > 50, `only ${withdrawn} messages were withdrawn: the sweep misses the handed-out window`);
  });

  test(`LinkSequencer into ${name}: stop at any moment (then close, at once or later) leaves no note-on after its note-off`, async () => {
    let cases = 0;
    for (const at of moments(12, EDGES.map((b) => b * BEAT), 8 * BEAT, 20)) {
      for (const ending of [{ kind: 'stop' } as const, ...ENDINGS_AFTER_STOP.map((afterMicros) => ({ kind: 'stop-then-close', afterMicros }) as const)]) {
        const what = `stop at ${at} µs, ${ending.kind === 'stop' ? 'closed 3 beats later' : `closed ${ending.afterMicros} µs later`}`;
        const r = await sequencerOnVt(rig, at, ending, 0, what);
        assertNoHangingNote(r.got, what);
        cases++;
      }
    }
    assert.ok(cases > 500, `${cases} stops`);
  });

  test(`MidiClockOut into ${name}: after close or stop the receiver's last transport message is Stop`, async () => {
    let started = 0;
    let cases = 0;
    for (const relocate of [false, true]) {
      // With a relocation asked for at beat 1 (songPosition(8) while running: Stop, SPP, Continue on the next bar, beat 4).
      const edges = relocate ? [0, 1.5 * BEAT, 2 * BEAT, 4 * BEAT] : [0, 4 * BEAT];
      for (const at of moments(relocate ? 14 : 13, edges, 6 * BEAT, 20)) {
        for (const ending of [{ kind: 'close' } as const, { kind: 'stop' } as const, ...ENDINGS_AFTER_STOP.map((afterMicros) => ({ kind: 'stop-then-close', afterMicros }) as const)]) {
          const what = `${relocate ? 'relocating, ' : ''}${ending.kind} at ${at} µs${ending.kind === 'stop-then-close' ? ` + ${ending.afterMicros} µs` : ''}`;
          const { vt, timeline, r } = vtWorld(rig);
          const clock = new MidiClockOut(timeline, r.output, { lookaheadMicros: LOOKAHEAD, intervalMicros: INTERVAL });
          const downbeat = clock.start();
          if (relocate) {
            vt.advanceTo(Math.min(downbeat + at, downbeat + BEAT));
            if (at > BEAT) clock.songPosition(8);
          }
          vt.advanceTo(downbeat + at);
          if (ending.kind !== 'close') {
            clock.stop();
            vt.advance(ending.kind === 'stop' ? 3 * BEAT : ending.afterMicros);
          }
          const closedAt = vt.micros();
          await settle(vt, clock.close(), what);
          vt.advance(4 * BEAT);
          const lead = 'withdrawLeadMicros' in r.output ? (r.output.withdrawLeadMicros ?? 0) : 0;
  if (r.timestamps) for (const t of r.timestamps()) assert.ok(t <= closedAt + lead, `${what}: a message for ${t - closedAt} µs after close (withdraw lead ${lead} µs)`);
          if (assertClockStopped(r.received(), what)) started++;
          cases++;
        }
      }
    }
    assert.ok(started > cases / 2, `the receiver was started in only ${started} of ${cases} cases`);
  });
}

// ---- real-clock outputs: the file recorder and the timing thread ------------------------------

const RT_BPM = 480;
const RT_BEAT = 60e6 / RT_BPM; // 125 ms: a bar in half a second
const RT_LOOKAHEAD = 50_000;
const RT_INTERVAL = 10_000;
const sleep = (micros: number) => new Promise((r) => setTimeout(r, Math.max(0, micros) / 1000));

/** A LocalTimeline on the host clock whose next bar is 60 ms away (a quick start). */
function realTimeline(): LocalTimeline {
  const timeline = new LocalTimeline({ clock: hrClock, timers: nodeTimers, bpm: RT_BPM });
  const s = timeline.captureAppSessionState();
  s.forceBeatAtTime(-0.48, hrClock.micros(), 4);
  timeline.commitAppSessionState(s);
  return timeline;
}

type Received = Array<Got & { timeMicros: number }>;

interface RtRig {
  output: MidiOutput;
  /** After the player closed: what the receiver got, with its times. */
  finish(): Promise<Received>;
}

function fileRig(dir: string, i: number): RtRig {
  const file = path.join(dir, `run-${i}.jsonl`);
  const out = new JsonLinesFileOutput(file);
  return {
    output: out,
    finish: async () => {
      await out.close();
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
        const j = JSON.parse(l) as { t: number; bytes: number[] };
        return { ...fromBytes(j.bytes), timeMicros: j.t };
      });
    },
  };
}

/**
 * Timing threads take ~0.5 s each to start under tsx: a few are shared by the runs, one run at a
 * time per thread. A run's reports are those after the previous run's, up to a marker (Active
 * Sensing, due at once) sent after the run closed: reports come in the order sent.
 */
const THREADS = 3;
let threads: Promise<PreciseWorkerOutput[]> | undefined;
after(async () => {
  if (threads) await Promise.all((await threads).map((t) => t.close()));
});

function threadRig(out: PreciseWorkerOutput): RtRig {
  const from = out.sent.length;
  return {
    output: out,
    finish: async () => {
      const marker = hrClock.micros();
      out.send(Uint8Array.of(0xfe), marker);
      const end = hrClock.micros() + 2_000_000;
      let i = -1;
      while ((i = out.sent.findIndex((s, k) => k >= from && s.status === 0xfe && s.timeMicros === marker)) < 0 && hrClock.micros() < end) await sleep(5_000);
      assert.ok(i >= 0, 'the timing thread reported the marker');
      return out.sent.slice(from, i).map((s) => ({ ...fromStatus(s.status), timeMicros: s.timeMicros }));
    },
  };
}

/** Moments (µs from the song start) for a real-clock run: half near edges (when handed out, just before, just after), half spread over a bar. */
function realMoments(seed: number, n: number): number[] {
  const near = [0, 1.25, 1.5, 2, 4].map((b) => b * RT_BEAT).flatMap((e) => [e - 2_000, e + 1_000, e - RT_LOOKAHEAD + 2_000]);
  const rng = new SeededRandom(seed);
  const out: number[] = [-RT_LOOKAHEAD / 2];
  while (out.length < Math.ceil(n / 2)) out.push(near.splice(rng.int(near.length), 1)[0] as number);
  while (out.length < n) out.push(Math.round(rng.float() * 4.5 * RT_BEAT));
  return out.sort((a, b) => a - b);
}

type RealPlayer = 'sequencer' | 'clock';
type RealEnding = 'close' | 'stop';

/** One run: plays on its own timeline into `rig`, ends at `at` µs from the song start, checks what the receiver got. */
async function realRun(rig: RtRig, player: RealPlayer, ending: RealEnding, at: number, k: number): Promise<number> {
  const timeline = realTimeline();
  const p = player === 'sequencer'
    ? sequencer(timeline, rig.output, { lookaheadMicros: RT_LOOKAHEAD, intervalMicros: RT_INTERVAL })
    : new MidiClockOut(timeline, rig.output, { lookaheadMicros: RT_LOOKAHEAD, intervalMicros: RT_INTERVAL });
  const t0 = p.start();
  const what = `${player} ${ending} at ${at} µs`;
  await sleep(t0 + at - hrClock.micros());
  if (ending === 'stop') {
    p.stop();
    await sleep((k % 3) * RT_LOOKAHEAD / 2); // closed at once, half a lookahead or a lookahead later
  }
  const closing = p.close();
  const closedBy = hrClock.micros();
  await closing;
  const got = await rig.finish();
  // An output sending from another thread may have sent what was due within its withdraw lead:
  // the player lets that stay and ends it right after; nothing may come later.
  const lead = (rig.output as { withdrawLeadMicros?: number }).withdrawLeadMicros ?? 0;
  for (const g of got) assert.ok(g.timeMicros <= closedBy + lead, `${what}: a message for ${g.timeMicros - closedBy} µs after close (lead ${lead} µs)`);
  if (player === 'sequencer') return assertNoHangingNote(got, what);
  return assertClockStopped(got, what) ? 1 : 0;
}

test('LinkSequencer and MidiClockOut into JsonLinesFileOutput (real clock): the file has no note-on after its note-off, and ends with Stop', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-contract-'));
  try {
    const runs: Array<[RealPlayer, RealEnding, number[]]> = [
      ['sequencer', 'close', realMoments(21, 12)], ['sequencer', 'stop', realMoments(22, 9)],
      ['clock', 'close', realMoments(23, 8)], ['clock', 'stop', realMoments(24, 6)],
    ];
    let n = 0;
    const results = await Promise.all(runs.flatMap(([player, ending, moments]) => moments.map((at, k) => realRun(fileRig(dir, n++), player, ending, at, k).then((r) => [player, r] as const))));
    const ons = results.filter(([p]) => p === 'sequencer').reduce((a, [, r]) => a + r, 0);
    const started = results.filter(([p]) => p === 'clock').reduce((a, [, r]) => a + r, 0);
    assert.ok(ons > 21, `${ons} note-ons in the files`);
    assert.ok(started >= 7, `a clock receiver started in ${started} of 14 runs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs the moments on the shared timing threads (each thread one run at a time). */
async function onThreads(runs: Array<[RealPlayer, RealEnding, number]>): Promise<Array<[RealPlayer, number]>> {
  threads ??= Promise.all(Array.from({ length: THREADS }, () => openPreciseOutput({ kind: 'record' }, { realtime: false, nice: false })));
  const outs = await threads;
  const results: Array<[RealPlayer, number]> = [];
  await Promise.all(outs.map(async (out, w) => {
    for (let k = w; k < runs.length; k += outs.length) {
      const [player, ending, at] = runs[k] as [RealPlayer, RealEnding, number];
      results.push([player, await realRun(threadRig(out), player, ending, at, k)]);
    }
  }));
  return results;
}

test('LinkSequencer into PreciseWorkerOutput (timing thread, real clock): what the thread sent has no note-on after its note-off', { timeout: 20_000 }, async () => {
  const results = await onThreads([
    ...realMoments(31, 4).map((at) => ['sequencer', 'close', at] as [RealPlayer, RealEnding, number]),
    ...realMoments(32, 2).map((at) => ['sequencer', 'stop', at] as [RealPlayer, RealEnding, number]),
  ]);
  const ons = results.reduce((a, [, r]) => a + r, 0);
  assert.ok(ons > 6, `${ons} note-ons sent`);
});

test('MidiClockOut into PreciseWorkerOutput (timing thread, real clock): the thread\'s last transport message is Stop', { timeout: 20_000 }, async () => {
  const results = await onThreads([
    ...realMoments(33, 3).map((at) => ['clock', 'close', at] as [RealPlayer, RealEnding, number]),
    ...realMoments(34, 2).map((at) => ['clock', 'stop', at] as [RealPlayer, RealEnding, number]),
  ]);
  const started = results.reduce((a, [, r]) => a + r, 0);
  assert.ok(started >= 2, `a clock receiver started in ${started} of 5 runs`);
});
