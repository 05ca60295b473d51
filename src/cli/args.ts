/**
 * Command-line parsing for `phaselock` (pure): argv → a typed command, or a UsageError that
 * the dispatcher turns into exit code 2 with the command's usage line.
 * @module
 */
import { USAGE, type Topic } from './usage.ts';

export class UsageError extends Error {
  constructor(message: string, readonly topic: Topic) {
    super(message);
    this.name = 'UsageError';
  }

  /** The one usage line of the command the error is about. */
  get usage(): string {
    return USAGE[this.topic].line;
  }
}

export interface LinkSetup {
  /** Interface names or IPv4 addresses; undefined = every IPv4 interface. */
  interfaces: string[] | undefined;
}

export interface LiveConfig extends LinkSetup {
  kind: 'link';
  bpm: number;
  quantum: number;
  startStopSync: boolean;
  /** undefined = automatic: JSON when stdout is not a TTY. */
  json: boolean | undefined;
}

export interface OneShotConfig extends LinkSetup {
  timeoutMs: number;
  json: boolean;
  quantum: number;
}

export type CliCommand =
  | { kind: 'help'; topic: Topic }
  | { kind: 'version' }
  | LiveConfig
  | ({ kind: 'status' } & OneShotConfig)
  | ({ kind: 'peers' } & OneShotConfig)
  | ({ kind: 'tempo'; bpm: number } & OneShotConfig)
  | ({ kind: 'play'; quantized: boolean } & OneShotConfig)
  | ({ kind: 'stop' } & OneShotConfig)
  | ({ kind: 'carabiner'; port: number; host: string; bpm: number; startStopSync: boolean; daemon: boolean } & LinkSetup)
  | { kind: 'external'; name: 'clock' | 'seq'; args: string[] };

type Kind = 'number' | 'string' | 'flag';

interface OptionSpec {
  kind: Kind;
  repeatable?: boolean;
  /** Check a number; return an error message or undefined. */
  check?: (v: number) => string | undefined;
}

type Specs = Record<string, OptionSpec>;
type Values = Map<string, (string | number | boolean)[]>;

const range = (min: number, max: number, what = 'a number') => (v: number) =>
  v >= min && v <= max ? undefined : `must be ${what} in [${min}, ${max}], got ${v}`;

const BPM: OptionSpec = { kind: 'number', check: range(20, 999) };
const QUANTUM: OptionSpec = { kind: 'number', check: range(1, 64) };
const INTERFACE: OptionSpec = { kind: 'string', repeatable: true };
const TIMEOUT: OptionSpec = { kind: 'number', check: range(0.05, 3600, 'seconds') };
const FLAG: OptionSpec = { kind: 'flag' };

const ALIASES: Record<string, string> = { '-i': '--interface', '-h': '--help', '-j': '--json', '-p': '--port' };

/** Same grammar as the Carabiner protocol's numbers: plain decimals only ("0x10", "1e999" are rejected). */
function parseNumber(text: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Splits `argv` into options (per `specs`) and positionals. Accepts `--name value`,
 * `--name=value`, `--` (end of options) and the short aliases. A negative number is a
 * positional, not an option.
 */
function scan(argv: readonly string[], specs: Specs, topic: Topic): { values: Values; positionals: string[] } {
  const values: Values = new Map();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || parseNumber(arg) !== undefined) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const rawName = eq > 0 ? arg.slice(0, eq) : arg;
    const name = ALIASES[rawName] ?? rawName;
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option '${rawName}'`, topic);
    let value: string | number | boolean = true;
    if (spec.kind === 'flag') {
      if (eq > 0) throw new UsageError(`option '${name}' takes no value`, topic);
    } else {
      const text = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (text === undefined || text === '') throw new UsageError(`option '${name}' needs a value`, topic);
      value = spec.kind === 'number' ? checkedNumber(name, text, spec, topic) : text;
    }
    const list = values.get(name) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new UsageError(`option '${name}' given twice`, topic);
    list.push(value);
    values.set(name, list);
  }
  return { values, positionals };
}

function checkedNumber(name: string, text: string, spec: OptionSpec, topic: Topic): number {
  const v = parseNumber(text);
  if (v === undefined) throw new UsageError(`option '${name}' needs a number, got '${text}'`, topic);
  const problem = spec.check?.(v);
  if (problem) throw new UsageError(`option '${name}' ${problem}`, topic);
  return v;
}

function num(values: Values, name: string, fallback: number): number {
  const v = values.get(name)?.[0];
  return typeof v === 'number' ? v : fallback;
}

function flag(values: Values, name: string): boolean {
  return values.has(name);
}

function interfaces(values: Values): string[] | undefined {
  const list = values.get('--interface');
  return list ? list.map(String) : undefined;
}

function noPositionals(positionals: string[], topic: Topic): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, topic);
}

const LIVE_SPECS: Specs = {
  '--bpm': BPM, '--quantum': QUANTUM, '--interface': INTERFACE, '--no-start-stop-sync': FLAG, '--json': FLAG, '--help': FLAG,
};
const ONE_SHOT_SPECS: Specs = { '--interface': INTERFACE, '--timeout': TIMEOUT, '--help': FLAG };
const CARABINER_SPECS: Specs = {
  '--port': { kind: 'number', check: range(0, 65535, 'an integer') },
  '--host': { kind: 'string' }, '--bpm': BPM, '--interface': INTERFACE, '--start-stop-sync': FLAG, '--daemon': FLAG, '--help': FLAG,
};

/** Default discovery window of `status` and `peers` (they do not need peers, so they must not wait long). */
export const LISTEN_TIMEOUT_MS = 1000;
/** Default `--timeout` of commands that need a session. */
export const JOIN_TIMEOUT_MS = 3000;

function oneShot(kind: 'status' | 'peers' | 'tempo' | 'play' | 'stop', rest: readonly string[]): CliCommand {
  const specs: Specs = { ...ONE_SHOT_SPECS };
  if (kind === 'status' || kind === 'peers') specs['--json'] = FLAG;
  if (kind === 'status' || kind === 'play') specs['--quantum'] = QUANTUM;
  if (kind === 'play') specs['--quantized'] = FLAG;
  const { values, positionals } = scan(rest, specs, kind);
  if (flag(values, '--help')) return { kind: 'help', topic: kind };
  const needsPeers = kind === 'tempo' || kind === 'play' || kind === 'stop';
  const base: OneShotConfig = {
    interfaces: interfaces(values),
    timeoutMs: values.has('--timeout') ? Math.round(num(values, '--timeout', 0) * 1000) : needsPeers ? JOIN_TIMEOUT_MS : LISTEN_TIMEOUT_MS,
    json: flag(values, '--json'),
    quantum: num(values, '--quantum', 4),
  };
  if (kind === 'tempo') {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <bpm>' : `unexpected argument '${positionals[1]}'`, kind);
    const bpm = parseNumber(positionals[0]!);
    if (bpm === undefined || bpm < 20 || bpm > 999) throw new UsageError(`<bpm> must be a number in [20, 999], got '${positionals[0]}'`, kind);
    return { kind, bpm, ...base };
  }
  noPositionals(positionals, kind);
  if (kind === 'play') return { kind, quantized: flag(values, '--quantized'), ...base };
  return { kind, ...base };
}

function carabiner(rest: readonly string[]): CliCommand {
  const { values, positionals } = scan(rest, CARABINER_SPECS, 'carabiner');
  if (flag(values, '--help')) return { kind: 'help', topic: 'carabiner' };
  noPositionals(positionals, 'carabiner');
  const port = num(values, '--port', 17000);
  if (!Number.isInteger(port)) throw new UsageError(`option '--port' must be an integer in [0, 65535], got ${port}`, 'carabiner');
  const host = values.get('--host')?.[0];
  return {
    kind: 'carabiner',
    port,
    host: typeof host === 'string' ? host : '127.0.0.1',
    bpm: num(values, '--bpm', 120),
    startStopSync: flag(values, '--start-stop-sync'),
    daemon: flag(values, '--daemon'),
    interfaces: interfaces(values),
  };
}

function live(rest: readonly string[]): CliCommand {
  const { values, positionals } = scan(rest, LIVE_SPECS, 'link');
  if (flag(values, '--help')) return { kind: 'help', topic: 'link' };
  noPositionals(positionals, 'link');
  return {
    kind: 'link',
    bpm: num(values, '--bpm', 120),
    quantum: num(values, '--quantum', 4),
    interfaces: interfaces(values),
    startStopSync: !flag(values, '--no-start-stop-sync'),
    json: flag(values, '--json') ? true : undefined,
  };
}

/**
 * Parses `phaselock`'s arguments (without `node` and the script). Throws {@link UsageError}.
 * Pure.
 * @example parseArgs(['tempo', '128']) // { kind: 'tempo', bpm: 128, timeoutMs: 3000, … }
 */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined) return live([]);
  if (first === '--help' || first === '-h') return { kind: 'help', topic: 'main' };
  if (first === '--version' || first === '-V') return { kind: 'version' };
  if (first.startsWith('-')) return live(argv);
  switch (first) {
    case 'link':
      return live(rest);
    case 'help': {
      const topic = rest[0] ?? 'main';
      if (!(topic in USAGE)) throw new UsageError(`no help on '${topic}'`, 'main');
      return { kind: 'help', topic: topic as Topic };
    }
    case 'status':
    case 'peers':
    case 'tempo':
    case 'play':
    case 'stop':
      return oneShot(first, rest);
    case 'carabiner':
      return carabiner(rest);
    case 'clock':
    case 'seq':
      // Their options belong to their own modules (src/cli/clock.ts, src/cli/seq.ts).
      return { kind: 'external', name: first, args: [...rest] };
    default:
      throw new UsageError(`unknown command '${first}'`, 'main');
  }
}
