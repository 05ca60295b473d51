/**
 * Usage lines and help texts, rendered from the `CommandSpec`s that drive parsing (pure).
 * @module
 */
import {
  HELP_OPTION, longName, placeholder, positionalLabel, type AnyCommand, type CommandSpec, type OptionSpec, type PositionalSpec,
} from './command-spec.ts';

/** Help lines are wrapped to this width. */
const WIDTH = 100;
/** A usage line longer than this lists only the required options, then `[options]`. */
const USAGE_MAX = 120;

function commandWord(spec: Pick<CommandSpec, 'name' | 'isDefault'>): string {
  return spec.isDefault ? `[${spec.name}]` : spec.name;
}

/**
 * `<bpm>`, `[<command>]`; with `listChoices`, `[link|status|…]`. A positional with a single
 * choice is a literal word (`midi ports`), shown as such.
 */
function positionalUsage(p: PositionalSpec, listChoices = false): string {
  const all = p.choices?.();
  const choices = listChoices || all?.length === 1 ? all : undefined;
  const word = (choices ? choices.join('|') : positionalLabel(p)) + (p.variadic ? '...' : '');
  return p.optional ? `[${word}]` : word;
}

/** `--to OUTPUT`, `--json`. */
function optionUsage(key: string, o: OptionSpec): string {
  const value = placeholder(o);
  return `--${longName(key)}${value ? ` ${value}` : ''}`;
}

const isRequired = (o: OptionSpec) => o.type !== 'boolean' && o.required === true;

/**
 * The one usage line printed after a usage error: every option when it fits in 120
 * characters, else the required ones and `[options]`. Pure.
 * @example usageLine(tempoCommand) // 'usage: phaselock tempo <bpm> [--timeout S] [--interface NAME|ADDR]...'
 */
export function usageLine(spec: CommandSpec<any, any>): string {
  const head = ['usage: phaselock', commandWord(spec), ...(spec.positionals ?? []).map((p: PositionalSpec) => positionalUsage(p, true))];
  const entries = Object.entries(spec.options as Record<string, OptionSpec>);
  const required = entries.filter(([, o]) => isRequired(o)).map(([k, o]) => optionUsage(k, o));
  const optional = entries.filter(([, o]) => !isRequired(o))
    .map(([k, o]) => `[${optionUsage(k, o)}]${o.type === 'string' && o.multiple ? '...' : ''}`);
  const full = [...head, ...required, ...optional].join(' ');
  if (full.length <= USAGE_MAX) return full;
  return [...head, ...required, '[options]'].join(' ');
}

/** `phaselock tempo <bpm> [options]`: how the overview names a command. */
export function synopsis(spec: AnyCommand): string {
  const entries = Object.entries(spec.options as Record<string, OptionSpec>);
  const required = entries.filter(([, o]) => isRequired(o)).map(([k, o]) => optionUsage(k, o));
  const rest = entries.some(([, o]) => !isRequired(o)) ? ['[options]'] : [];
  const positionals = (spec.positionals ?? []).map((p: PositionalSpec) => positionalUsage(p));
  return ['phaselock', commandWord(spec), ...positionals, ...required, ...rest].join(' ');
}

/** `0.05..3600`, or undefined. */
function rangeText(range: readonly [number, number] | undefined): string | undefined {
  return range ? `${range[0]}..${range[1]}` : undefined;
}

/** The generated tail of an option's help: `(seconds, 0.05..3600, default 1)`. */
function details(o: OptionSpec): string {
  const parts: string[] = [];
  if (o.type === 'number') {
    if (o.unit) parts.push(o.unit);
    const range = rangeText(o.range);
    if (range) parts.push(o.integer ? `integer ${range}` : range);
  }
  if (o.type === 'string' && o.multiple) parts.push('repeatable');
  if (o.type !== 'boolean' && o.required) parts.push('required');
  else if (o.defaultHelp) parts.push(`default: ${o.defaultHelp}`);
  else if (o.type !== 'boolean' && o.default !== undefined) parts.push(`default ${o.default}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Word-wraps `text` into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Two columns: the left padded to a common width (longer ones get the text on the next line). */
function table(rows: Array<[left: string, text: string]>, maxCol = 30): string[] {
  const col = Math.min(maxCol, Math.max(...rows.map(([l]) => l.length)) + 4);
  const out: string[] = [];
  for (const [left, text] of rows) {
    const body = wrap(text, WIDTH - col);
    const first = `  ${left}`;
    if (first.length + 2 > col) out.push(first, ...body.map((l) => ' '.repeat(col) + l));
    else out.push(first.padEnd(col) + (body[0] ?? ''), ...body.slice(1).map((l) => ' '.repeat(col) + l));
  }
  return out;
}

function optionRow(key: string, o: OptionSpec): [string, string] {
  const left = `${o.short ? `-${o.short}, ` : ''}${optionUsage(key, o)}`;
  return [left, `${o.help}${details(o)}`];
}

function positionalRow(p: PositionalSpec): [string, string] {
  const choices = p.choices?.();
  const parts = [p.unit, rangeText(p.range), choices && `one of ${choices.join(', ')}`, p.optional && 'optional'];
  const tail = parts.some(Boolean) ? ` (${parts.filter(Boolean).join('; ')})` : '';
  return [positionalLabel(p), `${p.help}${tail}`];
}

/**
 * `phaselock help <command>` and `<command> --help`: usage line, description, arguments and
 * every option with its unit, range and default. Pure.
 */
export function renderHelp(spec: CommandSpec<any, any>): string {
  const parts = [usageLine(spec), '', spec.description.trim()];
  const positionals = (spec.positionals ?? []) as readonly PositionalSpec[];
  if (positionals.length > 0) parts.push('', 'arguments:', ...table(positionals.map(positionalRow)));
  const options = Object.entries({ ...(spec.options as Record<string, OptionSpec>), help: HELP_OPTION });
  parts.push('', 'options:', ...table(options.map(([k, o]) => optionRow(k, o))));
  return parts.join('\n');
}

/** The main usage line: `usage: phaselock [link|status|…|help] [options]`. */
export function mainUsageLine(commands: readonly AnyCommand[]): string {
  return `usage: phaselock [${commands.map((c) => c.name).join('|')}] [options]`;
}

/** `phaselock help` / `phaselock --help`: every command with its summary, exit codes. Pure. */
export function renderOverview(commands: readonly AnyCommand[], intro: string, outro: string): string {
  const rows: Array<[string, string]> = commands.map((c) => [synopsis(c), c.summary]);
  rows.push(['phaselock --version', 'print the version']);
  return [intro.trim(), '', 'usage:', ...table(rows, 50), '', outro.trim()].join('\n');
}
