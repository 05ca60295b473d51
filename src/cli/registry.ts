/**
 * Every `phaselock` command, in the order `phaselock help` lists them, and the resolution of a
 * command line to one of them (pure). A new command family is a file in src/cli/commands/
 * whose specs are added here.
 * @module
 */
import { carabinerCommand } from './commands/carabiner.ts';
import { makeHelpCommand } from './commands/help.ts';
import { linkCommand } from './commands/link.ts';
import { clockCommand, midiCommand, seqCommand } from './commands/midi.ts';
import { peersCommand, playCommand, statusCommand, stopCommand, tempoCommand } from './commands/one-shot.ts';
import { rtpmidiListCommand, rtpmidiListenCommand, rtpmidiSendCommand } from './commands/rtpmidi.ts';
import { followCommand } from './commands/follow.ts';
import { showCommand } from './commands/show.ts';
import type { AnyCommand, Parsed } from './spec/command-spec.ts';
import { mainUsageLine } from './spec/help.ts';
import { parseCommand, UsageError } from './spec/parse.ts';

export const helpCommand = makeHelpCommand(() => COMMANDS);

export const COMMANDS: readonly AnyCommand[] = [
  linkCommand,
  statusCommand,
  peersCommand,
  tempoCommand,
  playCommand,
  stopCommand,
  carabinerCommand,
  clockCommand,
  seqCommand,
  midiCommand,
  rtpmidiListCommand,
  rtpmidiListenCommand,
  rtpmidiSendCommand,
  followCommand,
  showCommand,
  helpCommand,
];

/** The command that runs when none is named. */
export const DEFAULT_COMMAND = linkCommand;

export type Resolved =
  | { kind: 'version' }
  | { kind: 'overview' }
  /** `<command> --help`. */
  | { kind: 'help'; command: AnyCommand }
  | { kind: 'run'; command: AnyCommand; parsed: Parsed<any, any> };

export function findCommand(name: string): AnyCommand | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/**
 * What `phaselock <argv>` means: a command with its parsed arguments, its help, the overview
 * or the version. Throws {@link UsageError}. Pure.
 * @example resolve(['tempo', '128']) // { kind: 'run', command: tempoCommand, parsed: { args: { bpm: 128 }, … } }
 */
export function resolve(argv: readonly string[]): Resolved {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return { kind: 'overview' };
  if (first === '--version' || first === '-V') return { kind: 'version' };
  // `phaselock`, `phaselock --bpm 130`: the default command.
  const unnamed = first === undefined || first.startsWith('-');
  // A command family (`rtpmidi list`, `rtpmidi send`): its commands are named by two words.
  const family = unnamed ? [] : COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (family.length > 0 && !findCommand(first!)) {
    const sub = rest[0];
    const command = sub === undefined ? undefined : findCommand(`${first} ${sub}`);
    if (!command) {
      const words = family.map((c) => c.name.slice(first!.length + 1)).join(', ');
      if (sub === '--help' || sub === '-h') return { kind: 'overview' };
      throw new UsageError(sub === undefined ? `phaselock ${first} needs one of: ${words}` : `unknown command '${first} ${sub}' (one of: ${words})`, mainUsageLine(family));
    }
    const outcome = parseCommand(command, rest.slice(1));
    return outcome.help ? { kind: 'help', command } : { kind: 'run', command, parsed: outcome.parsed };
  }
  const named = unnamed ? undefined : findCommand(first);
  if (!unnamed && !named) throw new UsageError(`unknown command '${first}'`, mainUsageLine(COMMANDS));
  const command = named ?? DEFAULT_COMMAND;
  const outcome = parseCommand(command, named ? rest : argv);
  return outcome.help ? { kind: 'help', command } : { kind: 'run', command, parsed: outcome.parsed };
}
