import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs, UsageError } from './args.ts';

function usageError(argv: string[], message: RegExp, usage: RegExp): void {
  assert.throws(() => parseArgs(argv), (err: unknown) => {
    assert.ok(err instanceof UsageError, `not a UsageError: ${String(err)}`);
    assert.match(err.message, message);
    assert.match(err.usage, usage);
    assert.match(err.usage, /^usage: phaselock/);
    return true;
  });
}

describe('parseArgs', () => {
  it('no arguments and `link` are the live view with defaults (JSON decided by the TTY)', () => {
    const expected = { kind: 'link', bpm: 120, quantum: 4, interfaces: undefined, startStopSync: true, json: undefined };
    assert.deepEqual(parseArgs([]), expected);
    assert.deepEqual(parseArgs(['link']), expected);
  });

  it('reads every live option, in both --name value and --name=value forms, and repeated interfaces', () => {
    assert.deepEqual(parseArgs(['--bpm', '133.5', '--quantum=3', '-i', 'eth0', '--interface=192.168.1.2', '--no-start-stop-sync', '--json']), {
      kind: 'link', bpm: 133.5, quantum: 3, interfaces: ['eth0', '192.168.1.2'], startStopSync: false, json: true,
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

  it('one-shot commands: defaults, --timeout in seconds, and peers-needing ones wait 3 s by default', () => {
    assert.deepEqual(parseArgs(['status']), { kind: 'status', interfaces: undefined, timeoutMs: 1000, json: false, quantum: 4 });
    assert.deepEqual(parseArgs(['status', '--json', '--quantum', '8', '--timeout', '0.5']),
      { kind: 'status', interfaces: undefined, timeoutMs: 500, json: true, quantum: 8 });
    assert.deepEqual(parseArgs(['peers', '-j']), { kind: 'peers', interfaces: undefined, timeoutMs: 1000, json: true, quantum: 4 });
    assert.deepEqual(parseArgs(['tempo', '128.25']),
      { kind: 'tempo', bpm: 128.25, interfaces: undefined, timeoutMs: 3000, json: false, quantum: 4 });
    assert.deepEqual(parseArgs(['play', '--quantized', '--timeout=10', '-i', 'lo']),
      { kind: 'play', quantized: true, interfaces: ['lo'], timeoutMs: 10000, json: false, quantum: 4 });
    assert.deepEqual(parseArgs(['stop']), { kind: 'stop', interfaces: undefined, timeoutMs: 3000, json: false, quantum: 4 });
  });

  it('rejects bad one-shot arguments with that command\'s usage line', () => {
    usageError(['tempo'], /missing <bpm>/, /phaselock tempo <bpm>/);
    usageError(['tempo', '1000'], /\[20, 999\]/, /phaselock tempo <bpm>/);
    usageError(['tempo', 'fast'], /got 'fast'/, /phaselock tempo <bpm>/);
    usageError(['tempo', '120', '130'], /unexpected argument '130'/, /phaselock tempo <bpm>/);
    usageError(['tempo', '-5'], /\[20, 999\].*-5/, /phaselock tempo <bpm>/);
    usageError(['status', '--timeout', '0'], /--timeout/, /phaselock status/);
    usageError(['stop', '--json'], /unknown option '--json'/, /phaselock stop/);
    usageError(['peers', '--quantized'], /unknown option/, /phaselock peers/);
    usageError(['play', 'now'], /unexpected argument 'now'/, /phaselock play/);
  });

  it('carabiner: Carabiner\'s defaults (port 17000, local only) and its options', () => {
    assert.deepEqual(parseArgs(['carabiner']), {
      kind: 'carabiner', port: 17000, host: '127.0.0.1', bpm: 120, startStopSync: false, daemon: false, interfaces: undefined,
    });
    assert.deepEqual(parseArgs(['carabiner', '-p', '0', '--host', '0.0.0.0', '--bpm=90', '--start-stop-sync', '--daemon']), {
      kind: 'carabiner', port: 0, host: '0.0.0.0', bpm: 90, startStopSync: true, daemon: true, interfaces: undefined,
    });
    usageError(['carabiner', '--port', '70000'], /--port/, /phaselock carabiner/);
    usageError(['carabiner', '--port', '1.5'], /integer/, /phaselock carabiner/);
  });

  it('help, --help and --version', () => {
    assert.deepEqual(parseArgs(['--help']), { kind: 'help', topic: 'main' });
    assert.deepEqual(parseArgs(['help']), { kind: 'help', topic: 'main' });
    assert.deepEqual(parseArgs(['help', 'carabiner']), { kind: 'help', topic: 'carabiner' });
    assert.deepEqual(parseArgs(['tempo', '--help']), { kind: 'help', topic: 'tempo' });
    assert.deepEqual(parseArgs(['link', '-h']), { kind: 'help', topic: 'link' });
    assert.deepEqual(parseArgs(['--version']), { kind: 'version' });
    usageError(['help', 'nothing'], /no help on 'nothing'/, /\[link\|status/);
  });

  it('clock and seq get their arguments untouched; unknown commands are usage errors', () => {
    assert.deepEqual(parseArgs(['clock', '--port', 'x', '-z']), { kind: 'external', name: 'clock', args: ['--port', 'x', '-z'] });
    assert.deepEqual(parseArgs(['seq']), { kind: 'external', name: 'seq', args: [] });
    usageError(['frobnicate'], /unknown command 'frobnicate'/, /\[link\|status/);
  });
});
