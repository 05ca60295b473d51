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
import { terminalHungUp, watchProcess } from './shutdown.ts';

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
 * line on stderr — never the whole help). Without `io` it writes stdout/stderr lines and watches
 * the process (src/cli/shutdown.ts): SIGINT, SIGTERM, SIGHUP, the parent's death or a closed
 * stdout end the command through `io.signal`; a second signal forces the exit.
 * @example process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io?: CommandIo): Promise<number> {
  const watch = io ? undefined : watchProcess();
  try {
    return await run(resolve(argv), io ?? { ...stdio, signal: watch!.signal });
  } catch (err) {
    const e = io ?? stdio;
    if (err instanceof UsageError) {
      e.err(`phaselock: ${err.message}\n${err.usage}`);
      return 2;
    }
    // An error we did not expect: say what, and where only when debugging.
    e.err(`phaselock: ${err instanceof Error ? (process.env.PHASELOCK_DEBUG ? (err.stack ?? err.message) : err.message) : String(err)}`);
    return 1;
  } finally {
    watch?.dispose();
    // A hung-up terminal (closed window, dropped ssh): everything owed has gone out, but Node
    // cannot exit normally any more — restoring the terminal's modes at exit fails with EIO and
    // Node aborts (SIGABRT, a core dump). End the way a hangup ends a process: by SIGHUP, with
    // its default action (no handler is left after dispose). Whatever was noticed first — the
    // SIGHUP, or stdout failing with EIO — the terminal is what tells.
    if (watch && terminalHungUp()) process.kill(process.pid, 'SIGHUP');
  }
}
