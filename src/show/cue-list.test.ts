// Cue lists: parsing, validation with one problem per bad entry (index and line), song
// positions, and the state a list implies at a position.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CueListError, mediaCueList, parseCueList, parseSongPosition, validateCueList } from './cue-list.ts';
import { cuesCrossed, cueStateAt, nextCueBeats } from './cue-state.ts';

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CueListError, String(err));
    assert.equal(err.code, 'E_DECODE');
    return err;
  }
  assert.fail('expected a CueListError');
};

describe('song positions', () => {
  it('"bar.beat" is 1-based as a DAW counts; numbers are beats from the top', () => {
    assert.equal(parseSongPosition('1.1'), 0);
    assert.equal(parseSongPosition('9.1'), 32);
    assert.equal(parseSongPosition('9'), 32);
    assert.equal(parseSongPosition('2.3'), 6);
    assert.equal(parseSongPosition('2.3.3'), 6.5);
    assert.equal(parseSongPosition('3.1', 3), 6);
    assert.equal(parseSongPosition(12.5), 12.5);
    assert.equal(parseSongPosition(0), 0);
  });

  it('bad positions say what is accepted', () => {
    for (const bad of ['0.1', '9.0', '9.5', '9.1.5', 'x', '', '9.1.1.1', '-1']) {
      assert.throws(() => parseSongPosition(bad), (e) => e instanceof RangeError && /bad position .*"bar\.beat"/.test(e.message), bad);
    }
    assert.throws(() => parseSongPosition(-1), RangeError);
    assert.throws(() => parseSongPosition(Number.NaN), RangeError);
    assert.throws(() => parseSongPosition(null), TypeError);
    assert.throws(() => parseSongPosition('4.4', 3), RangeError);
  });
});

describe('parseCueList', () => {
  const good = `{
  "bpm": 120,
  "cues": [
    { "at": "9.1", "do": "load", "file": "b.mp4" },
    { "at": "1.1", "do": "load", "file": "a.mp4", "comment": "intro" },
    { "at": "5.1", "do": "set", "property": "volume", "value": 50 },
    { "at": 64, "do": "command", "command": ["show-text", "Finale", 2000] },
    { "at": "9.1", "do": "seek", "to": 3 },
    { "at": "13.1", "do": "pause" },
    { "at": "14.1", "do": "play" }
  ]
}`;

  it('a valid list: sorted by position, entries at one position in the order written, files under baseDir', () => {
    const list = parseCueList(good, { baseDir: '/srv/show/' });
    assert.equal(list.bpm, 120);
    assert.equal(list.beatsPerBar, 4);
    assert.deepEqual(list.cues.map((c) => [c.atBeats, c.do, c.index]), [
      [0, 'load', 1], [16, 'set', 2], [32, 'load', 0], [32, 'seek', 4], [48, 'pause', 5], [52, 'play', 6], [64, 'command', 3],
    ]);
    assert.deepEqual(list.cues[0], { index: 1, atBeats: 0, do: 'load', file: '/srv/show/a.mp4', offsetSeconds: 0 });
    assert.deepEqual(list.cues[6], { index: 3, atBeats: 64, do: 'command', command: ['show-text', 'Finale', 2000] });
  });

  it('a bare array of cues; absolute paths and URLs are kept', () => {
    const list = parseCueList('[{"at":"1.1","do":"load","file":"/abs/a.mp4"},{"at":"2.1","do":"load","file":"av://lavfi:testsrc"}]', { baseDir: '/x', fileExists: (f) => f === '/abs/a.mp4' });
    assert.deepEqual(list.cues.map((c) => (c.do === 'load' ? c.file : '')), ['/abs/a.mp4', 'av://lavfi:testsrc']);
    assert.equal(list.bpm, undefined);
  });

  it('every bad entry is reported, with its index, its line and what is wrong', () => {
    const text = `{
  "cues": [
    { "at": "1.1", "do": "load", "file": "a.mp4" },
    { "at": "3.1", "do": "jump", "to": 4 },
    { "at": "5.1", "do": "load" },
    { "at": "9.7", "do": "pause" },
    { "at": "9.1", "do": "load", "flie": "b.mp4", "file": "b.mp4" },
    { "at": "10.1", "do": "set", "property": "volume" },
    { "at": "11.1", "do": "command", "command": [] },
    { "at": "12.1", "do": "seek", "to": -2 },
    42,
    { "at": "13.1", "do": "load", "file": "gone.mp4", "offset": "x" }
  ]
}`;
    const err = problemsOf(() => parseCueList(text, { fileExists: (f) => f !== 'gone.mp4' }));
    const got = err.problems.map((p) => [p.index, p.line, p.message.split(' ').slice(0, 3).join(' ')]);
    assert.deepEqual(got, [
      [1, 4, "unknown action \"jump\""],
      [2, 5, 'missing file: load'],
      [3, 6, 'bad position "9.7":'],
      [4, 7, "unknown field 'flie'"],
      [5, 8, 'set needs "value"'],
      [6, 9, 'command must be'],
      [7, 10, 'to must be'],
      [8, 11, 'a cue is'],
      [9, 12, 'offset must be'],
      [9, 12, 'file not found:'],
    ]);
    assert.match(err.problems[9]!.message, /file not found: "gone\.mp4"/);
    assert.match(err.message, /^cue list: 10 problems:\n {2}cue 2, line 4: unknown action "jump" \(load, seek, pause, play, set, command\)\n/);
  });

  it('the list as a whole: JSON syntax (with its line), wrong shapes, bad header fields', () => {
    const syntax = problemsOf(() => parseCueList('{\n  "cues": [\n    { "at": "1.1", }\n  ]\n}'));
    assert.equal(syntax.problems.length, 1);
    assert.match(syntax.problems[0]!.message, /^not valid JSON/);
    assert.equal(syntax.problems[0]!.line, 3);
    assert.match(problemsOf(() => parseCueList('"cues"')).message, /an array of cues or an object with "cues"/);
    assert.match(problemsOf(() => parseCueList('{}')).message, /no cues/);
    assert.match(problemsOf(() => parseCueList('{"cues": {}}')).message, /"cues" must be an array/);
    const header = problemsOf(() => parseCueList('{"bpm": 0, "beatsPerBar": 4.5, "tempo": 1, "cues": []}'));
    assert.deepEqual(header.problems.map((p) => p.message.split(' ')[0]), ['unknown', 'bpm', 'beatsPerBar']);
    assert.throws(() => parseCueList(42 as never), TypeError);
  });

  it('beatsPerBar applies to every position; validateCueList takes a parsed value', () => {
    const list = validateCueList({ beatsPerBar: 3, cues: [{ at: '3.1', do: 'load', file: 'a.mp4' }] });
    assert.equal(list.cues[0]!.atBeats, 6);
    assert.equal(problemsOf(() => validateCueList({ beatsPerBar: 3, cues: [{ at: '3.4', do: 'pause' }] })).problems[0]!.index, 0);
  });
});

describe('the state a cue list implies', () => {
  const list = parseCueList(`[
    { "at": "1.1", "do": "load", "file": "a.mp4" },
    { "at": "3.1", "do": "set", "property": "volume", "value": 70 },
    { "at": "5.1", "do": "seek", "to": 30 },
    { "at": "7.1", "do": "pause" },
    { "at": "8.1", "do": "play" },
    { "at": "9.1", "do": "load", "file": "b.mp4", "offset": 2 },
    { "at": "9.3", "do": "command", "command": ["show-text", "hi"] }
  ]`);

  it('file and media time at positions: loads, seeks, pauses, plays, at a tempo', () => {
    const at = (beats: number, bpm = 120) => {
      const s = cueStateAt(list, beats, bpm);
      return [s.file, Math.round(s.mediaSeconds * 1000) / 1000, s.paused];
    };
    assert.deepEqual(at(0), ['a.mp4', 0, false]);
    assert.deepEqual(at(6), ['a.mp4', 3, false]);
    assert.deepEqual(at(6, 60), ['a.mp4', 6, false]);
    assert.deepEqual(at(16), ['a.mp4', 30, false]); // seek at bar 5
    assert.deepEqual(at(20), ['a.mp4', 32, false]);
    assert.deepEqual(at(24), ['a.mp4', 34, true]); // paused at bar 7
    assert.deepEqual(at(26), ['a.mp4', 34, true]);
    assert.deepEqual(at(30), ['a.mp4', 35, false]); // plays on from bar 8
    assert.deepEqual(at(32), ['b.mp4', 2, false]);
    assert.deepEqual(at(40), ['b.mp4', 6, false]);
    assert.deepEqual(at(-1), ['a.mp4', -0.5, false], 'before the top: not started yet');
    assert.deepEqual(cueStateAt(list, 10, 120).properties, new Map([['volume', 70]]));
    assert.equal(cueStateAt(list, 7, 120).properties.size, 0);
  });

  it('nothing is loaded before the first load; segments change at media cues only', () => {
    const late = validateCueList([{ at: '5.1', do: 'load', file: 'x.mp4' }]);
    assert.equal(cueStateAt(late, 4, 120).file, undefined);
    assert.equal(cueStateAt(late, 16, 120).file, 'x.mp4');
    assert.equal(cueStateAt(list, 9, 120).segment, cueStateAt(list, 15, 120).segment, 'a set cue is no segment');
    assert.notEqual(cueStateAt(list, 15, 120).segment, cueStateAt(list, 17, 120).segment);
  });

  it('cues crossed in (after, upto]; the next cue', () => {
    assert.deepEqual(cuesCrossed(list, 0, 16).map((c) => c.atBeats), [8, 16]);
    assert.deepEqual(cuesCrossed(list, 16, 16), []);
    assert.equal(nextCueBeats(list, 32), 34);
    assert.equal(nextCueBeats(list, 34), undefined);
  });

  it('mediaCueList: one file from the top', () => {
    assert.deepEqual(cueStateAt(mediaCueList('show.mp4'), 8, 120), { file: 'show.mp4', mediaSeconds: 4, paused: false, segment: 0, properties: new Map() });
    assert.throws(() => mediaCueList(''), TypeError);
  });
});
