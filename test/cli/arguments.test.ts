/**
 * End to end: one argument parser for every command (issue 12). Every run happens inside a
 * private network namespace, so that even a parser bug that lets a command join Link (a value
 * swallowing `--no-link`) stays off the real network.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeMidi } from 'midi-file';
import { Netns } from '../interop/harness.ts';
import { ROOT, runIn, type RunResult } from './helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-args-'));
const song = path.join(dir, 'song.mid');
writeFileSync(song, Uint8Array.from(writeMidi({
  header: { format: 0, numTracks: 1, ticksPerBeat: 4 },
  tracks: [[
    { deltaTime: 0, type: 'noteOn', channel: 9, noteNumber: 36, velocity: 100 },
    { deltaTime: 2, type: 'noteOff', channel: 9, noteNumber: 36, velocity: 0 },
    { deltaTime: 0, meta: true, type: 'endOfTrack' },
  ]],
})));

const recorded = (file: string) =>
  readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: number; bytes: number[] });

/** A usage error: exit 2, nothing on stdout, exactly `phaselock: <what>` and one usage line on stderr. */
function assertUsageError(r: RunResult, what: RegExp, usage: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n');
  assert.equal(lines.length, 3, `stderr is not one message and one usage line:\n${r.stderr}`);
  assert.match(lines[0]!, /^phaselock: /);
  assert.match(lines[0]!, what);
  assert.match(lines[1]!, /^usage: phaselock /);
  assert.match(lines[1]!, usage);
  assert.equal(lines[2], '');
}

describe('one argument parser for every command', () => {
  let ns: Netns;
  before(async () => {
    ns = await Netns.create('plargs');
  });
  after(() => ns?.close());

  it('clock and seq take -i, --name=value and the other common forms', async () => {
    const clockFile = path.join(dir, 'clock.jsonl');
    const clock = await runIn(ns, ['clock', '-i', 'lo', '--bpm=480', '--quantum=4', '--to', `record:${clockFile}`, '--no-link', '--duration', '0.1']);
    assert.equal(clock.code, 0, clock.stderr);
    const seqFile = path.join(dir, 'seq.jsonl');
    const seq = await runIn(ns, ['seq', song, '--interface=lo', '--bpm=240', `--to=record:${seqFile}`, '--no-link', '--duration=5']);
    assert.equal(seq.code, 0, seq.stderr);
    assert.deepEqual(recorded(seqFile).map((l) => l.bytes), [[0x99, 36, 100], [0x89, 36, 0]]);
  });

  it('--duration is in seconds, like --timeout', async () => {
    const file = path.join(dir, 'duration.jsonl');
    // 480 bpm: a bar is 0.5 s, so the clock starts within 0.5 s and then ticks for the rest.
    const r = await runIn(ns, ['clock', '--bpm', '480', '--to', `record:${file}`, '--no-link', '--duration', '2']);
    assert.equal(r.code, 0, r.stderr);
    const ticks = recorded(file).filter((l) => l.bytes[0] === 0xf8);
    assert.ok(ticks.length > 100, `${ticks.length} ticks in --duration 2`);
    const spanMicros = ticks.at(-1)!.t - ticks[0]!.t;
    assert.ok(spanMicros > 1_000_000 && spanMicros < 2_000_000, `ticks span ${spanMicros} µs`);
  });

  it('an option that takes a value never swallows the next flag', async () => {
    assertUsageError(await runIn(ns, ['status', '-i', '--json']), /^phaselock: option '--interface' needs a value$/, /phaselock status/);
    assertUsageError(await runIn(ns, ['clock', '--to', '--no-link']), /^phaselock: option '--to' needs a value$/, /phaselock clock/);
    assertUsageError(await runIn(ns, ['seq', song, '--to', '--loop', '--no-link']), /option '--to' needs a value/, /phaselock seq/);
    assertUsageError(await runIn(ns, ['carabiner', '--host', '--daemon']), /option '--host' needs a value/, /phaselock carabiner/);
    assertUsageError(await runIn(ns, ['-i', '-j']), /option '--interface' needs a value/, /phaselock \[link\]/);
    // A negative number is a value, not a flag.
    const file = path.join(dir, 'latency.jsonl');
    const r = await runIn(ns, ['clock', '--latency', '-5', '--to', `record:${file}`, '--no-link', '--duration', '0.05']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('usage errors print `phaselock: <what>` and the usage line, exit 2, never the whole help', async (t) => {
    const cases: Array<[string[], RegExp, RegExp]> = [
      [['clock', '--no-link'], /--to OUTPUT is required/, /phaselock clock/],
      [['clock', '--to', 'console', '--bpm', '5', '--no-link'], /--bpm.*\[20, 999\]/, /phaselock clock/],
      [['clock', '--to', 'console', '--frob', '--no-link'], /unknown option '--frob'/, /phaselock clock/],
      [['seq', '--to', 'console', '--no-link'], /missing <FILE\.mid>/, /phaselock seq/],
      [['seq', song, 'extra.mid', '--to', 'console', '--no-link'], /unexpected argument 'extra\.mid'/, /phaselock seq/],
      [['seq', song, '--to', 'console', '--duration', 'long', '--no-link'], /--duration.*needs a number, got 'long'/, /phaselock seq/],
      [['status', '--frob'], /unknown option '--frob'/, /phaselock status/],
      [['tempo'], /missing <bpm>/, /phaselock tempo <bpm>/],
      [['carabiner', '--port', '70000'], /--port/, /phaselock carabiner/],
      [['--bpm', '1'], /--bpm/, /phaselock \[link\]/],
      [['help', 'nothing'], /no help on 'nothing'/, /phaselock help/],
      [['dance'], /unknown command 'dance'/, /phaselock \[link\|status/],
    ];
    for (const [args, what, usage] of cases) {
      await t.test(`phaselock ${args.join(' ')}`, async () => assertUsageError(await runIn(ns, args), what, usage));
    }
  });

  it('help help exits 0; every command has help, as `help <command>` and `<command> --help`', async () => {
    const h = await runIn(ns, ['help', 'help']);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /^usage: phaselock help/m);
    for (const cmd of ['link', 'status', 'peers', 'tempo', 'play', 'stop', 'carabiner', 'clock', 'seq']) {
      const a = await runIn(ns, ['help', cmd]);
      assert.equal(a.code, 0, `help ${cmd}: ${a.stderr}`);
      assert.match(a.stdout, new RegExp(`^usage: phaselock (\\[${cmd}\\]|${cmd})`, 'm'));
      const b = await runIn(ns, [cmd, '--help']);
      assert.equal(b.code, 0, `${cmd} --help: ${b.stderr}`);
      assert.equal(b.stdout, a.stdout, `${cmd} --help and help ${cmd} differ`);
    }
  });

  it('the help states units: --duration and --timeout in seconds, --latency in ms', async () => {
    const clock = (await runIn(ns, ['help', 'clock'])).stdout;
    assert.match(clock, /--duration S\b.*seconds/);
    assert.match(clock, /--latency MS\b.*\bms\b/);
    assert.match((await runIn(ns, ['help', 'tempo'])).stdout, /--timeout S\b.*seconds/);
  });

  it('help carabiner points to a docs/cli.md section that exists', async () => {
    const headings = readFileSync(path.join(ROOT, 'docs', 'cli.md'), 'utf8').split('\n')
      .filter((l) => l.startsWith('#')).map((l) => l.replace(/^#+\s*/, ''));
    const text = (await runIn(ns, ['help', 'carabiner'])).stdout;
    assert.match(text, /CLOCK_MONOTONIC/);
    const refs = [...text.replace(/\s+/g, ' ').matchAll(/docs\/cli\.md, "([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(refs.length > 0, 'help carabiner names no docs section for its clock');
    for (const ref of refs) assert.ok(headings.includes(ref), `help carabiner refers to docs/cli.md, "${ref}": no such section`);
  });
});
