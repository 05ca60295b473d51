/**
 * Parses one command's arguments against its `CommandSpec`, on Node's `util.parseArgs`.
 *
 * `util.parseArgs` splits argv (`--name value`, `--name=value`, `-x value`, `-xvalue`, grouped
 * flags `-jh`, `--`) and hands back its tokens; we run it non-strict with `tokens: true` (the
 * "custom behaviour" route of its documentation) and check each token against the spec, for
 * the three rules its strict mode does not give us:
 * - a value that looks like an option (`-x`, `--json`; a number such as `-5` is a value) is
 *   never taken as a value: `status -i --json` is "option '--interface' needs a value";
 * - a negative number where no value is expected is a positional (`tempo -5` → the range error);
 * - numbers are plain decimals (`0x10`, `Infinity` are refused), checked against their range.
 * Pure apart from reading `spec`.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  HELP_OPTION, longName, placeholder, positionalLabel, type CommandSpec, type OptionSpec, type OptionSpecs, type Parsed, type PositionalSpec,
} from './command-spec.ts';
import { usageLine } from './help.ts';

/** Bad arguments: the dispatcher prints `phaselock: <message>` and `usage`, and exits 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type ParseOutcome<O extends OptionSpecs, P extends readonly PositionalSpec[]> =
  | { help: true }
  | { help: false; parsed: Parsed<O, P> };

/** Same grammar as the Carabiner protocol's numbers: plain decimals only ("0x10", "1e999" are rejected). */
export function parseNumber(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

/** `-x`, `--json`: an option, not a value. A lone `-` (stdin, by convention) and numbers are values. */
function looksLikeOption(text: string): boolean {
  return text.length > 1 && text.startsWith('-') && parseNumber(text) === undefined;
}

/** "must be a number in [20, 999] bpm, got 5", or undefined when `v` fits. */
export function rangeProblem(v: number, o: { range?: readonly [number, number]; integer?: boolean; unit?: string }): string | undefined {
  const [min, max] = o.range ?? [-Infinity, Infinity];
  if (v >= min && v <= max && (!o.integer || Number.isInteger(v))) return undefined;
  const what = o.integer ? 'an integer' : 'a number';
  const range = o.range ? ` in [${min}, ${max}]${o.unit ? ` ${o.unit}` : ''}` : '';
  return `must be ${what}${range}, got ${v}`;
}

type Value = string | number | boolean;
type Entry = readonly [key: string, spec: OptionSpec];

/** `util.parseArgs`'s configuration for `options`: everything not a flag is read as a string. */
function lexerConfig(options: OptionSpecs): { config: NonNullable<ParseArgsConfig['options']>; byLong: Map<string, Entry> } {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  const byLong = new Map<string, Entry>();
  for (const [key, o] of Object.entries(options)) {
    const long = longName(key);
    byLong.set(long, [key, o]);
    config[long] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) };
  }
  return { config, byLong };
}

/** The checked value of one option token. */
function optionValue(o: OptionSpec, name: string, value: string | undefined, inline: boolean, fail: (m: string) => UsageError): Value {
  if (o.type === 'boolean') {
    if (value !== undefined) throw fail(`option '${name}' takes no value`);
    return true;
  }
  if (value === undefined || value === '' || (!inline && looksLikeOption(value))) throw fail(`option '${name}' needs a value`);
  if (o.type === 'string') {
    const problem = o.check?.(value);
    if (problem) throw fail(`option '${name}' ${problem}`);
    return value;
  }
  const v = parseNumber(value);
  if (v === undefined) throw fail(`option '${name}' needs a number, got '${value}'`);
  const problem = rangeProblem(v, o);
  if (problem) throw fail(`option '${name}' ${problem}`);
  return v;
}

function positionalValue(p: PositionalSpec, text: string, fail: (m: string) => UsageError): string | number {
  const problem = p.check?.(text);
  if (problem) throw fail(problem);
  if (p.type === 'string') {
    const choices = p.choices?.();
    if (choices && !choices.includes(text)) throw fail(`${positionalLabel(p)} must be one of ${choices.join(', ')}; got '${text}'`);
    return text;
  }
  const v = parseNumber(text);
  const range = p.range ? ` in [${p.range[0]}, ${p.range[1]}]${p.unit ? ` ${p.unit}` : ''}` : '';
  if (v === undefined || rangeProblem(v, p)) throw fail(`${positionalLabel(p)} must be a number${range}, got '${text}'`);
  return v;
}

type Token = ReturnType<typeof parseArgs>['tokens'] extends (infer T)[] | undefined ? T : never;
interface Scanned {
  /** Option values by key, in the order given. */
  given: Map<string, Value[]>;
  positionals: string[];
}

/** Checks `tokens` option by option; collects values by key and the positionals in order. */
function scan(tokens: readonly Token[], argv: readonly string[], byLong: Map<string, Entry>, fail: (m: string) => UsageError): Scanned {
  const given = new Map<string, Value[]>();
  const positionals: Array<{ index: number; text: string }> = [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      positionals.push({ index: t.index, text: t.value });
      continue;
    }
    // util.parseArgs reads `-5` (or `-2.5`, as a group) as short options: a negative number is a positional.
    const raw = argv[t.index]!;
    if (parseNumber(raw) !== undefined) {
      if (!positionals.some((p) => p.index === t.index)) positionals.push({ index: t.index, text: raw });
      continue;
    }
    const entry = byLong.get(t.name);
    if (!entry) throw fail(`unknown option '${t.rawName}'`);
    const [key, o] = entry;
    const name = `--${t.name}`;
    const value = optionValue(o, name, t.value, t.inlineValue === true, fail);
    const list = given.get(key) ?? [];
    if (list.length > 0 && !(o.type === 'string' && o.multiple)) throw fail(`option '${name}' given twice`);
    list.push(value);
    given.set(key, list);
  }
  return { given, positionals: positionals.map((p) => p.text) };
}

/** Every option of `specs`: flags true/false, repeatable ones as arrays, the rest with defaults. */
function optionValues(specs: OptionSpecs, given: Map<string, Value[]>, fail: (m: string) => UsageError): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, o] of Object.entries(specs)) {
    const values = given.get(key);
    if (o.type === 'boolean') options[key] = values !== undefined;
    else if (o.type === 'string' && o.multiple) options[key] = values;
    else if (values) options[key] = values[0];
    else if (o.required) throw fail(`--${longName(key)} ${placeholder(o)} is required`);
    else options[key] = o.default;
  }
  return options;
}

/** The positionals by name, checked; missing optional ones are undefined. */
function positionalValues(specs: readonly PositionalSpec[], texts: readonly string[], fail: (m: string) => UsageError): Record<string, unknown> {
  const variadic = specs.at(-1)?.variadic === true;
  const extra = texts[specs.length];
  if (extra !== undefined && !variadic) throw fail(`unexpected argument '${extra}'`);
  const args: Record<string, unknown> = {};
  specs.forEach((p, i) => {
    const text = texts[i];
    if (text === undefined && !p.optional) throw fail(`missing ${positionalLabel(p)}`);
    if (p.variadic) args[p.name] = texts.slice(i).map((t) => positionalValue(p, t, fail));
    else args[p.name] = text === undefined ? undefined : positionalValue(p, text, fail);
  });
  return args;
}

/**
 * Parses `argv` (the arguments after the command name) for `spec`. Returns `{ help: true }`
 * when `-h`/`--help` is among them, else the typed values with defaults applied. Throws
 * {@link UsageError} with the command's usage line. Pure.
 * @example parseCommand(tempoCommand, ['128', '--timeout=1']) // { help: false, parsed: { args: { bpm: 128 }, options: { timeout: 1, … } } }
 */
export function parseCommand<O extends OptionSpecs, P extends readonly PositionalSpec[]>(
  spec: CommandSpec<O, P>,
  argv: readonly string[],
): ParseOutcome<O, P> {
  const usage = usageLine(spec);
  const fail = (message: string) => new UsageError(message, usage);
  const { config, byLong } = lexerConfig({ ...spec.options, help: HELP_OPTION });
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help' && t.value === undefined)) return { help: true };
  const { given, positionals } = scan(tokens, argv, byLong, fail);
  const options = optionValues(spec.options, given, fail);
  const args = positionalValues(spec.positionals ?? [], positionals, fail);
  return { help: false, parsed: { options, args } as Parsed<O, P> };
}
