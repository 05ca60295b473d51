// `tempo <bpm>`: a tempo, or with a sign a change of the session's tempo (issue 12) — parsed
// without a network (the runs are in test/cli/oneshot.test.ts, in a network namespace).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand, UsageError } from '../spec/parse.ts';
import { MAX_TEMPO_CHANGE, parseTempoArg, tempoCommand } from './one-shot.ts';

describe('tempo <bpm>', () => {
  it('a plain number sets the tempo; a signed one is a change', () => {
    assert.deepEqual(parseTempoArg('128.25'), { to: 128.25 });
    assert.deepEqual(parseTempoArg('20'), { to: 20 });
    assert.deepEqual(parseTempoArg('+1'), { by: 1 });
    assert.deepEqual(parseTempoArg('-2.5'), { by: -2.5 });
    assert.deepEqual(parseTempoArg('+0'), { by: 0 });
    assert.deepEqual(parseTempoArg(`-${MAX_TEMPO_CHANGE}`), { by: -979 });
  });

  it('refuses what is neither, with the range', () => {
    assert.equal(parseTempoArg('fast'), "<bpm> must be a number in [20, 999] bpm, got 'fast'");
    assert.equal(parseTempoArg('5000'), "<bpm> must be a number in [20, 999] bpm, got '5000'");
    assert.equal(parseTempoArg('0x10'), "<bpm> must be a number in [20, 999] bpm, got '0x10'");
    assert.equal(parseTempoArg('+'), "<bpm> must be a number in [20, 999] bpm, got '+'");
    assert.equal(parseTempoArg('+980'), "<bpm> as a change (with a sign) must be within ±979 bpm, got '+980'");
    assert.equal(parseTempoArg('-1e3'), "<bpm> as a change (with a sign) must be within ±979 bpm, got '-1e3'");
  });

  it('on the command line a negative change is the argument, not an option, also after --', () => {
    const args = (argv: string[]) => {
      const r = parseCommand(tempoCommand, argv);
      assert.equal(r.help, false);
      return r.help ? undefined : r.parsed.args;
    };
    assert.deepEqual(args(['-2.5']), { bpm: '-2.5' });
    assert.deepEqual(args(['-5', '--timeout', '1']), { bpm: '-5' });
    assert.deepEqual(args(['--', '-2.5']), { bpm: '-2.5' });
    assert.deepEqual(args(['+1']), { bpm: '+1' });
    assert.throws(() => parseCommand(tempoCommand, ['+1000']), (e: unknown) => e instanceof UsageError && /±979/.test(e.message));
    assert.throws(() => parseCommand(tempoCommand, ['-x']), (e: unknown) => e instanceof UsageError && /unknown option '-x'/.test(e.message));
  });
});
