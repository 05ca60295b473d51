// `phaselock clock` and `phaselock seq` through `main`: offline (--no-link), recording to a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeMidi } from 'midi-file';
import type { CommandIo } from './spec/command-spec.ts';
import { main } from './main.ts';

const quiet = () => {};
const runClockCommand = (args: string[], io: Partial<CommandIo> = {}) => main(['clock', ...args], { out: quiet, err: quiet, signal: new AbortController().signal, ...io });
const runSeqCommand = (args: string[], io: Partial<CommandIo> = {}) => main(['seq', ...args], { out: quiet, err: quiet, signal: new AbortController().signal, ...io });

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-midi-'));
const readLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; bytes: number[] });

test('phaselock clock --to record:FILE writes SPP, Start, ticks and Stop as timestamped JSON lines', async () => {
  const file = path.join(dir, 'clock.jsonl');
  const out: string[] = [];
  const code = await runClockCommand(['--to', `record:${file}`, '--no-link', '--bpm', '480', '--duration', '1.2'], { out: (l) => out.push(l) });
  assert.equal(code, 0);
  const lines = readLines(file);
  assert.deepEqual(lines.slice(0, 3).map((l) => l.bytes), [[0xf2, 0, 0], [0xfa], [0xf8]]);
  assert.deepEqual(lines.at(-1)?.bytes, [0xfc]);
  const ticks = lines.filter((l) => l.bytes[0] === 0xf8);
  assert.ok(ticks.length > 100, `${ticks.length} ticks`);
  // 480 bpm: 125 000 µs per beat, a tick every 5208.3 µs on the grid.
  for (let i = 1; i < ticks.length; i++) assert.ok(Math.abs((ticks[i]?.t as number) - (ticks[i - 1]?.t as number) - 5208.3) <= 1);
  assert.match(out.join('\n'), /MIDI clock to recording to .*clock\.jsonl; 480\.00 bpm/);
});

test('phaselock seq FILE.mid plays the file at its tempo (alone) and ends with the song', async () => {
  const mid = path.join(dir, 'song.mid');
  writeFileSync(mid, Uint8Array.from(writeMidi({
    header: { format: 0, numTracks: 1, ticksPerBeat: 4 },
    tracks: [[
      { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: 250_000 },
      { deltaTime: 0, type: 'noteOn', channel: 9, noteNumber: 36, velocity: 100 },
      { deltaTime: 2, type: 'noteOff', channel: 9, noteNumber: 36, velocity: 0 },
      { deltaTime: 2, type: 'noteOn', channel: 9, noteNumber: 38, velocity: 100 },
      { deltaTime: 4, type: 'noteOff', channel: 9, noteNumber: 38, velocity: 0 },
      { deltaTime: 0, meta: true, type: 'endOfTrack' },
    ]],
  })));
  const file = path.join(dir, 'seq.jsonl');
  const started = Date.now();
  const code = await runSeqCommand([mid, '--to', `record:${file}`, '--no-link', '--duration', '20'], { out: () => {} });
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 5000, 'ended with the song, not the duration');
  const lines = readLines(file);
  assert.deepEqual(lines.map((l) => l.bytes), [[0x99, 36, 100], [0x89, 36, 0], [0x99, 38, 100], [0x89, 38, 0]]);
  // 240 bpm from the file: a beat is 250 ms.
  assert.equal((lines[2]?.t as number) - (lines[0]?.t as number), 250_000);
});

test('usage errors exit 2, an unavailable port exits 1 with the reason, --help exits 0', async () => {
  const err: string[] = [];
  const io = { out: () => {}, err: (l: string) => err.push(l) };
  assert.equal(await runClockCommand(['--no-link'], io), 2);
  assert.match(err.join(''), /--to OUTPUT is required/);
  assert.equal(await runSeqCommand(['--to', 'console'], io), 2);
  assert.equal(await runClockCommand(['--to', 'phaselock-no-such-port', '--no-link', '--duration', '0.01'], io), 1);
  assert.match(err.join('\n'), /MIDI subsystem|@julusian\/midi|no MIDI output port/);
  const out: string[] = [];
  assert.equal(await runClockCommand(['--help'], { out: (l) => out.push(l) }), 0);
  assert.match(out.join(''), /usage: phaselock clock --to OUTPUT/);
});
