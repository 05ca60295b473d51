/**
 * End to end: `phaselock clock`, `seq` and `midi ports` as a user runs them (issue 12).
 *
 * - Offline (`--no-link`, no namespace needed): a file that cannot be written, a reader that goes
 *   away (`| head -3`), starting at once alone, the start line and a single stop line, bad
 *   arguments, `midi ports` without a MIDI subsystem.
 * - In a network namespace next to a real Ableton Link peer: SIGHUP, SIGINT and SIGTERM while
 *   playing and during the join wait end with MIDI Stop / note-offs recorded, exit 0 and a
 *   byebye the peer sees at once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeMidi } from 'midi-file';
import { main } from '../../src/cli/main.ts';
import { hrClock } from '../../src/node/host-clock.ts';
import { monoMicros, waitFor, withAbletonNamespace, type LinePeer, type Netns } from '../interop/harness.ts';
import { BIN, ENV, exited, Lines, ROOT, runOffline } from './helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-midi-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const tmpFile = (name: string) => path.join(dir, `${files++}-${name}`);

interface Recorded {
  t: number;
  bytes: number[];
}
const readRecord = (file: string): Recorded[] => {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  // A line being written may be incomplete: only whole lines count.
  return text.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Recorded);
};
const START = 0xfa;
const CONTINUE = 0xfb;
const STOP = 0xfc;
const TICK = 0xf8;

/** Note-ons (velocity > 0) with no note-off of the same channel and key after them. */
function hangingNotes(lines: readonly Recorded[]): string[] {
  const sounding = new Map<string, number>();
  for (const { bytes: [status = 0, key, velocity] } of lines) {
    const kind = status & 0xf0;
    const id = `${status & 0x0f}:${key}`;
    if (kind === 0x90 && velocity! > 0) sounding.set(id, (sounding.get(id) ?? 0) + 1);
    else if (kind === 0x80 || (kind === 0x90 && velocity === 0)) sounding.delete(id);
  }
  return [...sounding.keys()];
}

/** A song of long notes (two beats each, back to back), so a note sounds whenever it is stopped. */
function writeSong(bpm = 120): string {
  const file = tmpFile('long-notes.mid');
  const notes = [60, 64, 67, 72].flatMap((n) => [
    { deltaTime: 0, type: 'noteOn' as const, channel: 0, noteNumber: n, velocity: 100 },
    { deltaTime: 2 * 96, type: 'noteOff' as const, channel: 0, noteNumber: n, velocity: 0 },
  ]);
  writeFileSync(file, Uint8Array.from(writeMidi({
    header: { format: 0, numTracks: 1, ticksPerBeat: 96 },
    tracks: [[
      { deltaTime: 0, meta: true, type: 'setTempo', microsecondsPerBeat: Math.round(60e6 / bpm) },
      ...notes,
      { deltaTime: 0, meta: true, type: 'endOfTrack' },
    ]],
  })));
  return file;
}

/** `phaselock` offline with stdout piped to the test (never enables Link: `--no-link`). */
function spawnOffline(args: readonly string[]) {
  assert.ok(args.includes('--no-link'), 'offline runs must not enable Link');
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return { child, stderr: () => stderr };
}

const NO_STACK = /^ {4}at |EPIPE|Error:/m;

describe('clock and seq offline: outputs, start, reporting', () => {
  it('--to record: in a directory that does not exist: a clear error before anything else, exit 1', async () => {
    const file = path.join(dir, 'no', 'such', 'dir', 'x.jsonl');
    for (const cmd of [['clock'], ['seq', writeSong()]]) {
      const r = await runOffline([...cmd, '--no-link', '--to', `record:${file}`]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr, `phaselock ${cmd[0]}: cannot write ${file}: no such directory\n`);
      assert.equal(r.stdout, '', 'nothing about recording is printed');
    }
  });

  it('a write error while playing (disk full) ends it with exit 1 and says so, no stack', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async () => {
    // Without the failure ending it, --duration 60 outlasts runOffline's 10 s and the test fails.
    const r = await runOffline(['clock', '--no-link', '--to', 'record:/dev/full', '--duration', '60']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^phaselock clock: cannot write \/dev\/full: no space left on device$/m);
    assert.doesNotMatch(r.stderr, NO_STACK);
  });

  it('`clock --to console | head -3`: the reader goes away, it ends quietly with exit 0', async () => {
    const { child, stderr } = spawnOffline(['clock', '--no-link', '--to', 'console', '--show-clock']);
    try {
      const out = new Lines(child.stdout!);
      await waitFor(() => out.lines.length >= 3, { timeoutMs: 8000, what: '3 lines' });
      child.stdout!.destroy(); // the next line (a tick, ≤ 21 ms) meets a closed pipe
      assert.equal(await exited(child, 5000), 0, stderr());
      assert.doesNotMatch(stderr(), NO_STACK);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('alone it starts at once, even at 20 bpm in 64-beat bars with --duration 0.5 (clock)', async () => {
    const file = tmpFile('slow-clock.jsonl');
    const r = await runOffline(['clock', '--no-link', '--bpm', '20', '--quantum', '64', '--duration', '0.5', '--to', `record:${file}`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = readRecord(file);
    assert.deepEqual(lines.slice(0, 3).map((l) => l.bytes), [[0xf2, 0, 0], [START], [TICK]], 'SPP 0, Start and the first tick');
    // 20 bpm: a tick every 125 ms; the start came well within the half second.
    assert.ok(lines.filter((l) => l.bytes[0] === TICK).length >= 2, JSON.stringify(lines));
    assert.deepEqual(lines.at(-1)?.bytes, [STOP]);
    assert.match(r.stdout, /^start in \d+\.\d ms$/m);
  });

  it('alone it starts at once (seq): the first note sounds within a short --duration, and is ended', async () => {
    const file = tmpFile('slow-seq.jsonl');
    const r = await runOffline(['seq', writeSong(), '--no-link', '--bpm', '20', '--quantum', '64', '--duration', '0.5', '--to', `record:${file}`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = readRecord(file);
    assert.deepEqual(lines.map((l) => l.bytes), [[0x90, 60, 100], [0x80, 60, 0]], 'the first note, then its note-off at the end');
    assert.match(r.stdout, /^start in \d+\.\d ms$/m);
  });

  it('clock prints one start line, with the time until the Start goes out, and one stop line', async () => {
    const file = tmpFile('lead.jsonl');
    const lines: Array<{ line: string; at: number }> = [];
    const errors: string[] = [];
    const code = await main(['clock', '--no-link', '--latency', '400', '--duration', '0.6', '--to', `record:${file}`], {
      out: (line) => lines.push({ line, at: hrClock.micros() }),
      err: (line) => errors.push(line),
      signal: new AbortController().signal,
    });
    assert.equal(code, 0);
    assert.deepEqual(errors, []);
    const starts = lines.filter((l) => l.line.startsWith('start'));
    assert.equal(starts.length, 1, lines.map((l) => l.line).join('\n'));
    assert.deepEqual(lines.filter((l) => /stop/.test(l.line)).map((l) => l.line), ['stop']);
    const start = readRecord(file).find((l) => l.bytes[0] === START);
    assert.ok(start, 'a Start was recorded');
    const reportedMicros = Number(/^start in (-?\d+\.\d) ms$/.exec(starts[0]!.line)?.[1]) * 1000;
    // The line is computed just before it is written: the Start goes out at most the printed
    // time after the line (±0.05 ms rounding), and not much less (a --latency of 400 ms added
    // to it, or the time of a late line, would be far off).
    const actual = start.t - starts[0]!.at;
    assert.ok(reportedMicros >= actual - 50, `printed ${reportedMicros} µs, the Start went out ${actual} µs after the line`);
    assert.ok(reportedMicros - actual < 200_000, `printed ${reportedMicros} µs, the Start went out ${actual} µs after the line`);
  });
});

describe('bad arguments: `phaselock: <what>` and the usage line, exit 2', () => {
  for (const [args, usage] of [
    [['clock', '--to', 'console', '--duration', '-1'], /^usage: phaselock clock --to OUTPUT/m],
    [['clock', '--to', 'console', '--duration', '1ms'], /^usage: phaselock clock --to OUTPUT/m],
    [['clock', '--to', 'console', '--latency', '5000'], /^usage: phaselock clock --to OUTPUT/m],
    [['clock', '--to', 'virtual:'], /^usage: phaselock clock --to OUTPUT/m],
    [['clock', '--no-link'], /^usage: phaselock clock --to OUTPUT/m],
    [['seq', '--to', 'console', '--no-link'], /^usage: phaselock seq <FILE\.mid> --to OUTPUT/m],
    [['midi'], /^usage: phaselock midi ports/m],
    [['midi', 'list'], /^usage: phaselock midi ports/m],
    [['midi', 'ports', '--frob'], /^usage: phaselock midi ports/m],
  ] as const) {
    it(`phaselock ${args.join(' ')}`, async () => {
      const r = await runOffline(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^phaselock: /);
      assert.match(r.stderr, usage);
      assert.equal(r.stderr.trim().split('\n').length, 2, 'a message and the usage line, not the help');
      assert.equal(r.stdout, '');
    });
  }

  it('help: --duration in seconds, the signals, and the midi ports command', async () => {
    const clock = await runOffline(['clock', '--help']);
    assert.equal(clock.code, 0);
    assert.match(clock.stdout, /--duration S +stop after this long \(seconds/);
    assert.match(clock.stdout, /SIGHUP/);
    assert.match(clock.stdout, /virtual:NAME/);
    const midi = await runOffline(['help', 'midi']);
    assert.equal(midi.code, 0);
    assert.match(midi.stdout, /^usage: phaselock midi ports \[--json\]/);
    assert.match((await runOffline(['--help'])).stdout, /phaselock midi ports \[options\] +list the MIDI ports/);
  });
});

describe('phaselock midi ports, and --to virtual:NAME', () => {
  const hasAlsa = existsSync('/dev/snd/seq');

  it('lists the outputs (text and --json), or says there is no MIDI subsystem: exit 1', async () => {
    for (const json of [false, true]) {
      const r = await runOffline(['midi', 'ports', ...(json ? ['--json'] : [])]);
      if (hasAlsa) {
        assert.equal(r.code, 0, r.stderr);
        if (json) assert.ok(Array.isArray(JSON.parse(r.stdout).outputs));
        else assert.match(r.stdout, /^MIDI outputs/);
      } else {
        assert.equal(r.code, 1);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^phaselock midi ports: no MIDI subsystem \(ALSA sequencer not available: \/dev\/snd\/seq does not exist/);
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no ALSA library noise: ${r.stderr}`);
      }
    }
  });

  it('--to virtual:NAME without a MIDI subsystem: one clear line, exit 1', { skip: hasAlsa && 'this machine has an ALSA sequencer' }, async () => {
    for (const extra of [[], ['--main-thread']]) {
      const r = await runOffline(['clock', '--no-link', '--to', 'virtual:phaselock', '--duration', '0.1', ...extra]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^phaselock clock: no MIDI subsystem \(ALSA sequencer not available: .*\. Use '--to record:FILE' or '--to console' instead\.\n$/);
    }
  });
});

// ---- signals, in a namespace next to an Ableton peer ---------------------------------------

const SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const;

describe('clock and seq end cleanly on SIGHUP, SIGINT and SIGTERM (next to an Ableton peer)', () => {
  let ns: Netns;
  let ableton: LinePeer;

  withAbletonNamespace('plmidi', { startStopSync: true, bpm: 120 }, (fx) => {
    ({ ns, ableton } = fx);
  });

  type Running = { child: ChildProcess; out: Lines; stderr: () => string };

  /**
   * Runs phaselock with `args` in the namespace, calls `body` once the Ableton peer counts it,
   * and SIGKILLs it if it is still running afterwards (a failed test must not leave a peer
   * behind for the next one).
   */
  const withPhaselock = async (args: readonly string[], body: (p: Running) => Promise<void>) => {
    await ableton.command('stop'); // each test starts a stopped session
    const mark = ableton.events.length;
    const child = ns.exec(process.execPath, [BIN, ...args], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const p = { child, out: new Lines(child.stdout!), stderr: () => stderr };
    try {
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 8000, mark);
      await body(p);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child, 3000).catch(() => undefined);
      }
    }
  };

  /** Sends `signal`; asserts exit 0 and that the peer saw phaselock leave at once (byebye, not a timeout). */
  const stopWith = async (p: Running, signal: NodeJS.Signals) => {
    const mark = ableton.events.length;
    const t0 = monoMicros();
    p.child.kill(signal);
    assert.equal(await exited(p.child, 5000), 0, `exit code after ${signal}; stderr: ${p.stderr()}`);
    const gone = await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 4000, mark);
    // Without a byebye the peer would notice only when phaselock's entry times out (seconds).
    assert.ok(gone.receivedAt - t0 < 1_500_000, `the peer saw phaselock leave ${(gone.receivedAt - t0) / 1000} ms after ${signal}`);
    assert.equal(p.stderr(), '');
  };

  for (const signal of SIGNALS) {
    it(`clock, playing, ${signal}: Stop is the last message recorded, exit 0, byebye`, async () => {
      const file = tmpFile(`clock-${signal}.jsonl`);
      await withPhaselock(['clock', '--to', `record:${file}`, '--join-wait', '0.3'], async (p) => {
        await waitFor(() => readRecord(file).some((l) => l.bytes[0] === START || l.bytes[0] === CONTINUE), { timeoutMs: 6000, what: 'Start in the recording' });
        await stopWith(p, signal);
        const lines = readRecord(file);
        assert.ok(lines.some((l) => l.bytes[0] === TICK), 'ticks were recorded');
        assert.deepEqual(lines.at(-1)?.bytes, [STOP]);
        assert.equal(p.out.lines.filter((l) => l === 'stop').length, 1, p.out.lines.join('\n'));
      });
    });

    it(`clock, during the join wait, ${signal}: exit 0 at once, nothing started, byebye`, async () => {
      const file = tmpFile(`clock-join-${signal}.jsonl`);
      // Joined (the peer counts it) and 8 s of join wait left: the signal comes during it.
      await withPhaselock(['clock', '--to', `record:${file}`, '--join-wait', '8'], async (p) => {
        await stopWith(p, signal);
        assert.deepEqual(readRecord(file), [], 'nothing was started, so nothing is owed');
        assert.deepEqual(p.out.lines, []);
      });
    });

    it(`seq, playing, ${signal}: every note-on recorded has its note-off, exit 0, byebye`, async () => {
      const file = tmpFile(`seq-${signal}.jsonl`);
      await withPhaselock(['seq', writeSong(), '--loop', '--to', `record:${file}`, '--join-wait', '0.3'], async (p) => {
        await waitFor(() => readRecord(file).some((l) => (l.bytes[0]! & 0xf0) === 0x90), { timeoutMs: 6000, what: 'a note-on in the recording' });
        await stopWith(p, signal);
        const lines = readRecord(file);
        assert.ok(lines.length > 0);
        assert.deepEqual(hangingNotes(lines), [], JSON.stringify(lines));
        assert.equal(p.out.lines.at(-1), 'stopped');
      });
    });
  }

  it('seq, during the join wait, SIGINT: exit 0 at once, nothing played, byebye', async () => {
    const file = tmpFile('seq-join.jsonl');
    await withPhaselock(['seq', writeSong(), '--to', `record:${file}`, '--join-wait', '8'], async (p) => {
      await stopWith(p, 'SIGINT');
      assert.deepEqual(readRecord(file), []);
    });
  });
});
