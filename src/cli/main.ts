/**
 * `phaselock`'s composition root: resolves the command line against the registry
 * (src/cli/registry.ts), runs the command and turns the outcome into the exit code:
 * 0 success, 1 failure, 2 bad arguments. Each command loads its implementation lazily, so
 * `phaselock tempo 120` does not load the terminal UI or the MIDI code.
 * @module
 */
import { readFileSync } from 'node:fs';
import { COMMANDS, resolve, type Resolved } from './registry.ts';
import { overview } from './commands/help.ts';
import { stdio, type CommandIo } from './spec/command-spec.ts';
import { renderHelp } from './spec/help.ts';
import { UsageError } from './spec/parse.ts';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function run(r: Resolved, io: CommandIo): Promise<number> {
  switch (r.kind) {
    case 'version':
      io.out(`phaselock ${version()}`);
      return 0;
    case 'overview':
      io.out(overview(COMMANDS));
      return 0;
    case 'help':
      io.out(renderHelp(r.command));
      return 0;
    case 'run':
      return r.command.run(r.parsed, io);
  }
}

/**
 * Runs `phaselock` with `argv` (without node and the script) and resolves with the exit code:
 * 0 success, 1 failure, 2 bad arguments (after `phaselock: <what>` and the command's usage
 * line on stderr — never the whole help). `io` defaults to stdout/stderr lines.
 * @example process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: CommandIo = stdio): Promise<number> {
  try {
    return await run(resolve(argv), io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`phaselock: ${err.message}\n${err.usage}`);
      return 2;
    }
    io.err(`phaselock: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}
