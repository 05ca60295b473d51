/**
 * `phaselock`'s composition root: parses the command line and runs one command.
 * Each command module is imported lazily, so `phaselock tempo 120` does not load the TUI and
 * `clock`/`seq` (written separately, in src/cli/clock.ts and src/cli/seq.ts) are optional.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, UsageError, type CliCommand } from './args.ts';
import { USAGE } from './usage.ts';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const EXTERNAL = {
  clock: 'runClockCommand',
  seq: 'runSeqCommand',
} as const;

export interface ExternalOptions {
  /** The module next to which clock/seq are looked up (default: this module). */
  baseUrl?: string;
  stderr?: (text: string) => void;
}

/**
 * Runs `phaselock clock|seq` from its own module, imported only now. The contract: the module
 * exports `runClockCommand(args: string[])` / `runSeqCommand(args: string[])` returning (a
 * promise of) the exit code (undefined counts as 0). A missing module or export is a clear
 * error and exit code 1.
 */
export async function runExternal(name: keyof typeof EXTERNAL, args: string[], options: ExternalOptions = {}): Promise<number> {
  const baseUrl = options.baseUrl ?? import.meta.url;
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const ext = baseUrl.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./${name}${ext}`, baseUrl);
  const file = fileURLToPath(url);
  if (!existsSync(file)) {
    stderr(`phaselock: the '${name}' command is not available in this build (${file} is missing)\n`);
    return 1;
  }
  const mod = (await import(url.href)) as Record<string, unknown>;
  const fn = mod[EXTERNAL[name]];
  if (typeof fn !== 'function') {
    stderr(`phaselock: ${file} does not export ${EXTERNAL[name]}()\n`);
    return 1;
  }
  const code: unknown = await (fn as (args: string[]) => unknown)(args);
  return typeof code === 'number' ? code : 0;
}

async function run(cmd: CliCommand): Promise<number> {
  switch (cmd.kind) {
    case 'help':
      if (cmd.topic === 'clock' || cmd.topic === 'seq') return runExternal(cmd.topic, ['--help']);
      process.stdout.write(`${USAGE[cmd.topic].text}\n`);
      return 0;
    case 'version':
      process.stdout.write(`phaselock ${version()}\n`);
      return 0;
    case 'link':
      return (await import('./live.ts')).runLive(cmd);
    case 'status':
    case 'peers':
    case 'tempo':
    case 'play':
    case 'stop':
      return (await import('./oneshot.ts')).runOneShot(cmd);
    case 'carabiner':
      return (await import('./carabiner-command.ts')).runCarabiner(cmd);
    case 'external':
      return runExternal(cmd.name, cmd.args);
  }
}

/**
 * Runs `phaselock` with `argv` (without node and the script) and resolves with the exit code:
 * 0 success, 1 failure, 2 bad arguments (after a message and the usage line on stderr).
 */
export async function main(argv: readonly string[]): Promise<number> {
  let cmd: CliCommand;
  try {
    cmd = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`phaselock: ${err.message}\n${err.usage}\n`);
    return 2;
  }
  try {
    return await run(cmd);
  } catch (err) {
    process.stderr.write(`phaselock: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
