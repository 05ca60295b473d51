/**
 * The shape of a `phaselock` command: one `CommandSpec` per subcommand holds everything the
 * command line knows about it — name, summary, description, options, positionals — and the
 * `run` that receives the parsed, checked and typed values. Parsing (`parse.ts`, on Node's
 * `util.parseArgs`) and help (`help.ts`) are generated from the same object, so an option
 * cannot be accepted without being documented, nor documented with the wrong range or unit.
 *
 * Conventions (units, in DESIGN §5 terms): durations a user types are **seconds** (`S`);
 * latencies are **milliseconds** (`MS`), the unit MIDI users think in; tempo is bpm; inside,
 * runners convert to µs.
 * @module
 */
import { safeWrite } from '../shutdown.ts';

/** The unit of a number, printed in the help after its range. */
export type Unit = 'seconds' | 'ms' | 'bpm' | 'beats';

interface OptionCommon {
  /** One-letter alias, without the dash: `'i'` for `-i`. */
  short?: string;
  /** What it does, one phrase. The help appends range, unit and default from the definition. */
  help: string;
  /** For a default that is not a value (`"the session's"`, `"until a signal"`). */
  defaultHelp?: string;
}

export interface NumberOption extends OptionCommon {
  type: 'number';
  /** Placeholder in usage and help (default by unit: `S` for seconds, `MS` for ms, else `N`). */
  value?: string;
  default?: number;
  /** Accepted range, inclusive; stated in the help and in the error. */
  range?: readonly [min: number, max: number];
  integer?: boolean;
  unit?: Unit;
  required?: boolean;
}

export interface StringOption extends OptionCommon {
  type: 'string';
  /** Placeholder in usage and help: `NAME|ADDR`, `OUTPUT`. */
  value: string;
  default?: string;
  /** May be given several times; the values come as an array (undefined when never given). */
  multiple?: boolean;
  required?: boolean;
  /** Returns what is wrong with `value` (completing "option '--x' …"), or undefined. */
  check?: (value: string) => string | undefined;
}

export interface FlagOption extends OptionCommon {
  type: 'boolean';
}

export type OptionSpec = NumberOption | StringOption | FlagOption;

/** Options by key; the long name is the key in kebab-case (`noLink` → `--no-link`). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface PositionalSpec {
  /** The key in `parsed.args`. */
  name: string;
  /** As shown in usage and errors, between `<>` (default: `name`): `<FILE.mid>`, `missing <bpm>`. */
  value?: string;
  type: 'number' | 'string';
  optional?: boolean;
  range?: readonly [min: number, max: number];
  unit?: Unit;
  /** The accepted words, shown in usage as `[a|b|c]` (lazy: the `help` command's are the registry). */
  choices?: () => readonly string[];
  /** Returns the whole error message for a bad value, or undefined. */
  check?: (text: string) => string | undefined;
  /** The last positional only: takes every remaining argument (an array; at least one unless optional). */
  variadic?: boolean;
  help: string;
}

/** `<bpm>`: a positional as usage lines and errors show it. */
export function positionalLabel(p: PositionalSpec): string {
  return `<${p.value ?? p.name}>`;
}

type Scalar<S> = S extends { type: 'number' } ? number : S extends { type: 'string' } ? string : boolean;

/** The parsed value of one option: flags are booleans; options without a default may be absent. */
export type OptionValue<S extends OptionSpec> =
  S extends { type: 'boolean' } ? boolean
    : S extends { multiple: true } ? Scalar<S>[] | undefined
      : S extends { default: number | string } | { required: true } ? Scalar<S> : Scalar<S> | undefined;

export type OptionValues<O extends OptionSpecs> = { -readonly [K in keyof O]: OptionValue<O[K]> };

type PositionalScalar<S extends PositionalSpec> = S extends { type: 'number' } ? number : string;
type PositionalValue<S extends PositionalSpec> = S extends { variadic: true } ? PositionalScalar<S>[]
  : PositionalScalar<S> | (S extends { optional: true } ? undefined : never);

export type PositionalValues<P extends readonly PositionalSpec[]> = { [S in P[number] as S['name']]: PositionalValue<S> };

/** What `run` receives. */
export interface Parsed<O extends OptionSpecs, P extends readonly PositionalSpec[]> {
  options: OptionValues<O>;
  args: PositionalValues<P>;
}

/** Where a command writes its lines, and how it is told to stop. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /**
   * Aborted when the command must end: SIGINT, SIGTERM, SIGHUP, the parent's death or stdout
   * closed (src/cli/shutdown.ts; `signal.reason` says which), or by a test. Commands end on it
   * exactly as they end normally (Stop, note-offs, ByeBye, terminal restored).
   */
  signal: AbortSignal;
}

/** Lines to stdout and stderr (dropped once the stream is closed), with a signal that never aborts. */
export const stdio: CommandIo = {
  out: (line) => safeWrite(process.stdout, line),
  err: (line) => safeWrite(process.stderr, line),
  signal: new AbortController().signal,
};

export interface CommandSpec<O extends OptionSpecs = OptionSpecs, P extends readonly PositionalSpec[] = readonly PositionalSpec[]> {
  name: string;
  /** One line in `phaselock help`. */
  summary: string;
  /** The paragraphs of `phaselock help <name>` between the usage line and the arguments. */
  description: string;
  /** The command that runs when none is named (`phaselock`, `phaselock --bpm 130`). */
  isDefault?: boolean;
  options: O;
  positionals?: P;
  /** Runs the command; resolves to its exit code (0 success, 1 failure). Load heavy modules lazily here. */
  run(parsed: Parsed<O, P>, io: CommandIo): Promise<number>;
}

/** Any command, as the registry holds it. */
export type AnyCommand = CommandSpec<any, any>;

/**
 * Declares a command, inferring the option and positional types from the literal (so
 * `run` gets `options.bpm: number`, `args.bpm: number`).
 * @example defineCommand({ name: 'tempo', summary: '…', description: '…', options: { timeout }, positionals: [bpm], run })
 */
export function defineCommand<const O extends OptionSpecs, const P extends readonly PositionalSpec[] = []>(
  spec: CommandSpec<O, P>,
): CommandSpec<O, P> {
  return spec;
}

/** `noStartStopSync` → `no-start-stop-sync`. */
export function longName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The placeholder of an option's value (`N`, `S`, `MS`, `NAME|ADDR`), or undefined for a flag. */
export function placeholder(o: OptionSpec): string | undefined {
  if (o.type === 'boolean') return undefined;
  if (o.type === 'string') return o.value;
  return o.value ?? (o.unit === 'seconds' ? 'S' : o.unit === 'ms' ? 'MS' : 'N');
}

/** Every command takes `-h, --help`. */
export const HELP_OPTION: FlagOption = { type: 'boolean', short: 'h', help: 'this help' };
