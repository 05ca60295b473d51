// Help is generated from the specs that drive parsing: every option is documented with its
// placeholder, unit, range and default, in the help and in docs/cli.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { COMMANDS } from '../registry.ts';
import { defineCommand, longName, placeholder, type OptionSpec } from './command-spec.ts';
import { renderHelp, usageLine } from './help.ts';

const DOCS = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8');

const optionsOf = (c: (typeof COMMANDS)[number]) => Object.entries(c.options as Record<string, OptionSpec>);

describe('help', () => {
  it('renders usage, description, arguments and options with unit, range and default', () => {
    const demo = defineCommand({
      name: 'demo', summary: 's', description: 'Does a thing.',
      positionals: [{ name: 'bpm', type: 'number', range: [20, 999], unit: 'bpm', help: 'the tempo' }],
      options: {
        wait: { type: 'number', unit: 'seconds', range: [0, 60], default: 1, help: 'how long' },
        to: { type: 'string', short: 'o', value: 'OUTPUT', required: true, help: 'where' },
        quiet: { type: 'boolean', help: 'say less' },
      },
      run: async () => 0,
    });
    assert.equal(renderHelp(demo), [
      'usage: phaselock demo <bpm> --to OUTPUT [--wait S] [--quiet]',
      '',
      'Does a thing.',
      '',
      'arguments:',
      '  <bpm>  the tempo (bpm; 20..999)',
      '',
      'options:',
      '  --wait S         how long (seconds, 0..60, default 1)',
      '  -o, --to OUTPUT  where (required)',
      '  --quiet          say less',
      '  -h, --help       this help',
    ].join('\n'));
  });

  for (const command of COMMANDS) {
    it(`${command.name}: every option, with its placeholder, unit and range; a one-line usage`, () => {
      const text = renderHelp(command);
      const usage = usageLine(command);
      assert.ok(text.startsWith(`${usage}\n`));
      assert.ok(usage.length <= 120 && !usage.includes('\n'), usage);
      for (const [key, o] of optionsOf(command)) {
        const value = placeholder(o);
        const rows = text.slice(text.indexOf('\noptions:\n')).split('\n');
        const row = rows.find((l) => l.includes(`--${longName(key)}${value ? ` ${value}` : ''}`));
        assert.ok(row, `--${longName(key)} is not in the help of ${command.name}`);
        if (o.short) assert.ok(row.includes(`-${o.short}, --${longName(key)}`));
        if (o.type === 'number' && o.unit) assert.ok(row.includes(`(${o.unit}`), `${row}: no unit`);
        if (o.type !== 'boolean' && o.required) assert.ok(usage.includes(`--${longName(key)} ${value}`), usage);
      }
    });
  }

  it('durations the user types are seconds, latencies ms (DESIGN §5 for the CLI)', () => {
    for (const command of COMMANDS) {
      for (const [key, o] of optionsOf(command)) {
        if (/timeout|duration|wait/i.test(key)) assert.equal(o.type === 'number' && o.unit, 'seconds', `${command.name} --${longName(key)}`);
        if (/latency/i.test(key)) assert.equal(o.type === 'number' && o.unit, 'ms', `${command.name} --${longName(key)}`);
      }
    }
  });
});

describe('docs/cli.md', () => {
  it('documents every command and every option', () => {
    for (const command of COMMANDS) {
      assert.match(DOCS, new RegExp(`phaselock (\\[${command.name}\\]|${command.name})\\b`), command.name);
      for (const [key] of optionsOf(command)) {
        assert.ok(DOCS.includes(`--${longName(key)}`), `docs/cli.md does not mention ${command.name} --${longName(key)}`);
      }
    }
  });

  it('has every section the help refers to', () => {
    const headings = DOCS.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^#+\s*/, ''));
    let refs = 0;
    for (const command of COMMANDS) {
      for (const m of renderHelp(command).replace(/\s+/g, ' ').matchAll(/docs\/cli\.md, "([^"]+)"/g)) {
        refs++;
        assert.ok(headings.includes(m[1]!), `help ${command.name} refers to docs/cli.md, "${m[1]}": no such section`);
      }
    }
    assert.ok(refs > 0);
  });
});
