// The audio-thread variants of Link's session state API (captureAudioSessionState /
// commitAudioSessionState) on VirtualTime + FakeNetwork: the same state and the same effects as
// the application variants, peers included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionState } from '../../src/link/session-state.ts';
import { enableAll, phaseSpreadMicros, world } from './helpers.ts';

const view = (s: SessionState) => ({ timeline: s.timeline, tempo: s.tempo, isPlaying: s.isPlaying, time: s.timeForIsPlaying(), respectQuantum: s.respectQuantum });

test('captureAudioSessionState is the application state, alone and with peers', () => {
  const w = world();
  const a = w.add({}, { bpm: 133 });
  const b = w.add({ clockOffsetMicros: 4_321_000 });
  assert.deepEqual(view(a.link.captureAudioSessionState()), view(a.link.captureAppSessionState()));
  assert.equal(a.link.captureAudioSessionState().respectQuantum, false, 'alone: beat requests re-map at once');
  enableAll(w, 1_000_000, 3_000_000);
  for (const p of [a, b]) {
    const audio = p.link.captureAudioSessionState();
    assert.deepEqual(view(audio), view(p.link.captureAppSessionState()));
    assert.equal(audio.respectQuantum, true, 'with peers: the shared phase is kept');
  }
});

test('commitAudioSessionState changes tempo and transport for every peer, with the same events as an application commit', () => {
  const w = world();
  const a = w.add({}, { startStopSync: true });
  const b = w.add({ clockOffsetMicros: 1_000_000 }, { startStopSync: true });
  enableAll(w, 0, 3_000_000);
  const events: string[] = [];
  a.link.on('tempo', (bpm) => events.push(`a tempo ${bpm}`)).on('playing', (p) => events.push(`a playing ${p}`));
  b.link.on('tempo', (bpm) => events.push(`b tempo ${bpm}`)).on('playing', (p) => events.push(`b playing ${p}`));
  const s = a.link.captureAudioSessionState();
  const now = a.host.runtime.clock.micros();
  s.setTempo(141.5, now);
  s.setIsPlaying(true, now + 100_000);
  a.link.commitAudioSessionState(s);
  assert.deepEqual([...events].sort(), ['a playing true', 'a tempo 141.5'], 'applied at once, locally');
  const mine = a.link.captureAppSessionState();
  assert.equal(mine.tempo, 141.5);
  assert.equal(mine.beatAtTime(now, 4), s.beatAtTime(now, 4), 'the committed line is the one in the state');
  w.vt.advance(10_000);
  const theirs = b.link.captureAudioSessionState();
  assert.ok(Math.abs(theirs.tempo - 141.5) < 1e-3);
  assert.equal(theirs.isPlaying, true);
  // Same start instant on the true time line (b's clock reads 1 s ahead).
  assert.ok(Math.abs(theirs.timeForIsPlaying() - 1_000_000 - (now + 100_000)) <= 1);
  // b's tempo comes from the wire (µs per beat): 141.5 within a µs per beat.
  assert.deepEqual(events.slice(2).map((e) => e.replace(/tempo 141\.5\d*/, 'tempo 141.5')).sort(), ['b playing true', 'b tempo 141.5']);
  assert.ok(phaseSpreadMicros(w) <= 1);
  // And back: a stop committed through b's audio variant reaches a.
  const stop = b.link.captureAudioSessionState();
  stop.setIsPlaying(false, b.host.runtime.clock.micros());
  b.link.commitAudioSessionState(stop);
  w.vt.advance(100_000);
  assert.equal(a.link.captureAudioSessionState().isPlaying, false);
});

test('an audio commit applies only what the state changed since its capture', () => {
  const w = world();
  const a = w.add();
  const stale = a.link.captureAudioSessionState(); // the audio callback's copy
  const app = a.link.captureAppSessionState();
  app.setIsPlaying(true, a.host.runtime.clock.micros());
  a.link.commitAppSessionState(app); // the application starts meanwhile
  stale.setTempo(90, a.host.runtime.clock.micros());
  a.link.commitAudioSessionState(stale);
  const s = a.link.captureAudioSessionState();
  assert.equal(s.tempo, 90);
  assert.equal(s.isPlaying, true, 'the start was kept');
  // Committing an unchanged capture changes nothing and emits nothing.
  const events: string[] = [];
  a.link.on('tempo', () => events.push('tempo')).on('playing', () => events.push('playing'));
  const before = view(a.link.captureAppSessionState());
  a.link.commitAudioSessionState(a.link.captureAudioSessionState());
  assert.deepEqual(view(a.link.captureAppSessionState()), before);
  assert.deepEqual(events, []);
});

test('with peers, a beat request through the audio variant keeps the shared phase', () => {
  const w = world();
  const a = w.add();
  const b = w.add({ clockOffsetMicros: 777_000 });
  enableAll(w, 500_000, 3_000_000);
  const s = a.link.captureAudioSessionState();
  const t = a.host.runtime.clock.micros() + 50_000;
  const phaseBefore = s.phaseAtTime(t, 4);
  s.requestBeatAtTime(0, t, 4);
  a.link.commitAudioSessionState(s);
  w.vt.advance(100_000);
  assert.ok(Math.abs(a.link.captureAppSessionState().phaseAtTime(t, 4) - phaseBefore) < 1e-5, 'the phase did not move');
  assert.ok(phaseSpreadMicros(w) <= 1);
  assert.deepEqual([a.warnings, b.warnings], [[], []]);
});

test('an audio commit outside what peers can share is refused (RangeError) and changes nothing; a non-state is a TypeError', () => {
  const w = world();
  const a = w.add();
  const before = view(a.link.captureAppSessionState());
  const far = new SessionState({ timeline: { microsPerBeat: 500_000, beatOrigin: 0, timeOrigin: 2 ** 51 }, isPlaying: true, timeForIsPlaying: 0 });
  assert.throws(() => a.link.commitAudioSessionState(far), { name: 'RangeError', message: /outside what Link peers can share/ });
  assert.throws(() => a.link.commitAudioSessionState({} as SessionState), TypeError);
  assert.deepEqual(view(a.link.captureAppSessionState()), before);
});

test('an audio commit whose beats now lie beyond ±1.1·10^9 is refused like any other unsharable timeline', () => {
  // LinkPeer.commitAppSessionState's doc: RangeError, changing nothing, for "beats beyond
  // ±1.1·10^9". A state whose beat magnitude is out there cannot be used afterwards either:
  // timeAtBeat(beatAtTime(now)) throws.
  const w = world();
  const a = w.add();
  const now = a.host.runtime.clock.micros();
  const before = view(a.link.captureAppSessionState());
  const huge = new SessionState({ timeline: { microsPerBeat: 500_000, beatOrigin: 2 ** 53 - 10, timeOrigin: now } });
  assert.throws(() => a.link.commitAudioSessionState(huge), RangeError);
  assert.deepEqual(view(a.link.captureAppSessionState()), before);
  const s = a.link.captureAudioSessionState();
  assert.doesNotThrow(() => s.timeAtBeat(s.beatAtTime(now, 4), 4));
});
