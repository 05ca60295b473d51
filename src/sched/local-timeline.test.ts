// LocalTimeline: a TimelineSource of its own on an injected clock (VirtualTime here), that the
// MIDI clock, the sequencer and atBeat run on exactly as on a Link session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkPeer } from '../link/link-peer.ts';
import { SessionState } from '../link/session-state.ts';
import { MidiClockOut } from '../midi/clock-out.ts';
import { describeMidi, RecordingOutput } from '../midi/output.ts';
import { LinkSequencer } from '../midi/sequencer.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { atBeat } from './at-beat.ts';
import { LocalTimeline } from './local-timeline.ts';
import type { TimelineSource } from './timeline-source.ts';

function local(bpm?: number) {
  const vt = new VirtualTime();
  vt.advance(777_777); // not at the epoch: beat 0 is where the timeline was made
  const timeline = new LocalTimeline({ clock: vt, timers: vt, ...(bpm !== undefined ? { bpm } : {}) });
  const events: string[] = [];
  timeline.on('tempo', (b) => events.push(`tempo ${b}`)).on('playing', (p) => events.push(`playing ${p}`))
    .on('peers', (n) => events.push(`peers ${n}`)).on('close', () => events.push('close'));
  return { vt, timeline, events };
}

test('beat 0 is where it was made; tempo 120 by default, clamped to [20, 999] like Link', () => {
  const { vt, timeline } = local();
  const t0 = vt.micros();
  const s = timeline.captureAppSessionState();
  assert.equal(s.beatAtTime(t0, 4), 0);
  assert.equal(s.timeAtBeat(8, 4), t0 + 4_000_000);
  assert.equal(s.tempo, 120);
  assert.equal(timeline.tempo, 120);
  assert.equal(s.isPlaying, false);
  vt.advance(1_250_000);
  assert.equal(timeline.captureAppSessionState().beatAtTime(vt.micros(), 4), 2.5);
  assert.equal(new LocalTimeline({ clock: vt, timers: vt, bpm: 5 }).tempo, 20);
  assert.equal(new LocalTimeline({ clock: vt, timers: vt, bpm: 5000 }).tempo, 999);
  assert.equal(new LocalTimeline({ clock: vt, timers: vt, bpm: 133.5 }).captureAppSessionState().tempo, 133.5);
  assert.throws(() => new LocalTimeline({ clock: vt, timers: vt, bpm: Number.NaN }), RangeError);
});

test('shared with nobody: no peers, no peer events; its clock and timers are the ones given, precise timers exact on them', () => {
  const { vt, timeline, events } = local();
  assert.equal(timeline.numPeers, 0);
  assert.equal(timeline.closed, false);
  assert.equal(timeline.clock, vt);
  assert.equal(timeline.timers, vt);
  const fired: number[] = [];
  const target = vt.micros() + 12_345;
  timeline.preciseTimers.callAt(() => fired.push(vt.micros()), target);
  timeline.preciseTimers.callAt(() => fired.push(-1), target + 1).cancel();
  vt.advance(100_000);
  assert.deepEqual(fired, [target]);
  const own = { callAt: () => ({ cancel() {} }) };
  assert.equal(new LocalTimeline({ clock: vt, timers: vt, preciseTimers: own }).preciseTimers, own);
  assert.deepEqual(events, []);
});

test('a committed tempo change takes effect from its time, with one tempo event; an unchanged commit emits nothing', () => {
  const { vt, timeline, events } = local();
  vt.advance(1_000_000); // beat 2
  const s = timeline.captureAppSessionState();
  const at = vt.micros();
  s.setTempo(90, at);
  timeline.commitAppSessionState(s);
  assert.deepEqual(events, ['tempo 90']);
  assert.equal(timeline.tempo, 90);
  const after = timeline.captureAppSessionState();
  assert.equal(after.tempo, 90);
  assert.equal(after.beatAtTime(at, 4), 2, 'the beat at the change is kept');
  assert.equal(after.timeAtBeat(3, 4), at + 666_667, 'one beat later at 90 bpm');
  timeline.commitAppSessionState(timeline.captureAppSessionState());
  assert.deepEqual(events, ['tempo 90']);
});

test('the transport: playing events on start and stop, none when only its time moves', () => {
  const { vt, timeline, events } = local();
  const s = timeline.captureAppSessionState();
  s.setIsPlaying(true, vt.micros() + 500_000);
  timeline.commitAppSessionState(s);
  assert.deepEqual(events, ['playing true']);
  const p = timeline.captureAppSessionState();
  assert.equal(p.isPlaying, true);
  assert.equal(p.timeForIsPlaying(), vt.micros() + 500_000);
  p.setIsPlaying(true, vt.micros() + 600_000);
  timeline.commitAppSessionState(p);
  assert.equal(timeline.captureAppSessionState().timeForIsPlaying(), vt.micros() + 600_000);
  assert.deepEqual(events, ['playing true']);
  const stop = timeline.captureAppSessionState();
  stop.setIsPlaying(false, vt.micros());
  timeline.commitAppSessionState(stop);
  assert.deepEqual(events, ['playing true', 'playing false']);
});

test('alone, requestBeatAtTime re-maps at once (no quantum to respect)', () => {
  const { vt, timeline } = local();
  const s = timeline.captureAppSessionState();
  assert.equal(s.respectQuantum, false);
  const t = vt.micros() + 100_000;
  s.requestBeatAtTime(1.5, t, 4);
  timeline.commitAppSessionState(s);
  assert.equal(timeline.captureAppSessionState().beatAtTime(t, 4), 1.5);
});

/** A commit applies only what was changed since the capture: a stale capture does not undo another commit. */
function staleCaptureKeepsOtherChanges(source: TimelineSource, now: () => number): void {
  const stale = source.captureAppSessionState();
  const start = source.captureAppSessionState();
  start.setIsPlaying(true, now());
  source.commitAppSessionState(start); // e.g. a sequencer's start()
  stale.setTempo(100, now());
  source.commitAppSessionState(stale); // the user's tempo change, captured earlier
  const s = source.captureAppSessionState();
  assert.equal(s.tempo, 100);
  assert.equal(s.isPlaying, true, 'the start committed in between was undone by a commit that did not change the transport');
}

test('a commit applies only what the state changed since its capture, as a Link peer does (TimelineSource contract)', () => {
  const vt = new VirtualTime();
  const peer = new LinkPeer(new FakeNetwork(vt).addHost({ name: 'a' }).runtime);
  staleCaptureKeepsOtherChanges(peer, () => peer.clock.micros());
  const { timeline } = local();
  staleCaptureKeepsOtherChanges(timeline, () => timeline.clock.micros());
});

test('a state outside what a timeline can hold is refused (RangeError), changing nothing; a non-state is a TypeError', () => {
  const { vt, timeline, events } = local();
  const before = timeline.captureAppSessionState();
  const bad = new SessionState({ timeline: { microsPerBeat: 500_000, beatOrigin: 2 ** 53 - 10, timeOrigin: vt.micros() }, isPlaying: true, timeForIsPlaying: vt.micros(), bpm: 120 });
  assert.throws(() => timeline.commitAppSessionState(bad), RangeError);
  assert.throws(() => timeline.commitAppSessionState({ timeline: before.timeline } as unknown as SessionState), TypeError);
  const after = timeline.captureAppSessionState();
  assert.deepEqual(after.timeline, before.timeline);
  assert.equal(after.isPlaying, false);
  assert.deepEqual(events, []);
});

test('close: one close event, idempotent; commits are refused with E_CLOSED; pending atBeat promises reject with E_CLOSED', async () => {
  const { vt, timeline, events } = local();
  const pending = atBeat(timeline, 100);
  const settled = pending.then(() => 'resolved', (e: { code?: string }) => e.code);
  vt.advance(1_000_000);
  await Promise.all([timeline.close(), timeline.close()]);
  assert.equal(timeline.closed, true);
  assert.deepEqual(events, ['close']);
  assert.equal(await settled, 'E_CLOSED');
  assert.throws(() => timeline.commitAppSessionState(timeline.captureAppSessionState()), { code: 'E_CLOSED' });
  await assert.rejects(atBeat(timeline, 200), { code: 'E_CLOSED' });
  assert.equal(timeline.listenerCount('close'), 1, 'atBeat removed its listener');
  await timeline[Symbol.asyncDispose]();
  assert.deepEqual(events, ['close']);
});

test('atBeat resolves exactly on the beat, following a tempo change made while it waits', async () => {
  const { vt, timeline } = local(100);
  const p = atBeat(timeline, 8);
  vt.advance(1_000_000);
  const s = timeline.captureAppSessionState();
  s.setTempo(150, vt.micros());
  timeline.commitAppSessionState(s);
  let result: Awaited<typeof p> | undefined;
  void p.then((r) => { result = r; });
  for (let i = 0; i < 100 && !result; i++) {
    vt.advance(50_000);
    await Promise.resolve();
  }
  assert.ok(result, 'atBeat resolved');
  assert.equal(result.timeMicros, timeline.captureAppSessionState().timeAtBeat(8, 4));
  assert.equal(result.lateMicros, 0);
});

test('renders offline: the sequencer and the MIDI clock play on it exactly on its grid', async () => {
  const { vt, timeline } = local(100);
  const rec = new RecordingOutput({ clock: vt });
  const ticks = new RecordingOutput();
  const seq = new LinkSequencer(timeline, rec);
  [60, 64, 67].forEach((n, i) => seq.scheduleNote(i, 1, n, 100, 1));
  const clock = new MidiClockOut(timeline, ticks);
  const t0 = seq.start();
  clock.open();
  vt.advance(5_000_000); // five seconds rendered at once
  const s = timeline.captureAppSessionState();
  assert.equal(s.beatAtTime(t0, 4), 0);
  assert.equal(s.phaseAtTime(t0, 4), 0, 'started on a bar');
  assert.deepEqual(rec.messages.map((m) => [s.beatAtTime(m.timeMicros, 4), describeMidi(m.data)]), [
    [0, 'noteon ch1 60 vel 100'], [1, 'noteoff ch1 60 vel 0'], [1, 'noteon ch1 64 vel 100'],
    [2, 'noteoff ch1 64 vel 0'], [2, 'noteon ch1 67 vel 100'], [3, 'noteoff ch1 67 vel 0'],
  ]);
  assert.ok(rec.messages.every((m) => (m.calledAtMicros as number) < m.timeMicros), 'handed out ahead');
  const tk = ticks.withStatus(0xf8);
  assert.ok(tk.length >= 24 * 4, `${tk.length} ticks`); // 2.6 s of song at 100 bpm
  tk.forEach((m, i) => assert.equal(m.timeMicros, s.timeAtBeat(i / 24, 4), `tick ${i}`));
  await Promise.all([seq.close(), clock.close()]);
});

test('a player closes itself when its timeline closes, ending what sounds', async () => {
  const { vt, timeline } = local(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(timeline, rec);
  seq.scheduleNote(0, 3, 50, 90, 16);
  const t0 = seq.start();
  vt.advanceTo(t0 + 1_000_000);
  await timeline.close();
  assert.equal(seq.closed, true);
  assert.deepEqual(rec.messages.map((m) => describeMidi(m.data)), ['noteon ch3 50 vel 90', 'noteoff ch3 50 vel 0']);
  assert.equal(rec.messages[1]?.timeMicros, t0 + 1_000_000);
  vt.advance(10_000_000);
  assert.equal(rec.messages.length, 2, 'nothing after');
  assert.throws(() => seq.start(), { code: 'E_CLOSED' });
});
