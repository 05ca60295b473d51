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
  /** The words of the command names (`rtpmidi`, `listen`, …), each once. */
  const words = () => [...new Set(names().flatMap((n) => n.split(' ')))];
  return defineCommand({
    name: 'help',
    summary: 'help on one command',
    description: `
Prints the help of <command> (the same as phaselock <command> --help), or without one the
list of commands.`,
    positionals: [{
      name: 'command', type: 'string', optional: true, variadic: true,
      check: (word: string) => (words().includes(word) ? undefined : `no help on '${word}' (commands: ${names().join(', ')})`),
      help: 'the command to explain (two words for a family: rtpmidi listen)',
    }],
    options: {},
    async run({ args }, io) {
      const words = args.command.join(' ');
      const command = commands().find((c) => c.name === words);
      if (words && !command) {
        const family = commands().filter((c) => c.name.startsWith(`${words} `));
        if (family.length === 0) {
          io.err(`phaselock: no help on '${words}'\nusage: phaselock help [${names().join('|')}]`);
          return 2;
        }
        io.out(family.map((c) => renderHelp(c)).join('\n\n'));
        return 0;
      }
      io.out(command ? renderHelp(command) : overview(commands()));
      return 0;
    },
  });
}
