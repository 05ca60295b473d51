// Every value of link-observed-vectors.md (black-box observations of Link 3.0.6), as named tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roundHalfAway } from '../core/checks.ts';
import { alignNear, alignUp, phase } from './phase.ts';
import { SessionState } from './session-state.ts';
import {
  beatsAtTime,
  beatsToMicroBeats,
  bpmToMicrosPerBeat,
  microsPerBeatToBpm,
  timeAtBeats,
} from './timeline.ts';

const near = (actual: number, expected: number, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected}, got ${actual}`);
const µb = (beats: number) => beatsToMicroBeats(beats);

test('rounding: half away from zero, unlike Math.round', () => {
  // Math.round(-2.5) is -2: our rounding differs on negative halves only.
  for (const [x, expected] of [[-2.5, -3], [2.5, 3], [-0.5, -1], [0.5, 1], [-1.4999, -1], [1.5, 2], [-7, -7], [-0.2, 0]] as const) {
    assert.equal(roundHalfAway(x), expected, `roundHalfAway(${x})`);
  }
  assert.ok(Object.is(roundHalfAway(-0.2), 0), 'never -0');
  assert.equal(beatsToMicroBeats(-5e-7), -1);
  assert.equal(beatsToMicroBeats(5e-7), 1);
  assert.equal(beatsToMicroBeats(2.5e-7), 0);
  assert.equal(beatsToMicroBeats(-2.5e-7), 0);
  assert.equal(beatsToMicroBeats(-1.0000015), -1000002);
});

const wireTempo: Array<[number, number, number]> = [
  [120, 500000, 120],
  [90, 666667, 89.999955],
  [133, 451128, 132.9999468],
  [140.5, 427046, 140.500086642],
  [999, 60060, 999],
  [20, 3000000, 20],
  [123.456789, 486000, 123.456790123],
];
for (const [bpm, wire, seen] of wireTempo) {
  test(`tempo on the wire: ${bpm} bpm → ${wire} µs/beat → ${seen} bpm`, () => {
    assert.equal(bpmToMicrosPerBeat(bpm), wire);
    near(microsPerBeatToBpm(wire), seen, 1e-6);
  });
}

const A = { microsPerBeat: 500000, beatOrigin: 1_500_000, timeOrigin: 1_000_000 };
test('timeline A: beats at times', () => {
  assert.equal(beatsAtTime(A, 0), -500000);
  assert.equal(beatsAtTime(A, 1000001), 1500002);
  assert.equal(beatsAtTime(A, 999999), 1499998);
  assert.equal(beatsAtTime(A, 1000333), 1500666);
  assert.equal(beatsAtTime(A, -5000000), -10500000);
});
test('timeline A: times at beats, the x.5 case rounds the delta', () => {
  assert.equal(timeAtBeats(A, 0), 250000);
  assert.equal(timeAtBeats(A, µb(-3.25)), -1375000);
  assert.equal(timeAtBeats(A, 1000001), 750000);
});
const B = { microsPerBeat: bpmToMicrosPerBeat(133), beatOrigin: 0, timeOrigin: 0 };
test('timeline B (133 bpm): beats at times and back', () => {
  assert.equal(B.microsPerBeat, 451128);
  const cases: Array<[number, number]> = [[1, 2], [1000000, 2216666], [-1000000, -2216666], [123456789, 273662439]];
  for (const [t, b] of cases) {
    assert.equal(beatsAtTime(B, t), b, `beats at ${t}`);
    assert.equal(timeAtBeats(B, b), t, `time of ${b}`);
  }
});

test('phase of negatives is not mirrored', () => {
  const ph = (b: number, q: number) => phase(µb(b), µb(q)) / 1e6;
  near(ph(5.25, 4), 1.25);
  near(ph(-1.5, 4), 2.5);
  near(ph(-4, 4), 0);
  near(ph(-0.000001, 4), 3.999999);
  near(ph(7, 0), 0);
  near(ph(-3.7, 1), 0.3);
  near(ph(10, 3), 1);
});

const aligns: Array<[number, number, number, number]> = [
  [5.25, 0, 8, 4], [5.25, 1, 9, 5], [5.25, 1.25, 5.25, 5.25], [-1.5, 0, 0, 0],
  [5.25, 3, 7, 7], [2, 0, 4, 0], [6, 0, 8, 4],
];
for (const [x, t, up, nearV] of aligns) {
  test(`alignUp/alignNear(${x}, ${t}, 4) = ${up} / ${nearV}`, () => {
    assert.equal(alignUp(µb(x), µb(t), µb(4)), µb(up));
    assert.equal(alignNear(µb(x), µb(t), µb(4)), µb(nearV));
  });
}

// Application timeline (120 bpm, app beat 10.25 at host 2 000 000 µs), q = 4.
const appTimeline = { microsPerBeat: 500000, beatOrigin: 10_250_000, timeOrigin: 2_000_000 };
const alone = () => new SessionState({ timeline: appTimeline, respectQuantum: false });
const withPeers = () => new SessionState({ timeline: appTimeline, respectQuantum: true });

test('SessionState: beatAtTime', () => {
  const s = alone();
  near(s.beatAtTime(2000000, 4), 12);
  near(s.beatAtTime(2500000, 4), 13);
  near(s.beatAtTime(1000000, 4), 10);
  near(s.beatAtTime(0, 4), 8);
  near(s.beatAtTime(2999999, 4), 13.999998);
});
test('SessionState: timeAtBeat', () => {
  const s = alone();
  assert.equal(s.timeAtBeat(12, 4), 2000000);
  assert.equal(s.timeAtBeat(10.25, 4), 1125000);
  assert.equal(s.timeAtBeat(16, 4), 4000000);
  assert.equal(s.timeAtBeat(8, 4), 0);
  assert.equal(s.timeAtBeat(-1, 4), -4500000);
});
test('SessionState: beat, phase and time at 2.6 s', () => {
  const s = alone();
  near(s.beatAtTime(2600000, 4), 13.2);
  near(s.phaseAtTime(2600000, 4), 1.2);
  assert.equal(s.timeAtBeat(13, 4), 2500000);
});
test('requestBeatAtTime alone re-maps at once', () => {
  const s = alone();
  s.requestBeatAtTime(0, 2600000, 4);
  near(s.beatAtTime(2600000, 4), 0);
  assert.equal(s.timeAtBeat(0, 4), 2600000);
});
test('requestBeatAtTime with peers waits for the next bar (count-in)', () => {
  const s = withPeers();
  s.requestBeatAtTime(0, 2600000, 4);
  assert.equal(s.timeAtBeat(0, 4), 4000000);
  near(s.beatAtTime(2600000, 4), -2.8);
});
test('forceBeatAtTime re-maps with or without peers', () => {
  for (const s of [alone(), withPeers()]) {
    s.forceBeatAtTime(0, 2600000, 4);
    near(s.beatAtTime(2600000, 4), 0);
  }
});
test('setTempo keeps the beat continuous at the change', () => {
  const s = alone();
  s.setTempo(60, 3000000);
  near(s.beatAtTime(3000000, 4), 14);
  near(s.beatAtTime(4000000, 4), 15);
  assert.equal(s.timeAtBeat(16, 4), 5000000);
});
test('setTempo clamps to 999', () => {
  const s = alone();
  s.setTempo(5000, 3000000);
  assert.equal(s.tempo, 999);
});
test('quantum 0: raw beats, phase 0', () => {
  const s = alone();
  near(s.beatAtTime(2600000, 0), 11.45);
  near(s.phaseAtTime(2600000, 0), 0);
});
test('setIsPlayingAndRequestBeatAtTime with peers keeps the start time, moves the beat', () => {
  const s = withPeers();
  s.setIsPlayingAndRequestBeatAtTime(true, 2600000, 0, 4);
  assert.equal(s.isPlaying, true);
  assert.equal(s.timeForIsPlaying(), 2600000);
  assert.equal(s.timeAtBeat(0, 4), 4000000);
});

test('the one-modulo application beat equals alignNear(b, b − beatOrigin, q) everywhere', async () => {
  const { toPhaseEncodedBeats } = await import('./phase.ts');
  const { SeededRandom } = await import('../core/prng.ts');
  const rng = new SeededRandom(99);
  for (let i = 0; i < 20000; i++) {
    const tl = { microsPerBeat: 60060 + rng.int(2_940_000), beatOrigin: rng.int(2e10) - 1e10, timeOrigin: rng.int(2e12) - 1e12 };
    const t = rng.int(4e12) - 2e12;
    const q = [1e6, 3e6, 4e6, 7.5e6, 1, 3, 0][rng.int(7)]!;
    const b = beatsAtTime(tl, t);
    assert.equal(toPhaseEncodedBeats(tl, t, q), q === 0 ? b : alignNear(b, b - tl.beatOrigin, q));
  }
});

test('tempo change 120 → 140.5 bpm at ghost ≈ 4.004 s on tmln (500000, 476, 0) gives ≈ (427046, 8008652, 4004086)', async () => {
  const { appTimeline, sessionFromApp } = await import('./app-timeline.ts');
  const session = { microsPerBeat: 500000, beatOrigin: 476, timeOrigin: 0 };
  const ghostOffset = 0; // the founder: host = ghost here
  const s = new SessionState({ timeline: appTimeline(session, ghostOffset, 0), respectQuantum: true });
  s.setTempo(140.5, 4004086);
  const next = sessionFromApp(s.timeline, ghostOffset, 4004086, session.beatOrigin);
  assert.equal(next.microsPerBeat, 427046);
  assert.equal(next.timeOrigin, 4004086);
  // The reference read its beat ~2 µs after its time origin (8008652); ours is the beat at it.
  assert.ok(Math.abs(next.beatOrigin - 8008652) <= 4, `beatOrigin ${next.beatOrigin}`);
  assert.equal(next.beatOrigin, beatsAtTime(session, 4004086));
});
