/**
 * bench/follow.ts, part 1: the tempo of a jittered MIDI clock — phaselock's `MidiClockFollower`
 * (its `TempoEstimator`, default options) beside the filters receivers commonly use, on
 * `VirtualTime`, many seeds per condition. Pure: no I/O, no wall clock.
 *
 * - "avg 24": the mean interval of the last 24 ticks (one beat): (t[n] − t[n−24]) / 24.
 * - "avg 47": the mean of the last 47 intervals (2 beats minus one, the classic "47-tick
 *   filter"): (t[n] − t[n−47]) / 47. Both use what they have until their window is full.
 *
 * Jitter (each tick's arrival minus its ideal time, independent per tick):
 * - "±A": uniform in [−A, +A];
 * - "late A": one tick in four late by uniform (0, A], the others on time (a sender's timer
 *   waking late now and then; never early).
 * @module
 */
import { MidiClockFollower } from '../src/midi/clock-follower.ts';
import { SeededRandom } from '../src/core/prng.ts';
import { VirtualTime } from '../src/testing/virtual-time.ts';
import { max, median, quantile } from './stats.ts';

const TICKS_PER_BEAT = 24;
const F8 = Uint8Array.of(0xf8);
/** Ticks before the step (8 beats) and after it (16 beats). */
const BEFORE_STEP = 8 * TICKS_PER_BEAT;
const AFTER_STEP = 16 * TICKS_PER_BEAT;
const STEP_BPM = 20;
const SETTLE_BAND_BPM = 0.1;
const WIDE_BAND_BPM = 1;
/** A settling time counts only with this many ticks within the band after it (4 beats): else "never". */
const CONFIRM_TICKS = 4 * TICKS_PER_BEAT;
/** Not settled within the run. */
const NEVER = Number.MAX_SAFE_INTEGER;

export interface JitterModel {
  label: string;
  /** The arrival error of one tick (µs), late positive. */
  draw(r: SeededRandom): number;
}

export const uniformJitter = (amplitudeMs: number): JitterModel => ({
  label: `±${amplitudeMs} ms`,
  draw: (r) => (r.float() * 2 - 1) * amplitudeMs * 1000,
});

export const lateJitter = (amplitudeMs: number): JitterModel => ({
  label: `late ${amplitudeMs} ms`,
  draw: (r) => (r.float() < 0.25 ? r.float() * amplitudeMs * 1000 : 0),
});

interface Estimator {
  push(timeMicros: number): void;
  bpm(): number | undefined;
}

const METHODS = ['phaselock', 'avg 24', 'avg 47'] as const;
type Method = (typeof METHODS)[number];

/** Our follower on its own VirtualTime: each tick received at its (jittered) time. */
function follower(): Estimator {
  const vt = new VirtualTime();
  const f = new MidiClockFollower({ clock: vt, timers: vt }).open();
  const epoch = vt.micros();
  return {
    push(t) {
      const at = epoch + Math.round(t);
      vt.advanceTo(Math.max(vt.micros(), at));
      f.receive({ data: F8, timeMicros: at, receivedAtMicros: at });
    },
    bpm: () => f.tempoBpm,
  };
}

/** The mean interval of the last `intervals` (fewer until there are that many). */
function movingAverage(intervals: number): Estimator {
  const times: number[] = [];
  return {
    push(t) {
      times.push(t);
      if (times.length > intervals + 1) times.shift();
    },
    bpm() {
      const n = times.length - 1;
      if (n < 1) return undefined;
      const interval = (times[n]! - times[0]!) / n;
      return 60e6 / (interval * TICKS_PER_BEAT);
    },
  };
}

const make = (m: Method): Estimator => (m === 'phaselock' ? follower() : movingAverage(m === 'avg 24' ? 24 : 47));

/** Tick arrival times (µs from 0): `first` ticks at `bpm`, then at `bpm2`, each jittered. */
function ticks(r: SeededRandom, jitter: JitterModel, bpm: number, count: number, stepAt = Infinity, bpm2 = bpm): number[] {
  const i1 = 60e6 / (bpm * TICKS_PER_BEAT);
  const i2 = 60e6 / (bpm2 * TICKS_PER_BEAT);
  const phase = 1_000_000 + r.float() * i1;
  const out: number[] = [];
  for (let k = 0; k < count; k++) {
    const ideal = k <= stepAt ? phase + k * i1 : phase + stepAt * i1 + (k - stepAt) * i2;
    out.push(ideal + jitter.draw(r));
  }
  return out;
}

export interface TempoRow {
  method: Method;
  /** |error| 2 beats after the first tick (bpm), per seed. */
  early: number[];
  /** |error| after 8 beats at a steady tempo (bpm), per seed. */
  steady: number[];
  /** Ticks after the step until within ±0.1 bpm for good (NEVER: not within the run). */
  settle: number[];
  /** The same for ±1 bpm. */
  settleWide: number[];
  /** Largest excursion past the new tempo after the step (bpm, ≥ 0). */
  overshoot: number[];
}

/** All methods on the same tick series, `seeds` runs of each kind. */
export function tempoCondition(jitter: JitterModel, bpm: number, seeds: number): TempoRow[] {
  const rows = METHODS.map((method): TempoRow => ({ method, early: [], steady: [], settle: [], settleWide: [], overshoot: [] }));
  for (let seed = 1; seed <= seeds * 4; seed++) {
    // Error 2 beats in: 49 ticks (the 49th is beat 2). Cheap: four times the seeds.
    const series = ticks(new SeededRandom(seed), jitter, bpm, 2 * TICKS_PER_BEAT + 1);
    rows.forEach((row) => {
      const e = make(row.method);
      for (const t of series) e.push(t);
      row.early.push(Math.abs((e.bpm() ?? NaN) - bpm));
    });
  }
  const target = bpm + STEP_BPM;
  for (let seed = 1; seed <= seeds; seed++) {
    const series = ticks(new SeededRandom(1e6 + seed), jitter, bpm, BEFORE_STEP + AFTER_STEP, BEFORE_STEP, target);
    rows.forEach((row) => {
      const e = make(row.method);
      let lastOutside = BEFORE_STEP;
      let lastOutsideWide = BEFORE_STEP;
      let over = 0;
      series.forEach((t, k) => {
        e.push(t);
        const est = e.bpm() ?? NaN;
        if (k === BEFORE_STEP) row.steady.push(Math.abs(est - bpm)); // the step's first tick is still on the old line
        if (k <= BEFORE_STEP) return;
        if (!(Math.abs(est - target) <= SETTLE_BAND_BPM)) lastOutside = k;
        if (!(Math.abs(est - target) <= WIDE_BAND_BPM)) lastOutsideWide = k;
        over = Math.max(over, est - target);
      });
      const settled = (lastOut: number) => (lastOut - BEFORE_STEP > AFTER_STEP - CONFIRM_TICKS ? NEVER : lastOut - BEFORE_STEP);
      row.settle.push(settled(lastOutside));
      row.settleWide.push(settled(lastOutsideWide));
      row.overshoot.push(over);
    });
  }
  return rows;
}

const fmt = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
/** Nearest rank (no interpolation towards NEVER). */
const rank = (v: readonly number[], q: number) => [...v].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * v.length) - 1)] ?? NaN;
const ticksFmt = (x: number) => (x >= NEVER ? 'never' : fmt(x, 0));

/** Markdown table (as bench/timing.ts prints). */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export const TEMPO_HEAD = [
  'jitter', 'method', 'err @2 beats p50', 'p99', 'max', 'err @8 beats p99',
  `settle ±${SETTLE_BAND_BPM} p50 (ticks)`, 'p99', 'settled', `settle ±${WIDE_BAND_BPM} p50`, 'p99', 'overshoot p50', 'max',
];

export function tempoRows(jitter: JitterModel, rows: readonly TempoRow[]): string[][] {
  return rows.map((r) => {
    const settled = r.settle.filter((s) => s < NEVER).length / r.settle.length;
    return [
      jitter.label, r.method,
      fmt(median(r.early), 3), fmt(quantile(r.early, 0.99), 3), fmt(max(r.early), 3), fmt(quantile(r.steady, 0.99), 3),
      ticksFmt(rank(r.settle, 0.5)), ticksFmt(rank(r.settle, 0.99)), `${Math.round(settled * 100)} %`,
      ticksFmt(rank(r.settleWide, 0.5)), ticksFmt(rank(r.settleWide, 0.99)),
      fmt(median(r.overshoot), 2), fmt(max(r.overshoot), 2),
    ];
  });
}

export const TEMPO_NOTES = [
  `err: |estimate − true tempo| (bpm) after 2 beats (49 ticks from the first) and after 8 beats; settle: ticks after a +${STEP_BPM} bpm step`,
  `until the estimate is within ±${SETTLE_BAND_BPM} bpm of the new tempo for the rest of the run (${AFTER_STEP} ticks; "never": not with`,
  `${CONFIRM_TICKS} ticks to spare; p50/p99 by nearest rank;`,
  `"settled": share of runs that did; the same for ±${WIDE_BAND_BPM} bpm); overshoot: the largest excursion past the new tempo after the step (bpm; jitter counts too).`,
];
