// Scenario tests of LinkSequencer on VirtualTime: no sleeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeMidi, type MidiData } from 'midi-file';
import { LinkPeer } from '../link/link-peer.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { describeMidi, RecordingOutput } from './output.ts';
import { LinkSequencer } from './sequencer.ts';
import { parseSmf } from './smf.ts';

function offline(bpm = 120) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const link = new LinkPeer(net.addHost({ name: 'a' }).runtime, { bpm });
  return { vt, link };
}

const lines = (rec: RecordingOutput, t0: number) =>
  rec.messages.map((m) => `${((m.timeMicros - t0) / 500_000).toFixed(3)} ${describeMidi(m.data)}`);

test('notes play at their song beats with automatic note-offs (C-major arpeggio)', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput({ clock: vt });
  const seq = new LinkSequencer(link, rec).open();
  [60, 64, 67, 72].forEach((n, i) => seq.scheduleNote(i, 1, n, 100, 0.5));
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 2_500_000);
  assert.deepEqual(lines(rec, t0), [
    '0.000 noteon ch1 60 vel 100', '0.500 noteoff ch1 60 vel 0',
    '1.000 noteon ch1 64 vel 100', '1.500 noteoff ch1 64 vel 0',
    '2.000 noteon ch1 67 vel 100', '2.500 noteoff ch1 67 vel 0',
    '3.000 noteon ch1 72 vel 100', '3.500 noteoff ch1 72 vel 0',
  ]);
  const s = link.captureAppSessionState();
  assert.equal(rec.messages[2]?.timeMicros, s.timeAtBeat(1, 4));
  assert.ok(rec.messages.every((m) => (m.calledAtMicros as number) < m.timeMicros), 'handed out ahead of time');
  seq.close();
});

test('stop() sends a note-off for every sounding note at the stop time, and nothing after', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec).open();
  seq.scheduleNote(0, 1, 60, 90, 8);
  seq.scheduleNote(0.5, 2, 36, 90, 8);
  seq.scheduleEvent(1, [0x92, 40, 64]); // a raw note-on without a scheduled off
  seq.scheduleNote(6, 1, 62, 90, 1);
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 1_000_000); // beat 2
  const stopAt = seq.stop();
  vt.advance(5_000_000);
  const offs = rec.messages.filter((m) => describeMidi(m.data).startsWith('noteoff'));
  assert.deepEqual(offs.map((m) => describeMidi(m.data)).sort(), ['noteoff ch1 60 vel 0', 'noteoff ch2 36 vel 0', 'noteoff ch3 40 vel 0']);
  for (const m of offs) assert.equal(m.timeMicros, stopAt);
  assert.ok(rec.messages.every((m) => m.timeMicros <= stopAt));
  assert.equal(seq.playing, false);
  seq.close();
});

test('a looping 4-beat pattern repeats exactly; a note ringing across the loop end is released in the next pass', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec, { loop: { lengthBeats: 4 } }).open();
  seq.scheduleNote(0, 1, 48, 100, 1);
  seq.scheduleNote(3.5, 1, 55, 100, 1); // ends at beat 4.5: in the next pass
  seq.scheduleNote(4.5, 1, 99, 100, 1); // outside the loop: never plays
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 4 * 4 * 500_000 - 100_000); // 4 passes, before the 5th is handed out
  const s = link.captureAppSessionState();
  const ons = rec.messages.filter((m) => describeMidi(m.data).startsWith('noteon'));
  assert.equal(ons.length, 8);
  ons.forEach((m, i) => {
    const bar = Math.floor(i / 2);
    assert.equal(m.timeMicros, s.timeAtBeat(bar * 4 + (i % 2 === 0 ? 0 : 3.5), 4));
  });
  const offs55 = rec.messages.filter((m) => describeMidi(m.data) === 'noteoff ch1 55 vel 0');
  assert.deepEqual(offs55.map((m) => s.beatAtTime(m.timeMicros, 4)), [4.5, 8.5, 12.5]);
  // At the loop boundary the off of 55 (4.5) comes after the on of 48 (4.0), both in order.
  assert.ok(!rec.messages.some((m) => describeMidi(m.data).includes(' 99 ')));
  seq.close();
});

test('note-offs go before note-ons at the same time (a repeated note re-attacks)', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec).open();
  seq.scheduleNote(0, 1, 60, 100, 1);
  seq.scheduleNote(1, 1, 60, 100, 1);
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 1_200_000);
  assert.deepEqual(lines(rec, t0), ['0.000 noteon ch1 60 vel 100', '1.000 noteoff ch1 60 vel 0', '1.000 noteon ch1 60 vel 100', '2.000 noteoff ch1 60 vel 0']);
  seq.close();
});

test('live edit: a note added inside the handed-out window still sounds if ahead of now; one behind now does not', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput({ clock: vt });
  const seq = new LinkSequencer(link, rec, { lookaheadMicros: 100_000, intervalMicros: 20_000 }).open();
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 1_000_000); // beat 2.0; handed out to ≈ beat 2.2
  const s = link.captureAppSessionState();
  seq.scheduleNote(2.1, 10, 38, 110, 0.05); // ahead of now, inside the handed-out window
  seq.scheduleNote(1.9, 10, 42, 110, 0.05); // already past
  vt.advance(500_000);
  const got = rec.messages.map((m) => describeMidi(m.data));
  assert.deepEqual(got, ['noteon ch10 38 vel 110', 'noteoff ch10 38 vel 0']);
  assert.equal(rec.messages[0]?.timeMicros, s.timeAtBeat(2.1, 4));
  assert.equal(rec.messages[1]?.timeMicros, s.timeAtBeat(2.15, 4));
  seq.close();
});

test('events added later in the song and removed events follow the edits', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec).open();
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 100_000);
  const a = seq.scheduleCc(2, 1, 74, 10);
  seq.scheduleCc(3, 1, 74, 20);
  assert.equal(seq.removeEvent(a), true);
  vt.advance(2_000_000);
  assert.deepEqual(rec.messages.map((m) => describeMidi(m.data)), ['cc ch1 74=20']);
  seq.clearEvents();
  assert.equal(seq.size, 0);
  seq.close();
});

test('a tempo change mid-pattern: handed-out notes stay, later notes follow the new timeline, none duplicated', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec).open();
  for (let i = 0; i < 32; i++) seq.scheduleNote(i / 4, 1, 60 + (i % 12), 100, 0.125);
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 1_234_567);
  const before = link.captureAppSessionState();
  const tChange = seq.horizonMicros as number;
  const s = link.captureAppSessionState();
  s.setTempo(90, tChange);
  link.commitAppSessionState(s);
  const after = link.captureAppSessionState();
  vt.advance(10_000_000);
  const ons = rec.messages.filter((m) => describeMidi(m.data).startsWith('noteon'));
  assert.equal(ons.length, 32);
  ons.forEach((m, i) => {
    const old = before.timeAtBeat(i / 4, 4);
    assert.equal(m.timeMicros, old < tChange ? old : after.timeAtBeat(i / 4, 4), `note ${i}`);
  });
  seq.close();
});

test('.mid import: a two-track file plays at its beats on the Link tempo; its tempo map is reported', () => {
  const file: MidiData = {
    header: { format: 1, numTracks: 2, ticksPerBeat: 96 },
    tracks: [
      [
        { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 600_000 },
        { deltaTime: 0, meta: true, type: 'timeSignature', numerator: 3, denominator: 4, metronome: 24, thirtyseconds: 8 },
        { deltaTime: 192, meta: true, type: 'setTempo', microsecondsPerBeat: 400_000 },
        { deltaTime: 0, meta: true, type: 'endOfTrack' },
      ],
      [
        { deltaTime: 0, meta: true, type: 'trackName', text: 'bass' },
        { deltaTime: 0, type: 'noteOn', channel: 1, noteNumber: 40, velocity: 100 },
        { deltaTime: 48, type: 'noteOff', channel: 1, noteNumber: 40, velocity: 0 },
        { deltaTime: 48, type: 'controller', channel: 1, controllerType: 74, value: 33 },
        { deltaTime: 96, type: 'noteOn', channel: 1, noteNumber: 43, velocity: 90 },
        { deltaTime: 96, type: 'noteOn', channel: 1, noteNumber: 43, velocity: 0 },
        { deltaTime: 0, type: 'pitchBend', channel: 1, value: -8192 },
        { deltaTime: 0, meta: true, type: 'endOfTrack' },
      ],
    ],
  };
  const song = parseSmf(Uint8Array.from(writeMidi(file)));
  assert.equal(song.tempoBpm, 100);
  assert.deepEqual(song.tempoChanges, [{ beat: 0, bpm: 100 }, { beat: 2, bpm: 150 }]);
  assert.deepEqual(song.timeSignature, { numerator: 3, denominator: 4 });
  assert.equal(song.trackNames[1], 'bass');
  assert.equal(song.lengthBeats, 3);
  assert.deepEqual(song.events.map((e) => [e.beat, describeMidi(e.data)]), [
    [0, 'noteon ch2 40 vel 100'], [0.5, 'noteoff ch2 40 vel 0'], [1, 'cc ch2 74=33'],
    [2, 'noteon ch2 43 vel 90'], [3, 'noteon ch2 43 vel 0'], [3, 'pitchbend ch2 -8192'],
  ]);
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec).open();
  assert.equal(seq.loadSmf(song), 6);
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 2_000_000);
  const s = link.captureAppSessionState();
  assert.deepEqual(rec.messages.map((m) => s.beatAtTime(m.timeMicros, 4)), [0, 0.5, 1, 2, 3, 3]);
  assert.throws(() => parseSmf(Uint8Array.of(1, 2, 3)), { code: 'E_DECODE' });
  seq.close();
});

test('drums on channel 10 from raw bytes keep their order at equal beats', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec).open();
  seq.scheduleNote(0, 10, 36, 120, 0.1);
  seq.scheduleNote(0, 10, 42, 80, 0.1);
  seq.scheduleEvent(0, [0xb9, 7, 100]);
  const t0 = seq.start();
  vt.advance(t0 - vt.micros() + 200_000);
  assert.deepEqual(rec.messages.slice(0, 3).map((m) => describeMidi(m.data)), ['noteon ch10 36 vel 120', 'noteon ch10 42 vel 80', 'cc ch10 7=100']);
  assert.throws(() => seq.scheduleEvent(0, [1, 2]), RangeError);
  assert.throws(() => seq.scheduleNote(-1, 1, 60, 100, 1), RangeError);
  seq.close();
});

test('stop({ atBeat }) stops exactly there: committed to Link only about a lookahead ahead, nothing after it', () => {
  const { vt, link } = offline(120);
  const rec = new RecordingOutput();
  const seq = new LinkSequencer(link, rec, { loop: { lengthBeats: 4 } }).open();
  seq.scheduleNote(0, 1, 60, 100, 0.5);
  seq.scheduleNote(3.5, 1, 67, 100, 1); // rings past the stop
  const t0 = seq.start();
  const stopAt = seq.stop({ atBeat: 8 });
  assert.equal(stopAt, link.captureAppSessionState().timeAtBeat(8, 4));
  vt.advance(t0 - vt.micros() + 3_500_000); // beat 7
  assert.equal(link.captureAppSessionState().isPlaying, true, 'peers are not told early');
  vt.advance(1_000_000);
  assert.equal(link.captureAppSessionState().isPlaying, false);
  assert.equal(link.captureAppSessionState().timeForIsPlaying(), stopAt);
  const s = link.captureAppSessionState();
  assert.deepEqual(lines(rec, t0).map((l) => l.split(' ').slice(0, 3).join(' ')), [
    '0.000 noteon ch1', '0.500 noteoff ch1', '3.500 noteon ch1',
    '4.000 noteon ch1', '4.500 noteoff ch1', '4.500 noteoff ch1', '7.500 noteon ch1', '8.000 noteoff ch1',
  ]);
  assert.ok(rec.messages.every((m) => m.timeMicros <= stopAt));
  assert.equal(s.beatAtTime(rec.messages.at(-1)?.timeMicros as number, 4), 8);
  seq.close();
});
