/**
 * `phaselock help [command]`, and the overview it prints (also `phaselock --help`).
 * @module
 */
import { defineCommand, type AnyCommand } from '../spec/command-spec.ts';
import { renderHelp, renderOverview } from '../spec/help.ts';

const INTRO = 'phaselock — join the Ableton Link session on this network and show or drive it.';

const OUTRO = `
Exit codes: 0 success, 1 failure (e.g. no session joined within --timeout, an output that
cannot be opened), 2 bad arguments (a message and the command's usage line on stderr).
Durations are in seconds, latencies in milliseconds. See docs/cli.md for details.`;

/** The overview of `commands`. Pure. */
export function overview(commands: readonly AnyCommand[]): string {
  return renderOverview(commands, INTRO, OUTRO);
}

/** The `help` command over `commands()` (lazy: the registry includes this command). */
export function makeHelpCommand(commands: () => readonly AnyCommand[]) {
  const names = () => commands().map((c) => c.name);
  return defineCommand({
    name: 'help',
    summary: 'help on one command',
    description: `
Prints the help of <command> (the same as phaselock <command> --help), or without one the
list of commands.`,
    positionals: [{
      name: 'command', type: 'string', optional: true, choices: names,
      check: (name: string) => (names().includes(name) ? undefined : `no help on '${name}'`),
      help: 'the command to explain',
    }],
    options: {},
    async run({ args }, io) {
      const command = commands().find((c) => c.name === args.command);
      io.out(command ? renderHelp(command) : overview(commands()));
      return 0;
    },
  });
}
