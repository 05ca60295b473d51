// Shared by the MIDI examples: run from the command line they print each message
// (`--duration <ms>` stops them, `--link` joins a real Link session, `--bpm <n>`); imported,
// their `main()` records into a RecordingOutput and returns what was sent (tests do that).
import { pathToFileURL } from 'node:url';
import { hrClock, Link, nodeTimers } from '../src/index.ts';
import { FormattingOutput, RecordingOutput, type MidiOutput, type RecordedMessage } from '../src/midi/index.ts';
import { exampleArgs } from './duration.ts';

export interface ExampleOptions {
  /** Run this long (ms) from the call, count-in included. */
  durationMs?: number;
  /** Tempo for a new Link (default 120). */
  bpm?: number;
  /** Join the network (default false: a session of one). */
  enableLink?: boolean;
  /** Where MIDI goes (besides the record returned); default: nowhere else. */
  output?: MidiOutput;
}

export interface ExampleResult {
  /** Every message that went to the output: sent and not withdrawn. */
  messages: RecordedMessage[];
  /** Host time (µs) of song beat 0. */
  startMicros: number;
  /** Link beat → host time, on the timeline at the end of the run. */
  timeAtBeat: (beat: number) => number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `output` and a recording of what it is given, as one output of the same kind: what the
 * recording keeps is what `output` sends (a withdrawal takes back from both).
 */
function recorded(output: MidiOutput | undefined): { output: MidiOutput; recorder: RecordingOutput } {
  const recorder = new RecordingOutput({ acceptsFutureTimestamps: output?.acceptsFutureTimestamps ?? true });
  if (!output) return { output: recorder, recorder };
  const send = (data: Uint8Array, timeMicros: number) => {
    output.send(data, timeMicros);
    recorder.send(data, timeMicros);
  };
  if (!output.acceptsFutureTimestamps) return { output: { acceptsFutureTimestamps: false, send }, recorder };
  return {
    output: {
      acceptsFutureTimestamps: true,
      ...(output.withdrawLeadMicros !== undefined ? { withdrawLeadMicros: output.withdrawLeadMicros } : {}),
      send,
      cancelFrom(fromMicros: number) {
        output.cancelFrom(fromMicros);
        recorder.cancelFrom(fromMicros);
      },
    },
    recorder,
  };
}

/** A Link and an output for one example run; `finish` closes the Link and returns what was sent. */
export function setUp(options: ExampleOptions) {
  const link = new Link({ bpm: options.bpm ?? 120, startStopSync: true });
  if (options.enableLink) link.enable();
  const { output, recorder } = recorded(options.output);
  const finish = async (startMicros: number): Promise<ExampleResult> => {
    const s = link.captureAppSessionState();
    await link.close();
    return { messages: recorder.messages, startMicros, timeAtBeat: (b) => s.timeAtBeat(b, 4) };
  };
  return { link, output, finish };
}

/**
 * Starts `seq` (on the next bar), lets it play until `durationMs` after the call, stops it (sounding
 * notes get their note-offs) and closes it. Resolves with the host time of song beat 0.
 */
export async function playFor(
  link: Link,
  seq: { start(): number; stop(): number; close(): Promise<void> },
  durationMs: number,
): Promise<number> {
  const startedAt = link.clock.micros();
  const t0 = seq.start();
  await sleep(Math.max(0, durationMs - (link.clock.micros() - startedAt) / 1000));
  seq.stop();
  await sleep(60); // the note-offs and the stop go out after what was already scheduled
  await seq.close();
  return t0;
}

/**
 * Runs `main` with options from argv when the file is executed directly: one line per message
 * as it is due, then `done (N messages)`.
 */
export function runIfMain(url: string, main: (o: ExampleOptions) => Promise<ExampleResult>): void {
  if (!process.argv[1] || url !== pathToFileURL(process.argv[1]).href) return;
  const args = exampleArgs();
  const output = new FormattingOutput({ write: (line) => console.log(line), clock: hrClock, timers: nodeTimers, hideClock: args.hideClock });
  main({ durationMs: args.durationMs ?? 8000, bpm: args.bpm ?? 120, enableLink: args.link, output })
    .then(async (r) => {
      await output.drain(); // the last lines (note-offs, Stop) are printed when due
      console.log(`done (${r.messages.length} messages)`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
