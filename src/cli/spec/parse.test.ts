// parseCommand on util.parseArgs: the rules of issue 12 and the forms util.parseArgs gives us,
// on a made-up command that has every kind of option and argument.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineCommand } from './command-spec.ts';
import { parseCommand, parseNumber, UsageError } from './parse.ts';

const demo = defineCommand({
  name: 'demo',
  summary: 'a command with every kind of option',
  description: 'Only for tests.',
  positionals: [
    { name: 'count', type: 'number', range: [-10, 10], help: 'a number' },
    { name: 'name', type: 'string', optional: true, help: 'a word' },
  ],
  options: {
    to: { type: 'string', value: 'OUTPUT', required: true, help: 'required', check: (v: string) => (v === 'bad' ? "can't be 'bad'" : undefined) },
    tag: { type: 'string', short: 't', value: 'TAG', multiple: true, help: 'repeatable' },
    wait: { type: 'number', unit: 'seconds', range: [0, 60], default: 1, help: 'a duration' },
    offset: { type: 'number', unit: 'ms', range: [-100, 100], help: 'may be negative' },
    verbose: { type: 'boolean', short: 'v', help: 'a flag' },
    noThing: { type: 'boolean', help: 'a negative flag' },
  },
  run: async () => 0,
});

function ok(argv: string[]) {
  const r = parseCommand(demo, argv);
  assert.equal(r.help, false);
  return r.help ? undefined! : r.parsed;
}

function fails(argv: string[], message: RegExp): void {
  assert.throws(() => parseCommand(demo, argv), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, message);
    assert.match(err.usage, /^usage: phaselock demo <count> \[<name>\] --to OUTPUT /);
    return true;
  });
}

describe('parseCommand', () => {
  it('applies defaults and types every value', () => {
    assert.deepEqual(ok(['3', '--to', 'x']), {
      args: { count: 3, name: undefined },
      options: { to: 'x', tag: undefined, wait: 1, offset: undefined, verbose: false, noThing: false },
    });
  });

  it('takes every form util.parseArgs knows: =value, -xVALUE, grouped flags, --', () => {
    const p = ok(['--to=x', '-tone', '-t', 'two', '--tag=three', '-v', '--no-thing', '--wait=2.5', '--', '-4', '-name-']);
    assert.deepEqual(p.options, { to: 'x', tag: ['one', 'two', 'three'], wait: 2.5, offset: undefined, verbose: true, noThing: true });
    assert.deepEqual(p.args, { count: -4, name: '-name-' });
  });

  it('a negative number is a value after an option, and a positional elsewhere', () => {
    assert.deepEqual(ok(['--offset', '-5', '--to', 'x', '-7']).args, { count: -7, name: undefined });
    assert.equal(ok(['--offset', '-5', '--to', 'x', '-7.5']).options.offset, -5);
    assert.equal(ok(['--to', 'x', '-7.5']).args.count, -7.5);
    assert.equal(ok(['--to', '-', '1']).options.to, '-', 'a lone dash is a value');
  });

  it('never takes an option as the value of the one before it', () => {
    fails(['1', '--to', '--verbose'], /^option '--to' needs a value$/);
    fails(['1', '--to', 'x', '-t', '-v'], /^option '--tag' needs a value$/);
    fails(['1', '--to', 'x', '--wait', '--no-thing'], /^option '--wait' needs a value$/);
    fails(['1', '--to', 'x', '--wait'], /^option '--wait' needs a value$/);
    fails(['1', '--to='], /^option '--to' needs a value$/);
    assert.equal(ok(['1', '--to=--verbose']).options.to, '--verbose', 'an explicit = takes anything');
  });

  it('checks numbers: plain decimals, within the range, the unit in the message', () => {
    fails(['1', '--to', 'x', '--wait', '0x10'], /^option '--wait' needs a number, got '0x10'$/);
    fails(['1', '--to', 'x', '--wait', 'Infinity'], /needs a number/);
    fails(['1', '--to', 'x', '--wait', '61'], /^option '--wait' must be a number in \[0, 60\] seconds, got 61$/);
    fails(['1', '--to', 'x', '--offset', '-101'], /\[-100, 100\] ms, got -101/);
    fails(['11', '--to', 'x'], /^<count> must be a number in \[-10, 10\], got '11'$/);
    assert.equal(parseNumber('1e3'), 1000);
    assert.equal(parseNumber('1e999'), undefined);
    assert.equal(parseNumber('.5'), 0.5);
  });

  it('reports unknown and repeated options, flags with values, missing and extra arguments', () => {
    fails(['1', '--to', 'x', '--frob'], /^unknown option '--frob'$/);
    fails(['1', '--to', 'x', '-z'], /^unknown option '-z'$/);
    fails(['1', '--to', 'x', '-vz'], /^unknown option '-z'$/);
    fails(['1', '--to', 'x', '--wait', '1', '--wait', '2'], /^option '--wait' given twice$/);
    fails(['1', '--to', 'x', '--verbose=yes'], /^option '--verbose' takes no value$/);
    fails(['1'], /^--to OUTPUT is required$/);
    fails(['--to', 'x'], /^missing <count>$/);
    fails(['1', 'a', 'b', '--to', 'x'], /^unexpected argument 'b'$/);
    fails(['1', '--to', 'bad'], /^option '--to' can't be 'bad'$/);
  });

  it('-h or --help anywhere asks for the help, whatever else is wrong', () => {
    assert.deepEqual(parseCommand(demo, ['--help']), { help: true });
    assert.deepEqual(parseCommand(demo, ['--frob', '-h', '--wait']), { help: true });
    assert.deepEqual(parseCommand(demo, ['-vh']), { help: true });
  });
});
