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
  const named = unnamed ? undefined : findCommand(first);
  if (!unnamed && !named) throw new UsageError(`unknown command '${first}'`, mainUsageLine(COMMANDS));
  const command = named ?? DEFAULT_COMMAND;
  const outcome = parseCommand(command, named ? rest : argv);
  return outcome.help ? { kind: 'help', command } : { kind: 'run', command, parsed: outcome.parsed };
}
