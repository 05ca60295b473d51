// Standard MIDI File import: valid files checked against what midi-file's writeMidi wrote (an
// independent writer), every corrupt class with its exact message, a fuzz sweep, and memory.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeMidi, type MidiData, type MidiEvent } from 'midi-file';
import { DecodeError } from '../core/errors.ts';
import { parseSmf, SMF_LIMITS, type SmfParseOptions, type SmfSong } from './smf.ts';
import { SeededRandom } from '../core/prng.ts';

// ---- hand-built files ---------------------------------------------------------------------

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const chunk = (type: string, body: number[], declared = body.length): number[] => [...ascii(type), ...u32(declared), ...body];
const mthd = (format: number, ntrks: number, division = 96): number[] =>
  chunk('MThd', [0, format, ntrks >> 8, ntrks & 255, (division >> 8) & 255, division & 255]);
const mtrk = (...events: number[][]): number[] => chunk('MTrk', events.flat());
const EOT = [0, 0xff, 0x2f, 0];
const file = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());
/** Bytes of a file whose first track starts at byte 22 (MThd 14 + MTrk header 8). */
const TRACK0 = 22;

const rows = (song: SmfSong) => song.events.map((e) => [e.beat, e.track, Array.from(e.data)]);
const printable = (s: string) => /^[\x20-\x7e]*$/.test(s);

function parseWarned(bytes: Uint8Array, options: SmfParseOptions = {}): { song: SmfSong; seen: string[] } {
  const seen: string[] = [];
  const song = parseSmf(bytes, { ...options, onWarning: (w) => seen.push(w) });
  assert.deepEqual(seen, song.warnings, 'onWarning sees what song.warnings keeps');
  return { song, seen };
}

function decodeError(bytes: Uint8Array, message: string, offset: number, options: SmfParseOptions = {}): void {
  assert.throws(() => parseSmf(bytes, options), (err: unknown) => {
    assert.ok(err instanceof DecodeError, `a DecodeError, got ${String(err)}`);
    assert.equal(err.code, 'E_DECODE');
    assert.equal(err.message, `${message} (at offset ${offset})`);
    assert.equal(err.offset, offset);
    assert.ok(printable(err.message), `printable: ${JSON.stringify(err.message)}`);
    return true;
  });
}

// ---- the independent expectation from the data handed to writeMidi ------------------------

function bytesOf(e: MidiEvent): number[] | undefined {
  switch (e.type) {
    case 'noteOn': return [0x90 | e.channel, e.noteNumber, e.velocity];
    case 'noteOff': return [(e.byte9 ? 0x90 : 0x80) | e.channel, e.noteNumber, e.velocity];
    case 'noteAftertouch': return [0xa0 | e.channel, e.noteNumber, e.amount];
    case 'controller': return [0xb0 | e.channel, e.controllerType, e.value];
    case 'programChange': return [0xc0 | e.channel, e.programNumber];
    case 'channelAftertouch': return [0xd0 | e.channel, e.amount];
    case 'pitchBend': return [0xe0 | e.channel, (e.value + 0x2000) & 0x7f, (e.value + 0x2000) >> 7];
    case 'sysEx': return [0xf0, ...Array.from(e.data)];
    default: return undefined;
  }
}

/** What parseSmf must return for `data`: events sorted by (tick, track, position), tempos, names. */
function expectation(data: MidiData, ticksPerBeat: number) {
  const all: Array<{ tick: number; track: number; i: number; e: MidiEvent }> = [];
  data.tracks.forEach((events, track) => {
    let tick = 0;
    events.forEach((e, i) => all.push({ tick: (tick += e.deltaTime), track, i, e }));
  });
  all.sort((a, b) => a.tick - b.tick || a.track - b.track || a.i - b.i);
  const trackNames: string[] = [];
  for (const { track, e } of all) if (e.type === 'trackName') trackNames[track] = e.text;
  return {
    rows: all.flatMap(({ tick, track, e }) => {
      const b = bytesOf(e);
      return b ? [[tick / ticksPerBeat, track, b]] : [];
    }),
    tempoChanges: all.flatMap(({ tick, e }) => (e.type === 'setTempo' ? [{ beat: tick / ticksPerBeat, bpm: 60e6 / e.microsecondsPerBeat }] : [])),
    lengthBeats: Math.max(0, ...all.map((r) => r.tick)) / ticksPerBeat,
    trackNames,
  };
}

/** A seeded PRNG (core's mulberry32), so every run sees the same "random" files. */
function mulberry32(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.float();
}

function randomSong(seed: number): MidiData {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const delta = () => [0, 0, 1, 12, 96, 200, 5000, 20_000_000][int(8)]!;
  const tracks: MidiEvent[][] = [];
  const format = (seed % 3) as 0 | 1 | 2;
  const ntracks = format === 0 ? 1 : 1 + int(4);
  for (let t = 0; t < ntracks; t++) {
    const track: MidiEvent[] = [{ deltaTime: 0, meta: true, type: 'trackName', text: `track ${t}` }];
    if (t === 0) track.push({ deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 400_000 + int(400_000) });
    for (let i = int(60); i > 0; i--) {
      const channel = int(16);
      const deltaTime = delta();
      switch (int(10)) {
        case 0: track.push({ deltaTime, type: 'noteOff', channel, noteNumber: int(128), velocity: int(128) }); break;
        case 1: track.push({ deltaTime, type: 'noteAftertouch', channel, noteNumber: int(128), amount: int(128) }); break;
        case 2: track.push({ deltaTime, type: 'controller', channel, controllerType: int(120), value: int(128) }); break;
        case 3: track.push({ deltaTime, type: 'programChange', channel, programNumber: int(128) }); break;
        case 4: track.push({ deltaTime, type: 'channelAftertouch', channel, amount: int(128) }); break;
        case 5: track.push({ deltaTime, type: 'pitchBend', channel, value: int(16384) - 8192 }); break;
        case 6: track.push({ deltaTime, type: 'sysEx', data: [...Array.from({ length: int(300) }, () => int(128)), 0xf7] }); break;
        case 7: track.push({ deltaTime, meta: true, type: 'setTempo', microsecondsPerBeat: 1 + int(0xffffff) }); break;
        case 8: track.push({ deltaTime, meta: true, type: 'text', text: 'x'.repeat(int(200)) }); break;
        default: track.push({ deltaTime, type: 'noteOn', channel, noteNumber: int(128), velocity: int(128) });
      }
    }
    track.push({ deltaTime: delta(), meta: true, type: 'endOfTrack' });
    tracks.push(track);
  }
  return { header: { format, numTracks: ntracks, ticksPerBeat: 1 + int(0x7fff) }, tracks };
}

describe('parseSmf: valid files, as midi-file wrote them', () => {
  it('a format 1 song: tempo, time signature, track names, every channel message, sysex, ties in file order', () => {
    const data: MidiData = {
      header: { format: 1, numTracks: 2, ticksPerBeat: 96 },
      tracks: [
        [
          { deltaTime: 0, meta: true, type: 'trackName', text: 'conductor' },
          { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 600_000 },
          { deltaTime: 0, meta: true, type: 'timeSignature', numerator: 6, denominator: 8, metronome: 24, thirtyseconds: 8 },
          { deltaTime: 0, type: 'sysEx', data: [0x7e, 0x7f, 0x09, 0x01, 0xf7] },
          { deltaTime: 192, meta: true, type: 'setTempo', microsecondsPerBeat: 400_000 },
          { deltaTime: 0, meta: true, type: 'timeSignature', numerator: 3, denominator: 4, metronome: 24, thirtyseconds: 8 },
          { deltaTime: 96, meta: true, type: 'endOfTrack' },
        ],
        [
          { deltaTime: 0, meta: true, type: 'trackName', text: 'Größe' },
          { deltaTime: 0, type: 'programChange', channel: 9, programNumber: 5 },
          { deltaTime: 0, type: 'noteOn', channel: 9, noteNumber: 36, velocity: 100 },
          { deltaTime: 48, type: 'noteOff', channel: 9, noteNumber: 36, velocity: 64 },
          { deltaTime: 0, type: 'noteAftertouch', channel: 9, noteNumber: 36, amount: 3 },
          { deltaTime: 0, type: 'channelAftertouch', channel: 9, amount: 4 },
          { deltaTime: 0, type: 'controller', channel: 9, controllerType: 7, value: 127 },
          { deltaTime: 144, type: 'pitchBend', channel: 9, value: 8191 },
          { deltaTime: 0, type: 'pitchBend', channel: 9, value: -8192 },
          { deltaTime: 0, meta: true, type: 'endOfTrack' },
        ],
      ],
    };
    for (const running of [false, true]) {
      const bytes = Uint8Array.from(writeMidi(data, { running }));
      const { song } = parseWarned(bytes);
      assert.deepEqual(song.warnings, []);
      assert.deepEqual(rows(song), [
        [0, 0, [0xf0, 0x7e, 0x7f, 0x09, 0x01, 0xf7]],
        [0, 1, [0xc9, 5]],
        [0, 1, [0x99, 36, 100]],
        [0.5, 1, [0x89, 36, 64]],
        [0.5, 1, [0xa9, 36, 3]],
        [0.5, 1, [0xd9, 4]],
        [0.5, 1, [0xb9, 7, 127]],
        [2, 1, [0xe9, 0x7f, 0x7f]],
        [2, 1, [0xe9, 0, 0]],
      ]);
      assert.equal(song.format, 1);
      assert.equal(song.ticksPerBeat, 96);
      assert.equal(song.tempoBpm, 100);
      assert.deepEqual(song.tempoChanges, [{ beat: 0, bpm: 100 }, { beat: 2, bpm: 150 }]);
      assert.deepEqual(song.timeSignature, { numerator: 6, denominator: 8 }, 'the first time signature');
      assert.deepEqual(song.trackNames, ['conductor', 'Größe'], 'Latin-1 text as midi-file wrote it');
      assert.equal(song.lengthBeats, 3, 'the latest end-of-track');
    }
  });

  it('random songs of format 0, 1 and 2, with and without running status, equal what was written', () => {
    for (let seed = 1; seed <= 150; seed++) {
      const data = randomSong(seed);
      const bytes = Uint8Array.from(writeMidi(data, { running: seed % 2 === 0 }));
      const song = parseSmf(bytes, { maxBeats: Number.MAX_SAFE_INTEGER }); // deltas up to 2^28 - 1 ticks: the VLQ range
      const want = expectation(data, data.header.ticksPerBeat!);
      assert.deepEqual(song.warnings, [], `seed ${seed}`);
      assert.equal(song.format, data.header.format, `seed ${seed}`);
      assert.deepEqual(rows(song), want.rows, `seed ${seed}`);
      assert.deepEqual(song.tempoChanges, want.tempoChanges, `seed ${seed}`);
      assert.equal(song.tempoBpm, want.tempoChanges[0]?.bpm, `seed ${seed}`);
      assert.equal(song.lengthBeats, want.lengthBeats, `seed ${seed}`);
      assert.deepEqual(song.trackNames, want.trackNames, `seed ${seed}`);
    }
  });

  it('SMPTE division: ticks become beats at the first tempo (120 bpm without one); 29 fps is 29.97', () => {
    const track: MidiEvent[] = [
      { deltaTime: 1000, type: 'noteOn', channel: 0, noteNumber: 60, velocity: 1 },
      { deltaTime: 500, meta: true, type: 'endOfTrack' },
    ];
    const smpte = (fps: number, tpf: number, tempo?: number): SmfSong => parseSmf(Uint8Array.from(writeMidi({
      header: { format: 0, numTracks: 1, framesPerSecond: fps, ticksPerFrame: tpf },
      tracks: [tempo ? [{ deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: tempo }, ...track] : track],
    })));
    const at120 = smpte(25, 40); // 1000 ticks per second
    assert.equal(at120.ticksPerBeat, 500);
    assert.deepEqual(rows(at120), [[2, 0, [0x90, 60, 1]]]);
    assert.equal(at120.lengthBeats, 3);
    const at60 = smpte(25, 40, 1_000_000);
    assert.equal(at60.ticksPerBeat, 1000);
    assert.deepEqual(rows(at60), [[1, 0, [0x90, 60, 1]]]);
    assert.equal(smpte(29, 100).ticksPerBeat, 29.97 * 100 / 2);
    assert.equal(smpte(24, 4).ticksPerBeat, 48);
  });

  it('a sysex in packets is joined at its first packet; an F7 escape with a status byte is sent as is', () => {
    const bytes = file(mthd(0, 1), mtrk(
      [0, 0xf0, 3, 0x43, 0x12, 0x00], // F0 packet, not ended
      [10, 0xf7, 2, 0x01, 0xf7], // its continuation, 10 ticks later
      [0, 0xf7, 2, 0xf3, 0x05], // escape: song select
      [0, 0x90, 60, 100], [96, 60, 0], // running status after sysex and escape
      EOT,
    ));
    const { song } = parseWarned(bytes);
    assert.deepEqual(song.warnings, []);
    assert.deepEqual(rows(song), [
      [0, 0, [0xf0, 0x43, 0x12, 0x00, 0x01, 0xf7]],
      [10 / 96, 0, [0xf3, 0x05]],
      [10 / 96, 0, [0x90, 60, 100]],
      [106 / 96, 0, [0x90, 60, 0]],
    ]);
  });

  it('a sysex split into more than 4096 packets is ended there (memory the event count does not see), with a warning', () => {
    const packets = Array.from({ length: 5000 }, () => [0, 0xf7, 1, 0x01]);
    const song = parseSmf(file(mthd(0, 1), mtrk([0, 0xf0, 1, 0x43], ...packets, EOT)));
    assert.equal(song.events[0]!.data.length, 1 + 1 + 4096 + 1, 'F0, the first byte, 4096 joined packets, the F7 added');
    assert.deepEqual(Array.from(song.events[0]!.data.subarray(0, 3)), [0xf0, 0x43, 0x01]);
    assert.equal(song.events[0]!.data.at(-1), 0xf7);
    assert.match(song.warnings[0]!, /^track 0 at byte \d+: a sysex message continued in more than 4096 packets: ended it there$/);
    assert.match(song.warnings[1]!, /a sysex message without its final F7: ended it$/);
    // The packets after it are F7 events of their own: one byte each, not a MIDI message.
    assert.match(song.warnings[2]!, /an F7 packet that continues no sysex and is not one MIDI message: ignored/);
    assert.equal(song.events.length, 1);
  });

  it('running status carries across a meta event (lenient: the spec cancels it, files rely on it)', () => {
    const song = parseSmf(file(mthd(0, 1), mtrk([0, 0xb0, 7, 100], [0, 0xff, 0x01, 1, 0x41], [0, 10, 90], EOT)));
    assert.deepEqual(rows(song), [[0, 0, [0xb0, 7, 100]], [0, 0, [0xb0, 10, 90]]]);
    assert.deepEqual(song.warnings, []);
  });

  it('track names: UTF-8 when valid, Latin-1 otherwise', () => {
    const name = (bytes: number[]) => parseSmf(file(mthd(0, 1), mtrk([0, 0xff, 0x03, bytes.length, ...bytes], EOT))).trackNames[0];
    assert.equal(name([0x42, 0xc3, 0xa4, 0x73, 0x73]), 'Bäss');
    assert.equal(name([0x42, 0xe4, 0x73, 0x73]), 'Bäss');
  });

  it('unknown chunks are skipped (with a warning), and the tracks after them read', () => {
    const bytes = file(mthd(1, 2), chunk('XFIH', [1, 2, 3]), mtrk([0, 0x90, 1, 2], EOT), chunk('MTrk', [...EOT]));
    const { song } = parseWarned(bytes);
    assert.deepEqual(rows(song), [[0, 0, [0x90, 1, 2]]]);
    assert.deepEqual(song.warnings, ['unknown chunk "XFIH" at byte 14 (3 bytes) skipped']);
  });
});

describe('parseSmf: what is not a MIDI file throws a DecodeError naming the real thing', () => {
  it('the file does not start with MThd: its first 4 bytes quoted, never raw', () => {
    decodeError(Uint8Array.from([...ascii('RIFF'), 1, 2, 3, 4, ...ascii('RMIDdata')]),
      'not a Standard MIDI File: the file does not start with an MThd chunk (it starts with "RIFF")', 0);
    decodeError(Uint8Array.from([0x00, 0x1b, 0x9b, 0x22, 0x5c, 0xff, 0xfe]),
      'not a Standard MIDI File: the file does not start with an MThd chunk (it starts with "\\x00\\x1b\\x9b\\x22")', 0);
    decodeError(Uint8Array.from(ascii('MTh')), 'not a Standard MIDI File: the file does not start with an MThd chunk (it starts with "MTh")', 0);
    decodeError(new Uint8Array(0), 'not a Standard MIDI File: the file does not start with an MThd chunk (the file is empty)', 0);
    decodeError(Uint8Array.from(ascii('MHdr0000')), 'not a Standard MIDI File: the file does not start with an MThd chunk (it starts with "MHdr")', 0);
  });

  it('a broken MThd chunk', () => {
    decodeError(Uint8Array.from([...ascii('MThd'), 0, 0]), 'MThd chunk: the file ends after 6 bytes, inside the chunk header', 6);
    decodeError(file(chunk('MThd', [0, 1, 0, 1])), 'MThd chunk: length 4 is too short (at least 6)', 4);
    decodeError(file(chunk('MThd', [0, 1], 6)), 'MThd chunk: length 6 runs past the end of the file (10 bytes)', 4);
    decodeError(file(mthd(3, 1), mtrk(EOT)), 'MThd chunk: format 3 is not an SMF format (0, 1 or 2)', 8);
    decodeError(file(mthd(1, 1, 0), mtrk(EOT)), 'MThd chunk: division of 0 ticks per quarter note', 12);
    decodeError(file(mthd(1, 1, 0xe928), mtrk(EOT)), 'MThd chunk: SMPTE division of 23 frames per second (24, 25, 29 or 30)', 12);
    decodeError(file(mthd(1, 1, 0xe700), mtrk(EOT)), 'MThd chunk: SMPTE division of 0 ticks per frame', 12);
  });

  it('a header with no track', () => {
    decodeError(file(mthd(1, 1)), 'no MTrk chunk: the file has no tracks (its header announces 1)', 14);
  });

  it('a longer MThd is read (its extra bytes skipped, as the spec asks)', () => {
    const song = parseSmf(file(chunk('MThd', [0, 0, 0, 1, 0, 96, 9, 9]), mtrk([0, 0xc0, 1], EOT)));
    assert.deepEqual(rows(song), [[0, 0, [0xc0, 1]]]);
  });
});

describe('parseSmf: what can be recovered is read, with a warning', () => {
  const notes = (...extra: number[][]) => mtrk([0, 0x90, 60, 100], [96, 0x80, 60, 0], ...extra, EOT);

  it('a truncated last track plays what was read', () => {
    const whole = file(mthd(1, 2), notes(), notes([96, 0x90, 62, 100], [96, 0x80, 62, 0]));
    const cut = whole.subarray(0, whole.length - 6); // inside the last note-off
    const { song } = parseWarned(cut);
    assert.deepEqual(rows(song), [
      [0, 0, [0x90, 60, 100]], [0, 1, [0x90, 60, 100]], [1, 0, [0x80, 60, 0]], [1, 1, [0x80, 60, 0]], [2, 1, [0x90, 62, 100]],
    ]);
    assert.deepEqual(song.warnings, [`track 1 is truncated at byte ${cut.length}: its last events are missing (its MTrk chunk at byte 34 declares 20 bytes, the file has 14)`]);
    assert.equal(song.lengthBeats, 2);
  });

  it('a chunk that declares more than the file has, after its end-of-track', () => {
    const bytes = file(mthd(0, 1), chunk('MTrk', [0, 0x90, 60, 100, ...EOT], 100));
    assert.deepEqual(parseWarned(bytes).song.warnings, ['track 0: its MTrk chunk at byte 14 declares 100 bytes, the file has 8 (after its end-of-track event)']);
  });

  it('fewer or more MTrk chunks than the header announces', () => {
    assert.deepEqual(parseWarned(file(mthd(1, 3), notes(), notes())).song.warnings,
      ['the header announces 3 track(s) but the file has 2 MTrk chunk(s): all are read']);
    const more = parseWarned(file(mthd(1, 1), notes(), notes())).song;
    assert.deepEqual(more.warnings, ['the header announces 1 track(s) but the file has 2 MTrk chunk(s): all are read']);
    assert.equal(more.events.length, 4);
  });

  it('format 0 with more than one track', () => {
    const { song } = parseWarned(file(mthd(0, 2), notes(), notes()));
    assert.deepEqual(song.warnings, ['format 0 file with 2 tracks (format 0 has one): all are played']);
    assert.equal(song.events.length, 4);
  });

  it('a track without end-of-track', () => {
    const { song } = parseWarned(file(mthd(0, 1), mtrk([0, 0x90, 60, 100], [96, 60, 0])));
    assert.deepEqual(song.warnings, ['track 0 has no end-of-track event']);
    assert.deepEqual(rows(song), [[0, 0, [0x90, 60, 100]], [1, 0, [0x90, 60, 0]]]);
  });

  it('events after end-of-track are ignored', () => {
    const { song } = parseWarned(file(mthd(0, 1), mtrk([0, 0x90, 60, 100], EOT, [0, 0x90, 61, 100])));
    assert.deepEqual(song.warnings, [`track 0: 4 byte(s) after its end-of-track event (at byte ${TRACK0 + 8}) ignored`]);
    assert.deepEqual(rows(song), [[0, 0, [0x90, 60, 100]]]);
  });

  it('an event that runs past the end of its chunk (a length too short), the next track still read', () => {
    const { song } = parseWarned(file(mthd(1, 2), mtrk([0, 0x90, 60, 100], [0, 0x90, 61]), notes()));
    assert.deepEqual(song.warnings, [`track 0: the event at byte ${TRACK0 + 4} runs past the end of its MTrk chunk (byte ${TRACK0 + 7}): ignored`]);
    assert.deepEqual(rows(song), [[0, 0, [0x90, 60, 100]], [0, 1, [0x90, 60, 100]], [1, 1, [0x80, 60, 0]]]);
  });

  it('running status with no status before: the data bytes are skipped to the next status byte', () => {
    const { song } = parseWarned(file(mthd(0, 1), mtrk([0, 0x3c, 0x40, 0x90, 0x3c, 0x41], EOT)));
    assert.deepEqual(song.warnings, [`track 0 at byte ${TRACK0 + 1}: data byte 0x3c with no running status: skipped 2 byte(s) to the next status byte`]);
    assert.deepEqual(rows(song), [[0, 0, [0x90, 0x3c, 0x41]]]);
  });

  it('a byte > 0x7f where a data byte is expected is masked to 7 bits', () => {
    const { song } = parseWarned(file(mthd(0, 1), mtrk([0, 0x90, 0x3c, 0xc0], EOT)));
    assert.deepEqual(song.warnings, [`track 0 at byte ${TRACK0 + 3}: byte 0xc0 where a data byte of status 0x90 was expected: used 0x40`]);
    assert.deepEqual(rows(song), [[0, 0, [0x90, 0x3c, 0x40]]]);
  });

  it('a variable-length number longer than 4 bytes keeps its last 28 bits', () => {
    const { song } = parseWarned(file(mthd(0, 1), mtrk([0x81, 0x80, 0x80, 0x80, 0x01, 0x90, 60, 100], EOT)));
    assert.deepEqual(song.warnings, [`track 0 at byte ${TRACK0}: a variable-length number of 5 bytes (at most 4): used its last 28 bits`]);
    assert.deepEqual(rows(song), [[1 / 96, 0, [0x90, 60, 100]]]);
  });

  it('a status byte that a MIDI file cannot hold ends its track', () => {
    const { song } = parseWarned(file(mthd(0, 1), mtrk([0, 0x90, 60, 100], [0, 0xf4, 1, 2], [0, 0x90, 61, 100], EOT)));
    assert.deepEqual(song.warnings, [`track 0 at byte ${TRACK0 + 5}: status byte 0xf4 is not allowed in a MIDI file: the rest of the track is ignored`]);
    assert.deepEqual(rows(song), [[0, 0, [0x90, 60, 100]]]);
  });

  it('a sysex without F7 is ended; a tempo or time signature of the wrong size is ignored', () => {
    const { song } = parseWarned(file(mthd(0, 1), mtrk(
      [0, 0xf0, 2, 0x7e, 0x01],
      [0, 0xff, 0x51, 2, 0x07, 0xa1],
      [0, 0xff, 0x51, 3, 0, 0, 0],
      [0, 0xff, 0x58, 1, 4],
      [0, 0xff, 0x58, 4, 4, 9, 24, 8],
      [0, 0xf7, 1, 0x10],
      EOT,
    )));
    assert.deepEqual(song.warnings, [
      `track 0 at byte ${TRACK0 + 1}: a sysex message without its final F7: ended it`,
      `track 0 at byte ${TRACK0 + 6}: a tempo event of 2 bytes (3 expected): ignored`,
      `track 0 at byte ${TRACK0 + 12}: a tempo event of 0 microseconds per beat: ignored`,
      `track 0 at byte ${TRACK0 + 19}: a time signature of 1 bytes: ignored`,
      `track 0 at byte ${TRACK0 + 24}: a time signature of 4 bytes (4/2^9): ignored`,
      `track 0 at byte ${TRACK0 + 32}: an F7 packet that continues no sysex and is not one MIDI message: ignored`,
    ]);
    assert.deepEqual(rows(song), [[0, 0, [0xf0, 0x7e, 0x01, 0xf7]]]);
    assert.equal(song.tempoBpm, undefined);
    assert.deepEqual(song.tempoChanges, []);
    assert.equal(song.timeSignature, undefined);
  });

  it('bytes after the last chunk: too few for a chunk, or not a chunk', () => {
    assert.deepEqual(parseWarned(file(mthd(0, 1), notes(), [0, 0, 0])).song.warnings, [`3 byte(s) after the last chunk (at byte ${TRACK0 + 12}) ignored`]);
    const { song } = parseWarned(file(mthd(0, 1), notes(), [0x00, 0x90, 0x3c, 0x64, 1, 2, 3, 4]));
    assert.deepEqual(song.warnings, [`the bytes at ${TRACK0 + 12} are not a chunk (they start with "\\x00\\x90<d"): the rest of the file (8 bytes) is ignored`]);
    assert.equal(song.events.length, 2);
  });

  it('keeps the first maxWarnings warnings, then a count', () => {
    const bad = Array.from({ length: 30 }, () => [0, 0x90, 60, 0xff]);
    const { song, seen } = parseWarned(file(mthd(0, 1), mtrk(...bad)));
    assert.equal(song.warnings.length, SMF_LIMITS.maxWarnings + 1);
    assert.equal(song.warnings.at(-1), '11 more warning(s) not shown'); // 30 bad bytes + no end-of-track
    assert.equal(seen.length, 21);
    assert.equal(song.events.length, 30);
    assert.equal(parseSmf(file(mthd(0, 1), mtrk(...bad)), { maxWarnings: 2 }).warnings.length, 3);
  });
});

// ---- a fast generator for large valid files ----------------------------------------------

/**
 * A format 1 file of `tracks` tracks with `notesPerTrack` note-on/note-off pairs each (running
 * status: 3 bytes per event), plus `sysexBytes` of sysex in track 0 in 1 MiB messages.
 * Returns the bytes and its number of events of any kind.
 */
function bigSmf(tracks: number, notesPerTrack: number, sysexBytes = 0): { bytes: Uint8Array; events: number; messages: number } {
  const sysex = Math.ceil(sysexBytes / 2 ** 20);
  const size = 14 + tracks * (8 + 4 + 6 * notesPerTrack + 4) + 7 + sysex * (2 ** 20 + 6);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(ascii('MThd'));
  dv.setUint32(4, 6);
  dv.setUint16(8, 1);
  dv.setUint16(10, tracks);
  dv.setUint16(12, 480);
  let p = 14;
  let events = 0;
  let messages = 0;
  for (let t = 0; t < tracks; t++) {
    out.set(ascii('MTrk'), p);
    const lenAt = p + 4;
    p += 8;
    const start = p;
    if (t === 0) {
      out.set([0, 0xff, 0x51, 3, 0x07, 0xa1, 0x20], p);
      p += 7;
      events++;
      for (let s = 0; s < sysex; s++) {
        out.set([0, 0xf0, 0xc0, 0x80, 0x00], p); // length 2^20 as a VLQ
        p += 5;
        out.fill(0x11, p, p + 2 ** 20 - 1);
        out[p + 2 ** 20 - 1] = 0xf7;
        p += 2 ** 20;
        events++;
        messages++;
      }
    }
    out.set([0, 0x90 | (t & 15)], p);
    p += 2;
    for (let k = 0; k < notesPerTrack; k++) {
      if (k > 0) out[p++] = 0x3c;
      out[p++] = 36 + (k % 60);
      out[p++] = 100;
      out[p++] = 0x3c;
      out[p++] = 36 + (k % 60);
      out[p++] = 0;
    }
    events += 2 * notesPerTrack;
    messages += 2 * notesPerTrack;
    out.set(EOT, p);
    p += 4;
    events++;
    dv.setUint32(lenAt, p - start);
  }
  return { bytes: out.subarray(0, p), events, messages };
}

describe('parseSmf: limits and memory', () => {
  it('a large valid file (24 MB, 960 000 events) loads with bounded memory', (t) => {
    const rssBefore = process.memoryUsage().rss;
    const big = bigSmf(16, 30_000, 20 * 2 ** 20); // 960 000 note events + 20 sysex of 1 MiB
    assert.ok(big.bytes.length > 20e6, `${big.bytes.length} bytes`);
    const song = parseSmf(big.bytes);
    const growth = process.memoryUsage().rss - rssBefore;
    assert.equal(song.events.length, big.messages);
    assert.deepEqual(song.warnings, []);
    assert.equal(song.events[0]!.data.length, 2 ** 20 + 1, 'the sysex first, whole');
    assert.deepEqual(Array.from(song.events[20]!.data), [0x90, 36, 100]);
    assert.deepEqual(Array.from(song.events.at(-1)!.data), [0x9f, 36 + (29_999 % 60), 0]);
    assert.equal(song.lengthBeats, (2 * 30_000 - 1) * 60 / 480);
    for (let i = 1; i < song.events.length; i += 997) assert.ok(song.events[i]!.beat >= song.events[i - 1]!.beat);
    t.diagnostic(`${(big.bytes.length / 1e6).toFixed(1)} MB, ${big.events} events: RSS grew by ${(growth / 1e6).toFixed(0)} MB`);
    assert.ok(growth < 600e6, `RSS grew by ${(growth / 1e6).toFixed(0)} MB`);
  });

  it('a file beyond maxEvents is refused, naming the limit', () => {
    const over = bigSmf(2, 250_000); // 1 000 003 events
    assert.equal(over.events, SMF_LIMITS.maxEvents + 3);
    assert.throws(() => parseSmf(over.bytes), (err: unknown) => {
      assert.ok(err instanceof DecodeError);
      assert.match(err.message, /^the file has more events than the limit of 1,000,000 \(maxEvents\) \(at offset \d+\)$/);
      return true;
    });
    assert.equal(parseSmf(over.bytes, { maxEvents: over.events }).events.length, over.messages);
    decodeError(file(mthd(0, 1), notes3()), 'the file has more events than the limit of 2 (maxEvents)', TRACK0 + 8, { maxEvents: 2 });
  });

  it('a file beyond maxBytes is refused before it is read', () => {
    decodeError(new Uint8Array(SMF_LIMITS.maxBytes + 1), 'the file has 67,108,865 bytes; the limit is 67,108,864 (64 MiB, maxBytes)', 0);
    decodeError(file(mthd(0, 1), notes3()), 'the file has 33 bytes; the limit is 32 (maxBytes)', 0, { maxBytes: 32 });
    assert.throws(() => parseSmf(new Uint8Array(0), { maxEvents: -1 }), RangeError);
  });

  it('a song longer than maxBeats (deltas of 2^28 - 1 ticks) is refused before the timeline could overflow', () => {
    const far = mtrk(...Array.from({ length: 2000 }, () => [0xff, 0xff, 0xff, 0x7f, 0x90, 60, 100]), EOT);
    decodeError(file(mthd(0, 1, 1), far), 'the song is 536,870,910,000 beats long; the limit is 1,000,000 beats (maxBeats)', 0);
    // Within the limit it reads: 2 beats at 96 ticks per beat.
    assert.equal(parseSmf(file(mthd(0, 1), notes3()), { maxBeats: 1 }).events.length, 2);
    decodeError(file(mthd(0, 1, 1), mtrk([3, 0x90, 60, 100], EOT)), 'the song is 3 beats long; the limit is 2 beats (maxBeats)', 0, { maxBeats: 2 });
  });
});

function notes3(): number[] {
  return mtrk([0, 0x90, 60, 100], [1, 60, 0], EOT);
}

describe('parseSmf: fuzz', () => {
  it('thousands of mutated and truncated files: a song or a DecodeError, nothing else', { timeout: 120_000 }, (t) => {
    const rnd = mulberry32(12);
    const seeds = [3, 4, 5, 6].map((s) => Uint8Array.from(writeMidi(randomSong(s), { running: s % 2 === 0 })));
    let songs = 0;
    let errors = 0;
    for (let i = 0; i < 4000; i++) {
      const base = seeds[i % seeds.length]!;
      let bytes = base.slice();
      const kind = i % 4;
      if (kind === 0) bytes = bytes.subarray(0, Math.floor(rnd() * bytes.length));
      for (let m = 1 + Math.floor(rnd() * 8); m > 0 && kind !== 0; m--) {
        const at = Math.floor(rnd() * bytes.length);
        if (kind === 1) bytes[at] = Math.floor(rnd() * 256);
        else if (kind === 2) bytes[at] = [0x00, 0x7f, 0x80, 0xf0, 0xf7, 0xff, 0x2f, 0x90][Math.floor(rnd() * 8)]!;
        else bytes = Uint8Array.from([...bytes.subarray(0, at), ...(rnd() < 0.5 ? [] : [Math.floor(rnd() * 256)]), ...bytes.subarray(at + 1)]);
      }
      let song: SmfSong;
      try {
        song = parseSmf(bytes);
      } catch (err) {
        assert.ok(err instanceof DecodeError, `mutation ${i}: ${String(err)}`);
        assert.ok(printable(err.message), `mutation ${i}: ${JSON.stringify(err.message)}`);
        errors++;
        continue;
      }
      songs++;
      let last = 0;
      for (const e of song.events) {
        assert.ok(Number.isFinite(e.beat) && e.beat >= last, `mutation ${i}: beats in order`);
        last = e.beat;
        assert.ok(e.data.length > 0 && e.data[0]! >= 0x80, `mutation ${i}: a status byte first`);
        if (e.data[0]! < 0xf0) assert.ok(Array.from(e.data.subarray(1)).every((b) => b < 0x80), `mutation ${i}: data bytes`);
      }
      assert.ok(Number.isFinite(song.lengthBeats) && song.lengthBeats >= last, `mutation ${i}: length`);
      assert.ok(song.warnings.length <= SMF_LIMITS.maxWarnings + 1);
      for (const w of song.warnings) assert.ok(printable(w), `mutation ${i}: ${JSON.stringify(w)}`);
    }
    t.diagnostic(`${songs} songs, ${errors} decode errors`);
    assert.ok(songs > 1000 && errors > 100, `${songs} songs, ${errors} errors`);
  });
});
