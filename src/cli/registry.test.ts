// The whole command line, resolved against the registry (pure: nothing runs). The cases of the
// former hand-written parser (src/cli/args.test.ts), plus clock and seq, now parsed the same way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMANDS, resolve } from './registry.ts';
import { UsageError } from './spec/parse.ts';

/** The command and its parsed values, or the help/overview/version. */
function parse(argv: string[]) {
  const r = resolve(argv);
  if (r.kind === 'run') return { command: r.command.name, options: r.parsed.options, args: r.parsed.args };
  if (r.kind === 'help') return { help: r.command.name };
  return { kind: r.kind };
}

function usageError(argv: string[], message: RegExp, usage: RegExp): void {
  assert.throws(() => resolve(argv), (err: unknown) => {
    assert.ok(err instanceof UsageError, `not a UsageError: ${String(err)}`);
    assert.match(err.message, message);
    assert.match(err.usage, usage);
    assert.match(err.usage, /^usage: phaselock/);
    assert.doesNotMatch(err.usage, /\n/, 'one usage line, not the help');
    return true;
  });
}

const ONE_SHOT = { interface: undefined };

describe('resolve: the live view', () => {
  it('no arguments and `link` are the live view with defaults (JSON decided by the TTY)', () => {
    const expected = {
      command: 'link', args: {},
      options: { bpm: 120, quantum: 4, interface: undefined, noStartStopSync: false, json: false },
    };
    assert.deepEqual(parse([]), expected);
    assert.deepEqual(parse(['link']), expected);
  });

  it('reads every live option, in both --name value and --name=value forms, and repeated interfaces', () => {
    assert.deepEqual(parse(['--bpm', '133.5', '--quantum=3', '-i', 'lo', '--interface=127.0.0.1', '--no-start-stop-sync', '--json']), {
      command: 'link', args: {},
      options: { bpm: 133.5, quantum: 3, interface: ['lo', '127.0.0.1'], noStartStopSync: true, json: true },
    });
  });

  it('rejects bad live options with the live usage line', () => {
    usageError(['--bpm', '5'], /--bpm.*\[20, 999\].*5/, /--bpm N/);
    usageError(['--bpm', 'fast'], /needs a number, got 'fast'/, /--bpm N/);
    usageError(['--bpm'], /needs a value/, /--bpm N/);
    usageError(['--quantum', '0'], /--quantum/, /--quantum N/);
    usageError(['--frobnicate'], /unknown option '--frobnicate'/, /\[link\]/);
    usageError(['link', 'extra'], /unexpected argument 'extra'/, /\[link\]/);
    usageError(['--json=yes'], /takes no value/, /\[link\]/);
    usageError(['--bpm', '120', '--bpm', '130'], /given twice/, /\[link\]/);
    usageError(['--interface='], /needs a value/, /\[link\]/);
  });
});

describe('resolve: one-shot commands', () => {
  it('defaults, --timeout in seconds, and peers-needing ones wait 3 s by default', () => {
    assert.deepEqual(parse(['status']), { command: 'status', args: {}, options: { ...ONE_SHOT, timeout: 1, json: false, quantum: 4 } });
    assert.deepEqual(parse(['status', '--json', '--quantum', '8', '--timeout', '0.5']),
      { command: 'status', args: {}, options: { ...ONE_SHOT, timeout: 0.5, json: true, quantum: 8 } });
    assert.deepEqual(parse(['peers', '-j']), { command: 'peers', args: {}, options: { ...ONE_SHOT, timeout: 1, json: true } });
    assert.deepEqual(parse(['tempo', '128.25']), { command: 'tempo', args: { bpm: '128.25' }, options: { ...ONE_SHOT, timeout: 3 } });
    assert.deepEqual(parse(['play', '--quantized', '--timeout=10', '-i', 'lo']),
      { command: 'play', args: {}, options: { interface: ['lo'], timeout: 10, quantized: true, quantum: 4 } });
    assert.deepEqual(parse(['stop']), { command: 'stop', args: {}, options: { ...ONE_SHOT, timeout: 3 } });
  });

  it("rejects bad one-shot arguments with that command's usage line", () => {
    usageError(['tempo'], /missing <bpm>/, /phaselock tempo <bpm>/);
    usageError(['tempo', '1000'], /\[20, 999\]/, /phaselock tempo <bpm>/);
    usageError(['tempo', 'fast'], /got 'fast'/, /phaselock tempo <bpm>/);
    usageError(['tempo', '120', '130'], /unexpected argument '130'/, /phaselock tempo <bpm>/);
    usageError(['tempo', '+1000'], /1000/, /phaselock tempo <bpm>/);
    usageError(['status', '--timeout', '0'], /--timeout/, /phaselock status/);
    usageError(['stop', '--json'], /unknown option '--json'/, /phaselock stop/);
    usageError(['peers', '--quantized'], /unknown option/, /phaselock peers/);
    usageError(['play', 'now'], /unexpected argument 'now'/, /phaselock play/);
  });

  it('a value never swallows the next flag (issue 12)', () => {
    usageError(['status', '-i', '--json'], /^option '--interface' needs a value$/, /phaselock status/);
    usageError(['status', '--interface', '-j'], /^option '--interface' needs a value$/, /phaselock status/);
    usageError(['tempo', '120', '--timeout', '--json'], /^option '--timeout' needs a value$/, /phaselock tempo/);
    // …but an explicit `=` takes anything as the value (here checked, and refused, as an
    // interface this machine lacks), and `--` ends the options.
    usageError(['status', '--interface=-odd-name'], /names no interface of this machine: -odd-name/, /phaselock status/);
    assert.deepEqual(parse(['tempo', '--', '99']).args, { bpm: '99' });
    // Relative tempo: a negative number is a positional, not an option.
    assert.deepEqual(parse(['tempo', '-2.5']).args, { bpm: '-2.5' });
    assert.deepEqual(parse(['tempo', '+1']).args, { bpm: '+1' });
  });
});

describe('resolve: carabiner', () => {
  it("Carabiner's defaults (port 17000, local only) and its options", () => {
    assert.deepEqual(parse(['carabiner']), {
      command: 'carabiner', args: {},
      options: { port: 17000, host: '127.0.0.1', bpm: 120, startStopSync: false, daemon: false, interface: undefined },
    });
    assert.deepEqual(parse(['carabiner', '-p', '0', '--host', '0.0.0.0', '--bpm=90', '--start-stop-sync', '--daemon']), {
      command: 'carabiner', args: {},
      options: { port: 0, host: '0.0.0.0', bpm: 90, startStopSync: true, daemon: true, interface: undefined },
    });
    usageError(['carabiner', '--port', '70000'], /--port/, /phaselock carabiner/);
    usageError(['carabiner', '--port', '1.5'], /integer/, /phaselock carabiner/);
    usageError(['carabiner', '--port', '-1'], /--port.*integer in \[0, 65535\].*-1/, /phaselock carabiner/);
    usageError(['carabiner', '--host', '--daemon'], /^option '--host' needs a value$/, /phaselock carabiner/);
  });
});

describe('resolve: clock and seq, parsed like every command (issue 12)', () => {
  const midiDefaults = {
    bpm: undefined, quantum: 4, latency: 0, duration: undefined, joinWait: 0.6,
    mainThread: false, showClock: false, noLink: false, interface: undefined,
  };

  it('clock: -i, --name=value, seconds for --duration, ms for --latency (negative numbers are values)', () => {
    assert.deepEqual(parse(['clock', '-i', 'lo', '--bpm=120', '--to=console', '--duration', '1.5', '--latency', '-5', '--no-start']), {
      command: 'clock', args: {},
      options: { ...midiDefaults, to: 'console', interface: ['lo'], bpm: 120, duration: 1.5, latency: -5, clockWhileStopped: false, noStart: true },
    });
  });

  it('seq: the file, --loop, and the shared options', () => {
    assert.deepEqual(parse(['seq', 'song.mid', '--to', 'record:x.jsonl', '--loop', '--no-link', '--quantum', '3']), {
      command: 'seq', args: { file: 'song.mid' },
      options: { ...midiDefaults, to: 'record:x.jsonl', loop: true, noLink: true, quantum: 3 },
    });
  });

  it('usage errors name what is wrong, with the usage line of clock or seq', () => {
    usageError(['clock', '--no-link'], /--to OUTPUT is required/, /^usage: phaselock clock --to OUTPUT/);
    usageError(['clock', '--to', '--no-link'], /^option '--to' needs a value$/, /phaselock clock/);
    usageError(['clock', '--to', 'record:'], /--to.*needs a name after 'record:'/, /phaselock clock/);
    usageError(['clock', '--to', 'console', '--latency', '2000'], /--latency.*\[-1000, 1000\] ms/, /phaselock clock/);
    usageError(['clock', '--to', 'console', '--loop'], /unknown option '--loop'/, /phaselock clock/);
    usageError(['seq', '--to', 'console'], /missing <FILE\.mid>/, /^usage: phaselock seq <FILE\.mid> --to OUTPUT/);
    usageError(['seq', 'a.mid', 'b.mid', '--to', 'console'], /unexpected argument 'b\.mid'/, /phaselock seq/);
    usageError(['seq', 'a.mid', '--to', 'console', '--duration', '-1'], /--duration.*\[0, 2000000\] seconds/, /phaselock seq/);
  });
});

describe('resolve: help and version', () => {
  it('help, --help, <command> --help and --version', () => {
    assert.deepEqual(parse(['--help']), { kind: 'overview' });
    assert.deepEqual(parse(['help']), { command: 'help', args: { command: [] }, options: {} });
    assert.deepEqual(parse(['help', 'carabiner']), { command: 'help', args: { command: ['carabiner'] }, options: {} });
    assert.deepEqual(parse(['help', 'help']), { command: 'help', args: { command: ['help'] }, options: {} });
    assert.deepEqual(parse(['help', 'rtpmidi', 'listen']), { command: 'help', args: { command: ['rtpmidi', 'listen'] }, options: {} });
    assert.deepEqual(parse(['rtpmidi', 'send', '--help']), { help: 'rtpmidi send' });
    assert.deepEqual(parse(['tempo', '--help']), { help: 'tempo' });
    assert.deepEqual(parse(['link', '-h']), { help: 'link' });
    assert.deepEqual(parse(['clock', '--help']), { help: 'clock' }, '--help needs no --to');
    assert.deepEqual(parse(['--version']), { kind: 'version' });
    usageError(['help', 'nothing'], /no help on 'nothing' \(commands: link, status, .*, rtpmidi list, rtpmidi listen, rtpmidi send, follow, show, help\)/, /^usage: phaselock help \[<command>\.\.\.\]$/);
    usageError(['help', 'rtpmidi', 'nothing'], /no help on 'nothing'/, /^usage: phaselock help \[<command>\.\.\.\]$/);
  });

  it('unknown commands are usage errors with the main usage line, which lists every command', () => {
    usageError(['frobnicate'], /unknown command 'frobnicate'/, /\[link\|status/);
    const names = COMMANDS.map((c) => c.name);
    assert.deepEqual(names, ['link', 'status', 'peers', 'tempo', 'play', 'stop', 'carabiner', 'clock', 'seq', 'midi', 'rtpmidi list', 'rtpmidi listen', 'rtpmidi send', 'follow', 'show', 'help']);
    assert.equal(new Set(names).size, names.length);
  });
});
