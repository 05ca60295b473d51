// Shared by the examples: their command line, read by name with Node's util.parseArgs (never by
// position: `--duration 3000` must not be taken for a tempo), and `--duration <ms>`, which makes
// an example stop by itself (tests use it).
import { parseArgs } from 'node:util';

export interface ExampleArgs {
  /** `--duration <ms>` (also `--duration=<ms>`), or undefined. */
  durationMs: number | undefined;
  /** `--bpm <n>`, or undefined (MIDI examples). */
  bpm: number | undefined;
  /** `--link`: join a real Link session (MIDI examples). */
  link: boolean;
  /** `--hide-clock`: leave clock ticks out of the printed lines (MIDI examples). */
  hideClock: boolean;
  /** The arguments that are not options, in order. */
  positionals: string[];
}

/** A number from `--name`'s value, or an exit with a message: a typo must not run an example forever or at 999 bpm. */
function numberOption(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min) fail(`--${name} needs a number ≥ ${min}, got '${text}'`);
  return v;
}

function fail(message: string): never {
  console.error(`${process.argv[1] ?? 'example'}: ${message}`);
  process.exit(2);
}

/** Reads this example's command line; exits 2 with a message on an unknown option or a bad value. */
export function exampleArgs(): ExampleArgs {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        duration: { type: 'string' },
        bpm: { type: 'string' },
        link: { type: 'boolean' },
        'hide-clock': { type: 'boolean' },
      },
      allowPositionals: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  return {
    durationMs: numberOption('duration', values.duration, 0),
    bpm: numberOption('bpm', values.bpm, 0),
    link: values.link === true,
    hideClock: values['hide-clock'] === true,
    positionals,
  };
}

/** `--duration <ms>`, or `fallback` when it is not given. */
export function durationMs(fallback = Infinity): number {
  return exampleArgs().durationMs ?? fallback;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
