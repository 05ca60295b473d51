// Scenario tests of MidiClockFollower on VirtualTime: a fake DAW sends clock and transport as
// real ones do (seeded jitter), no sleeping, no wall clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PhaselockError } from '../core/errors.ts';
import { SeededRandom } from '../core/prng.ts';
import type { TimerHandle } from '../core/runtime.ts';
import { SessionState } from '../link/session-state.ts';
import { atBeat } from '../sched/at-beat.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { MidiClockFollower, type FollowerTransportEvent, type MidiClockFollowerOptions } from './clock-follower.ts';
import { MidiClockOut } from './clock-out.ts';
import type { MidiInput, MidiInputEvent } from './input.ts';
import { describeMidi, RecordingOutput } from './output.ts';
import { LinkSequencer } from './sequencer.ts';

/**
 * A DAW's MIDI output: a clock whose ticks lie on an ideal grid at its tempo, each sent up to
 * `jitterMicros` late (seeded), and transport messages sent at once.
 */
class FakeDaw {
  /** Ideal and actual times of every tick sent. */
  readonly ideal: number[] = [];
  readonly sent: number[] = [];
  bpm: number;
  /** Extra delay (µs) for tick number n (counted from the first tick sent). */
  readonly late = new Map<number, number>();
  /** Tick numbers that are never sent (lost on the way). */
  readonly drop = new Set<number>();
  private nextIdeal: number | undefined;
  private timer: TimerHandle | undefined;
  private count = 0;
  private readonly rng: SeededRandom;

  constructor(
    private readonly vt: VirtualTime,
    private readonly follower: MidiClockFollower,
    options: { bpm?: number; jitterMicros?: number; seed?: number } = {},
  ) {
    this.bpm = options.bpm ?? 120;
    this.jitterMicros = options.jitterMicros ?? 0;
    this.rng = new SeededRandom(options.seed ?? 1);
  }

  jitterMicros: number;

  get intervalMicros(): number {
    return 60e6 / this.bpm / 24;
  }

  /** Starts the clock: the first tick now (or at `atMicros`). */
  clockOn(atMicros = this.vt.micros()): this {
    this.nextIdeal = atMicros;
    this.schedule();
    return this;
  }

  clockOff(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.nextIdeal = undefined;
  }

  /** The ideal time of the next tick. */
  get nextTickMicros(): number {
    return this.nextIdeal as number;
  }

  send(...bytes: number[]): void {
    const now = this.vt.micros();
    this.follower.receive({ data: Uint8Array.from(bytes), timeMicros: now, receivedAtMicros: now });
  }

  start(): void { this.send(0xfa); }
  continue(): void { this.send(0xfb); }
  stop(): void { this.send(0xfc); }
  spp(sixteenths: number): void { this.send(0xf2, sixteenths & 0x7f, sixteenths >> 7); }

  /** Advances virtual time by `beats` of the current tempo. */
  play(beats: number): void {
    this.vt.advance(Math.round(beats * 60e6 / this.bpm));
  }

  private schedule(): void {
    const ideal = this.nextIdeal as number;
    const n = this.count;
    const at = Math.round(ideal + this.rng.float() * this.jitterMicros + (this.late.get(n) ?? 0));
    this.timer = this.vt.setTimeout(() => {
      this.count++;
      if (!this.drop.has(n)) {
        this.ideal.push(ideal);
        this.sent.push(at);
        this.send(0xf8);
      }
      this.nextIdeal = ideal + this.intervalMicros;
      this.schedule();
    }, at - this.vt.micros());
  }
}

function setup(options: Partial<MidiClockFollowerOptions> = {}, daw: { bpm?: number; jitterMicros?: number; seed?: number } = {}) {
  const vt = new VirtualTime();
  const follower = new MidiClockFollower({ clock: vt, timers: vt, ...options }).open();
  const log: string[] = [];
  const warnings: PhaselockError[] = [];
  const ev = (name: string) => (e: FollowerTransportEvent) => log.push(`${name} ${e.positionBeats}${e.wasArmed ? ' armed' : ''}`);
  follower.on('start', ev('start')).on('continue', ev('continue')).on('stop', ev('stop'))
    .on('position', (b) => log.push(`position ${b}`))
    .on('armed', (a) => log.push(a ? 'armed' : 'disarmed'))
    .on('clockpresent', (p) => log.push(p ? 'clock' : 'no clock'))
    .on('warning', (w) => warnings.push(w));
  return { vt, follower, daw: new FakeDaw(vt, follower, daw), log, warnings };
}

const beatNow = (f: MidiClockFollower, vt: VirtualTime) => f.captureAppSessionState().beatAtTime(vt.micros(), 4);

test('a jittered 120 bpm clock (0–2 ms): tempoBpm within 0.1 bpm after 2 beats, tempo events, clock present', () => {
  for (const seed of [1, 2, 3]) {
    const { vt, follower, daw, log } = setup({}, { bpm: 120, jitterMicros: 2000, seed });
    const tempos: number[] = [];
    follower.on('tempo', (b) => tempos.push(b));
    daw.clockOn();
    vt.advance(2001);
    assert.equal(follower.clockPresent, true);
    while (daw.sent.length < 48) vt.advance(1000);
    for (let k = 0; k < 24 * 6; k++) {
      assert.ok(Math.abs((follower.tempoBpm ?? NaN) - 120) < 0.1, `seed ${seed}: ${follower.tempoBpm} after ${daw.sent.length} ticks`);
      assert.ok(Math.abs(follower.captureAppSessionState().tempo - 120) < 0.1, `session tempo ${follower.captureAppSessionState().tempo}`);
      vt.advance(Math.round(daw.intervalMicros));
    }
    assert.ok((follower.uncertaintyBpm as number) < 0.05, `σ ${follower.uncertaintyBpm}`);
    assert.deepEqual(log, ['clock']);
    // Events only for moves of ≥ 0.05 bpm: a handful while it settles, none per tick.
    assert.ok(tempos.length < 20, `${tempos.length} tempo events`);
    assert.equal(follower.ticksReceived, daw.sent.length);
  }
});

test('a listener that throws (a consumer, a CLI line on a closed stdout) is a warning: the follower follows on', () => {
  const { vt, follower, daw, warnings } = setup({}, { bpm: 120 });
  follower.on('start', () => { throw new Error('EIO'); });
  follower.on('tempo', () => { throw new Error('EIO'); });
  daw.clockOn();
  daw.play(2);
  daw.start();
  daw.play(2);
  assert.equal(follower.playing, true);
  assert.ok(Math.abs(follower.songPositionBeats - 2) < 0.1, `${follower.songPositionBeats}`);
  assert.ok(warnings.some((w) => /a listener threw: EIO/.test(w.message)), warnings.map((w) => w.message).join('\n'));
  void vt;
});

test('Start from 0: the first tick after Start is beat 0, each tick advances 1/24 beat, the timeline sits on the ticks', () => {
  const { vt, follower, daw, log } = setup({}, { bpm: 120 });
  const playing: boolean[] = [];
  follower.on('playing', (p) => playing.push(p));
  daw.clockOn();
  daw.play(4); // the clock runs while stopped (most DAWs): tempo known, position stays
  assert.equal(follower.songPositionBeats, 0);
  assert.equal(follower.armed, true);
  vt.advance(5000); // between two ticks
  daw.start();
  const s0 = follower.captureAppSessionState();
  assert.equal(s0.isPlaying, true);
  assert.equal(s0.timeForIsPlaying(), Math.round(daw.nextTickMicros), 'beat 0 expected on the next tick');
  daw.play(2);
  const s = follower.captureAppSessionState();
  const first = daw.sent.findIndex((t) => t >= s0.timeForIsPlaying());
  // Tick k after Start is at beat k/24 (within a µs of rounding).
  for (let k = 0; first + k < daw.sent.length; k++) {
    assert.ok(Math.abs(s.timeAtBeat(k / 24, 4) - (daw.sent[first + k] as number)) <= 2, `tick ${k}`);
  }
  // Two beats after the Start: the song position, between ticks 47 and 48.
  const pos = follower.songPositionBeats;
  assert.ok(pos > 47 / 24 - 0.25 && pos < 48 / 24, `position ${pos}`);
  assert.deepEqual(log, ['clock', 'start 0 armed', 'disarmed']);
  assert.deepEqual(playing, [true]);
});

test('Live starting mid-song: SPP then Continue plays on from the SPP position', () => {
  const { vt, follower, daw, log } = setup({}, { bpm: 100, jitterMicros: 1000, seed: 4 });
  daw.clockOn();
  daw.play(3);
  daw.spp(64); // bar 5 (beat 16)
  assert.equal(follower.songPositionBeats, 16);
  vt.advance(3000);
  daw.continue();
  const s0 = follower.captureAppSessionState();
  assert.equal(s0.beatAtTime(s0.timeForIsPlaying(), 4), 16, 'beat 16 at the expected first tick');
  daw.play(4);
  assert.ok(Math.abs(beatNow(follower, vt) - 20) < 0.1, `beat ${beatNow(follower, vt)}`);
  assert.ok(Math.abs(follower.songPositionBeats - 20) < 0.1, `position ${follower.songPositionBeats}`);
  assert.deepEqual(log, ['clock', 'position 16', 'disarmed', 'continue 16']);
});

test('relocation as other DAWs send it: Stop, then SPP, then Continue; Stop keeps the position', () => {
  const { vt, follower, daw, log } = setup({}, { bpm: 120 });
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(4.5);
  daw.stop();
  const stopped = follower.songPositionBeats;
  assert.ok(Math.abs(stopped - 4.5) <= 1 / 24 + 1e-9, `stopped at ${stopped}`);
  assert.equal(follower.isPlaying, false);
  daw.play(2); // the clock runs on while stopped: the position stays
  assert.equal(follower.songPositionBeats, stopped);
  daw.spp(8 * 4); // beat 8
  vt.advance(7000);
  daw.continue();
  daw.play(1);
  assert.ok(Math.abs(follower.songPositionBeats - 9) <= 1 / 24 + 1e-9, `${follower.songPositionBeats}`);
  daw.stop();
  const pausedAt = follower.songPositionBeats;
  daw.play(1);
  daw.continue(); // pause/resume: no SPP, resume where it stopped
  const resumed = follower.captureAppSessionState();
  // Beats are whole µb on the timeline: 1/24 beat rounds.
  assert.ok(Math.abs(resumed.beatAtTime(resumed.timeForIsPlaying(), 4) - pausedAt) < 1e-6, `resumed at ${resumed.beatAtTime(resumed.timeForIsPlaying(), 4)}, paused at ${pausedAt}`);
  assert.deepEqual(log.slice(0, 7), ['clock', 'start 0 armed', 'disarmed', `stop ${stopped}`, 'position 8', 'continue 8', `stop ${log[6]?.split(' ')[1]}`]);
  assert.equal(log[7], `continue ${log[6]?.split(' ')[1]}`);
});

test('armed: stopped at 0 (fresh, SPP 0, or a double stop); a Start while armed fires, a Start after a seek elsewhere does not', () => {
  const { follower, daw, log } = setup({}, { bpm: 120 });
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(8);
  daw.stop();
  daw.spp(0); // Live's second Stop press returns to the top with SPP 0
  assert.equal(follower.armed, true);
  daw.play(1);
  daw.start();
  daw.play(2);
  daw.stop();
  daw.spp(40);
  assert.equal(follower.armed, false);
  daw.start(); // a DAW that sends Start after seeking elsewhere: from 0 per the spec, but not armed
  const s = follower.captureAppSessionState();
  assert.equal(s.beatAtTime(s.timeForIsPlaying(), 4), 0, 'from 0 on the next tick');
  const starts = log.filter((l) => l.startsWith('start'));
  assert.deepEqual(starts, ['start 0 armed', 'start 0 armed', 'start 0']);
  assert.ok(log.includes('armed') && log.includes('disarmed'), log.join(', '));
});

test('ticks without Start: the tempo is followed, the position does not move, one warning', () => {
  const { follower, daw, warnings } = setup({}, { bpm: 90 });
  daw.clockOn();
  daw.play(8);
  assert.ok(Math.abs((follower.tempoBpm ?? NaN) - 90) < 0.01, `${follower.tempoBpm} bpm`);
  assert.equal(follower.songPositionBeats, 0);
  assert.equal(follower.isPlaying, false);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]?.message ?? '', /without Start/);
  assert.equal(warnings[0]?.code, 'E_PROTOCOL');
  assert.equal(follower.ticksReceived, daw.sent.length);
});

test('bad transport input: Continue with no position, Continue while playing, malformed SPP, SPP beyond the song', () => {
  const { vt, follower, daw, warnings, log } = setup({ songLengthBeats: 64 }, { bpm: 120 });
  daw.clockOn();
  vt.advance(1);
  daw.continue();
  assert.match(warnings.at(-1)?.message ?? '', /no song position known.*from 0/);
  assert.equal(follower.isPlaying, true);
  daw.play(1);
  daw.continue();
  assert.match(warnings.at(-1)?.message ?? '', /Continue while playing ignored/);
  daw.stop();
  const at = follower.songPositionBeats;
  follower.receive({ data: Uint8Array.of(0xf2, 0x10), timeMicros: vt.micros(), receivedAtMicros: vt.micros() });
  follower.receive({ data: Uint8Array.of(0xf2, 0x90, 0x00), timeMicros: vt.micros(), receivedAtMicros: vt.micros() });
  assert.equal(warnings.filter((w) => w.code === 'E_DECODE').length, 2);
  assert.equal(follower.songPositionBeats, at);
  daw.spp(16383); // the largest SPP: beat 4095.75, beyond a 64-beat song
  assert.match(warnings.at(-1)?.message ?? '', /beyond the song/);
  assert.equal(follower.songPositionBeats, 4095.75);
  daw.continue();
  daw.play(1);
  assert.ok(follower.songPositionBeats > 4096, 'the DAW is the truth: applied');
  follower.receive({ data: new Uint8Array(0), timeMicros: vt.micros(), receivedAtMicros: vt.micros() });
  follower.receive({ data: Uint8Array.of(0xf8), timeMicros: Number.NaN, receivedAtMicros: vt.micros() });
  assert.equal(warnings.filter((w) => w.code === 'E_DECODE').length, 4);
  assert.ok(log.includes('continue 0 armed'), log.join(', '));
});

test('SPP while playing relocates with a warning; SPP between Continue and its first tick does not warn', () => {
  const { vt, follower, daw, warnings, log } = setup({}, { bpm: 120 });
  const jumps: number[] = [];
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(2);
  daw.spp(32); // beat 8
  jumps.push(follower.captureAppSessionState().beatAtTime(daw.nextTickMicros, 4));
  assert.match(warnings.at(-1)?.message ?? '', /while playing: relocated to beat 8/);
  daw.play(1);
  assert.ok(Math.abs(follower.songPositionBeats - 9) <= 1 / 24 + 1e-9, `${follower.songPositionBeats}`);
  daw.stop();
  const n = warnings.length;
  vt.advance(2000);
  daw.continue();
  daw.spp(4); // a sender that puts SPP after Continue: the position to continue from
  assert.equal(warnings.length, n);
  daw.play(1);
  assert.ok(Math.abs(follower.songPositionBeats - 2) <= 1 / 24 + 1e-9, `${follower.songPositionBeats}`);
  assert.ok(Math.abs((jumps[0] as number) - 8) < 1e-6, `${jumps[0]}`);
  assert.ok(log.includes('position 8'), log.join(', '));
});

test('a clock that stops mid-song: clock lost, freewheel, and a clock back within it resumes counting the gap', () => {
  const { vt, follower, daw, warnings, log } = setup({}, { bpm: 120 });
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(4);
  daw.clockOff();
  daw.play(0.5); // 250 ms: > 3 intervals
  assert.equal(follower.clockPresent, false);
  assert.equal(follower.isPlaying, true, 'freewheeling');
  assert.match(warnings.at(-1)?.message ?? '', /clock lost while playing/);
  // The DAW played on; its clock comes back on its grid 1 s after it went away.
  const back = (daw.ideal.at(-1) as number) + 48 * daw.intervalMicros;
  vt.advanceTo(Math.round(back) - 1);
  daw.clockOn(back);
  daw.play(1);
  assert.equal(follower.clockPresent, true);
  assert.match(warnings.at(-1)?.message ?? '', /clock back after .*: 47 ticks taken as played/);
  const s = follower.captureAppSessionState();
  const k = daw.sent.length - 1;
  // The DAW's tick k is at beat (k − ticks before Start) / 24: the position held through the gap.
  const startTick = daw.sent.findIndex((t) => t >= s.timeForIsPlaying());
  assert.ok(Math.abs(s.beatAtTime(daw.sent[k] as number, 4) - (k + 47 - startTick) / 24) < 1e-3, `${s.beatAtTime(daw.sent[k] as number, 4)}`);
  assert.deepEqual(log.filter((l) => l.includes('clock')), ['clock', 'no clock', 'clock']);
});

test('a clock gone for longer than the freewheel stops the transport and waits for the DAW', () => {
  const { follower, daw, warnings, log } = setup({ freewheelMicros: 1_000_000 }, { bpm: 120 });
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(2);
  daw.clockOff();
  daw.play(4); // 2 s
  assert.equal(follower.isPlaying, false);
  assert.match(warnings.at(-1)?.message ?? '', /gone for 1 s: transport stopped/);
  assert.ok(log.at(-1)?.startsWith('stop '), log.join(', '));
  // About 2 beats played + 1 s freewheeled = beat 4.
  assert.ok(Math.abs(follower.songPositionBeats - 4) < 0.1, `${follower.songPositionBeats}`);
  daw.clockOn();
  daw.play(1);
  assert.equal(follower.isPlaying, false, 'ticks alone do not restart it');
  assert.match(warnings.at(-1)?.message ?? '', /clock back after the transport was stopped for its loss: staying stopped at beat 3\.9\d/);
  const at = follower.songPositionBeats;
  daw.continue(); // the DAW resumes without SPP: from where the freewheel stopped
  const s = follower.captureAppSessionState();
  assert.ok(Math.abs(s.beatAtTime(s.timeForIsPlaying(), 4) - at) < 1e-5, `resumed at ${s.beatAtTime(s.timeForIsPlaying(), 4)}, stopped at ${at}`);
});

test('a lost tick while playing is counted into the position', () => {
  const { vt, follower, daw, warnings } = setup({}, { bpm: 120, jitterMicros: 1000, seed: 8 });
  daw.clockOn();
  daw.play(4);
  daw.start();
  daw.play(2);
  daw.drop.add(daw.sent.length + 3 + daw.drop.size);
  daw.play(2);
  assert.match(warnings.map((w) => w.message).join('\n'), /1 MIDI clock tick lost: the song position counts them/);
  // 4 beats after Start by the DAW's grid, whatever was dropped.
  const s = follower.captureAppSessionState();
  const startTime = s.timeForIsPlaying();
  const expected = (vt.micros() - startTime) / 500_000;
  assert.ok(Math.abs(follower.songPositionBeats - expected) < 1.5 / 24, `${follower.songPositionBeats} vs ${expected}`);
});

test('a step 120 → 140 bpm through the follower: the timeline tempo follows within 1 beat, without overshoot', () => {
  const { follower, daw } = setup({}, { bpm: 120, jitterMicros: 2000, seed: 11 });
  const tempos: number[] = [];
  follower.on('tempo', (b) => tempos.push(b));
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(4);
  const changeAt = daw.sent.length;
  daw.bpm = 140;
  while (daw.sent.length < changeAt + 24) daw.play(1 / 24);
  assert.ok(Math.abs(follower.captureAppSessionState().tempo - 140) < 1, `${follower.tempoBpm}`);
  daw.play(4);
  assert.ok(Math.abs((follower.tempoBpm ?? NaN) - 140) < 0.1, `${follower.tempoBpm}`);
  assert.ok(Math.max(...tempos) < 141, `max ${Math.max(...tempos)}`);
});

test('the DAW leads: commits are ignored with a warning; an unchanged state is ignored quietly', () => {
  const { vt, follower, warnings } = setup();
  const s = follower.captureAppSessionState();
  follower.commitAppSessionState(s);
  assert.equal(warnings.length, 0);
  s.setTempo(90, vt.micros());
  follower.commitAppSessionState(s);
  assert.equal(warnings[0]?.code, 'E_STATE');
  assert.equal(follower.tempo, 120);
  const t = follower.captureAppSessionState();
  t.setIsPlaying(true, vt.micros());
  follower.commitAppSessionState(t);
  assert.equal(follower.isPlaying, false);
  assert.throws(() => follower.commitAppSessionState({} as SessionState), TypeError);
});

test('lifecycle: receive before open throws E_STATE; attach listens, close detaches, emits close, rejects commits with E_CLOSED, drops input', async () => {
  const vt = new VirtualTime();
  const follower = new MidiClockFollower({ clock: vt, timers: vt });
  const msg = (b: number): MidiInputEvent => ({ data: Uint8Array.of(b), timeMicros: vt.micros(), receivedAtMicros: vt.micros() });
  assert.throws(() => follower.receive(msg(0xfa)), (e: PhaselockError) => e.code === 'E_STATE');
  const listeners = new Set<(e: MidiInputEvent) => void>();
  const input: MidiInput = {
    on(_event, fn) { listeners.add(fn); return this; },
    off(_event, fn) { listeners.delete(fn); return this; },
    async close() {},
  };
  follower.attach(input).attach(input);
  assert.equal(listeners.size, 1);
  for (const fn of listeners) fn(msg(0xfa));
  assert.equal(follower.isPlaying, true);
  let closed = 0;
  follower.on('close', () => closed++);
  await follower.close();
  await follower.close();
  assert.equal(closed, 1);
  assert.equal(listeners.size, 0);
  assert.equal(follower.closed, true);
  follower.receive(msg(0xfc)); // dropped, no throw
  assert.equal(follower.isPlaying, true);
  assert.throws(() => follower.commitAppSessionState(follower.captureAppSessionState()), (e: PhaselockError) => e.code === 'E_CLOSED');
  assert.throws(() => follower.open(), (e: PhaselockError) => e.code === 'E_CLOSED');
  assert.equal(vt.pending, 0, 'no timer left behind');
});

test('messages other than clock, Start, Continue, Stop and SPP are ignored', () => {
  const { vt, follower, warnings, log } = setup();
  for (const bytes of [[0x90, 60, 100], [0xfe], [0xf0, 1, 2, 0xf7], [0xff], [0xb0, 7, 100], [0xf3, 1]]) {
    follower.receive({ data: Uint8Array.from(bytes), timeMicros: vt.micros(), receivedAtMicros: vt.micros() });
  }
  assert.deepEqual(log, []);
  assert.deepEqual(warnings, []);
  assert.equal(follower.ticksReceived, 0);
});

test('a MidiClockOut re-emitting the followed clock: its ticks within 1 ms of the input ticks after settling', () => {
  for (const jitterMicros of [0, 2000]) {
    const { vt, follower, daw } = setup({}, { bpm: 120, jitterMicros, seed: 21 });
    const rec = new RecordingOutput({ clock: vt });
    const out = new MidiClockOut(follower, rec).open();
    daw.clockOn();
    daw.play(2);
    daw.start();
    daw.play(8);
    const ticks = rec.withStatus(0xf8).map((m) => m.timeMicros);
    assert.ok(ticks.length > 24 * 6, `${ticks.length} ticks re-emitted`);
    // Joined on the next 16th after Start (a Start is known only when it arrives): SPP + Continue.
    const names = rec.messages.slice(0, 3).map((m) => describeMidi(m.data));
    assert.equal(names[1], 'continue');
    assert.match(names[0] ?? '', /^songposition [12]$/);
    // Ticks handed out ahead of the last input tick have nothing to compare with yet.
    const settled = ticks.filter((t) => t > (daw.sent[24 * 4] as number) && t < (daw.sent.at(-1) as number) + 1000);
    let worstVsSent = 0;
    let worstVsIdeal = 0;
    for (const t of settled) {
      const i = nearest(daw.sent, t);
      worstVsSent = Math.max(worstVsSent, Math.abs(t - (daw.sent[i] as number)));
      // Against the DAW's grid, delayed by the jitter's mean (what the input ticks average to).
      worstVsIdeal = Math.max(worstVsIdeal, Math.abs(t - (daw.ideal[i] as number) - jitterMicros / 2));
    }
    if (jitterMicros === 0) assert.ok(worstVsSent <= 1000, `clean clock: ${worstVsSent} µs from the input ticks`);
    // With 0–2 ms jitter the input itself scatters ±1 ms around its mean: the re-emitted clock
    // sits on the mean (within 0.5 ms of it), so within jitter/2 + 1 ms of every input tick.
    else {
      assert.ok(worstVsIdeal <= 500, `jittered clock: ${worstVsIdeal} µs from the de-jittered grid`);
      assert.ok(worstVsSent <= 2000, `jittered clock: ${worstVsSent} µs from the input ticks`);
    }
    // Stop follows the DAW.
    daw.stop();
    daw.play(1);
    assert.equal(describeMidi(rec.messages.at(-1)?.data as Uint8Array), 'stop');
    assert.equal(out.running, false);
    out.close();
  }
});

test('a MidiClockOut with negative latency re-emits an exact delayed copy, Start included', () => {
  const { vt, follower, daw } = setup({}, { bpm: 120 });
  const rec = new RecordingOutput({ clock: vt });
  const delay = 60_000;
  const out = new MidiClockOut(follower, rec, { latencyMicros: -delay }).open();
  daw.clockOn();
  daw.play(2);
  vt.advance(3000);
  daw.start();
  daw.play(4);
  const names = rec.messages.slice(0, 3).map((m) => describeMidi(m.data));
  assert.deepEqual(names, ['songposition 0', 'start', 'clock']);
  const startTick = daw.sent.findIndex((t) => t >= follower.captureAppSessionState().timeForIsPlaying());
  const ticks = rec.withStatus(0xf8);
  ticks.slice(0, 48).forEach((m, k) => assert.ok(Math.abs(m.timeMicros - delay - (daw.sent[startTick + k] as number)) <= 2, `tick ${k}`));
  out.close();
});

test('a LinkSequencer on the follower plays notes on the followed beats, and stops with the DAW', () => {
  const { vt, follower, daw } = setup({}, { bpm: 100, jitterMicros: 1000, seed: 3 });
  const rec = new RecordingOutput({ clock: vt });
  const seq = new LinkSequencer(follower, rec, { latencyMicros: -50_000 }).open();
  for (let b = 0; b < 16; b++) seq.scheduleNote(b, 1, 60, 100, 0.5);
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(6);
  const s = follower.captureAppSessionState();
  const startTick = daw.sent.findIndex((t) => t >= s.timeForIsPlaying());
  const ons = rec.messages.filter((m) => describeMidi(m.data).startsWith('noteon'));
  assert.ok(ons.length >= 5, `${ons.length} notes`);
  // Note b sounds at the DAW's tick 24·b after Start (plus the 50 ms delay), within the jitter.
  ons.forEach((m, b) => {
    const tick = daw.sent[startTick + 24 * b] as number;
    assert.ok(Math.abs(m.timeMicros - 50_000 - tick) <= 1500, `note ${b}: ${m.timeMicros - 50_000 - tick} µs`);
  });
  daw.stop();
  daw.play(1);
  assert.equal(seq.playing, false);
  assert.equal(describeMidi(rec.messages.at(-1)?.data as Uint8Array), 'noteoff ch1 60 vel 0');
  seq.close();
});

test('atBeat on the follower resolves at the followed beat', async () => {
  const { vt, follower, daw } = setup({}, { bpm: 120 });
  daw.clockOn();
  daw.play(1);
  daw.start();
  daw.play(0.5);
  const arrival = atBeat(follower, 4);
  let done: { timeMicros: number } | undefined;
  void arrival.then((a) => { done = a; });
  while (!done && vt.micros() < 1e12 + 10e6) {
    vt.advance(5000);
    await Promise.resolve();
  }
  const s = follower.captureAppSessionState();
  const startTick = daw.sent.findIndex((t) => t >= s.timeForIsPlaying());
  assert.ok(done, 'atBeat(4) resolved');
  assert.ok(Math.abs(done.timeMicros - (daw.sent[startTick + 96] as number)) <= 2, `${done.timeMicros - (daw.sent[startTick + 96] as number)} µs`);
});

test('tempoBpm is undefined until the clock gives an estimate; the timeline runs at the initial tempo meanwhile', () => {
  const { vt, follower, daw } = setup({ bpm: 100 }, { bpm: 133 });
  assert.equal(follower.tempoBpm, undefined);
  assert.equal(follower.captureAppSessionState().tempo, 100);
  daw.clockOn();
  vt.advance(Math.round(3 * daw.intervalMicros));
  assert.equal(follower.tempoBpm, undefined, 'a few ticks are not an estimate yet');
  daw.play(0.5);
  assert.ok(Math.abs((follower.tempoBpm ?? NaN) - 133) < 0.01, `${follower.tempoBpm} bpm`);
  assert.equal(follower.tempo, follower.tempoBpm);
});

test('a DAW that sends clock only while playing: Start, then its first tick; the tempo carries over from the last run', () => {
  const { vt, follower, daw, warnings } = setup({}, { bpm: 120, jitterMicros: 1000, seed: 5 });
  daw.clockOn();
  daw.start();
  daw.play(4);
  daw.stop();
  daw.clockOff();
  vt.advance(3_000_000); // stopped, no clock: lost, no freewheel
  assert.equal(follower.clockPresent, false);
  assert.equal(follower.isPlaying, false);
  daw.spp(0);
  daw.start();
  const t0 = vt.micros();
  daw.clockOn(t0 + 1000);
  const tempos: number[] = [];
  for (let k = 0; k < 48; k++) {
    vt.advance(Math.round(daw.intervalMicros));
    tempos.push(follower.tempo);
  }
  assert.ok(tempos.every((b) => Math.abs(b - 120) < 0.15), `${Math.min(...tempos)}…${Math.max(...tempos)}`);
  const s = follower.captureAppSessionState();
  const first = daw.sent.findIndex((t) => t > t0);
  for (let k = 24; first + k < daw.sent.length; k++) {
    assert.ok(Math.abs(s.beatAtTime(daw.sent[first + k] as number, 4) - k / 24) < 0.05, `tick ${k}: beat ${s.beatAtTime(daw.sent[first + k] as number, 4)}`);
  }
  assert.deepEqual(warnings.filter((w) => w.code !== 'E_TIMEOUT'), []);
});

test('a DAW that restarts its tick grid at Start: the first tick off the old grid is beat 0 at once', () => {
  const { vt, follower, daw } = setup({}, { bpm: 120 });
  daw.clockOn();
  daw.play(4);
  const ts = Math.round(daw.nextTickMicros - 12_000);
  vt.advanceTo(ts);
  daw.clockOff();
  daw.start();
  daw.clockOn(ts + 7000); // 5 ms off the old grid
  vt.advance(7001);
  const s = follower.captureAppSessionState();
  const first = daw.sent.at(-1) as number;
  assert.equal(first, ts + 7000);
  assert.ok(Math.abs(s.timeAtBeat(0, 4) - first) <= 1, `beat 0 at ${s.timeAtBeat(0, 4) - first} µs from the first tick`);
  assert.ok(Math.abs(s.timeAtBeat(1 / 24, 4) - first - daw.intervalMicros) <= 2, 'the next tick expected one interval on');
  daw.play(2);
  assert.ok(Math.abs((follower.tempoBpm ?? NaN) - 120) < 0.01, `${follower.tempoBpm} bpm`);
});

test('a MidiClockOut on the follower re-emits a mid-song Continue with the DAW\'s song position', () => {
  const { vt, follower, daw } = setup({}, { bpm: 120 });
  const rec = new RecordingOutput({ clock: vt });
  const out = new MidiClockOut(follower, rec, { latencyMicros: -60_000 }).open();
  daw.clockOn();
  daw.play(2);
  daw.spp(4 * 37 + 2); // bar 10, beat 2.5 (Live: SPP, then Continue)
  vt.advance(4000);
  daw.continue();
  daw.play(2);
  const names = rec.messages.slice(0, 3).map((m) => describeMidi(m.data));
  assert.deepEqual(names, [`songposition ${4 * 37 + 2}`, 'continue', 'clock']);
  // Relocated while playing (SPP while playing): Stop, SPP of the new position, Continue.
  rec.clear();
  daw.spp(64);
  daw.play(1);
  const i = rec.messages.findIndex((m) => describeMidi(m.data) === 'stop');
  assert.deepEqual(rec.messages.slice(i, i + 3).map((m) => describeMidi(m.data)), ['stop', 'songposition 64', 'continue']);
  out.close();
});

test('a LinkSequencer on the follower plays from the DAW\'s position after SPP + Continue', () => {
  const { vt, follower, daw } = setup({}, { bpm: 120 });
  const rec = new RecordingOutput({ clock: vt });
  const seq = new LinkSequencer(follower, rec, { latencyMicros: -50_000 }).open();
  for (let b = 0; b < 32; b++) seq.scheduleNote(b, 1, 36 + b, 100, 0.5);
  daw.clockOn();
  daw.play(1);
  daw.spp(4 * 16); // beat 16
  vt.advance(3000);
  daw.continue();
  daw.play(2.9);
  const notes = rec.messages.filter((m) => describeMidi(m.data).startsWith('noteon')).map((m) => m.data[1]);
  assert.deepEqual(notes, [36 + 16, 36 + 17, 36 + 18]);
  seq.close();
});

function nearest(sorted: number[], t: number): number {
  let best = 0;
  for (let i = 0; i < sorted.length; i++) if (Math.abs((sorted[i] as number) - t) < Math.abs((sorted[best] as number) - t)) best = i;
  return best;
}
