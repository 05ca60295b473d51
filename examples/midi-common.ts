// Shared by the MIDI examples: run from the command line they print each message
// (`--duration <ms>` stops them, `--link` joins a real Link session, `--bpm <n>`); imported,
// their `main()` records into a RecordingOutput and returns what was sent (tests do that).
import { pathToFileURL } from 'node:url';
import { hrClock, Link, nodeTimers } from '../src/index.ts';
import { FormattingOutput, RecordingOutput, type MidiOutput, type RecordedMessage } from '../src/midi/index.ts';

export interface ExampleOptions {
  /** Run this long (ms) from the call, count-in included. */
  durationMs?: number;
  /** Tempo for a new Link (default 120). */
  bpm?: number;
  /** Join the network (default false: a session of one). */
  enableLink?: boolean;
  /** Where MIDI goes; default: a RecordingOutput (returned). */
  output?: MidiOutput;
}

export interface ExampleResult {
  messages: RecordedMessage[];
  /** Host time (µs) of song beat 0. */
  startMicros: number;
  /** Link beat → host time, on the timeline at the end of the run. */
  timeAtBeat: (beat: number) => number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A Link and an output for one example run. */
export function setUp(options: ExampleOptions) {
  const link = new Link({ bpm: options.bpm ?? 120, startStopSync: true });
  if (options.enableLink) link.enable();
  const recorder = new RecordingOutput();
  const output = options.output ?? recorder;
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

/** Runs `main` with options from argv when the file is executed directly. */
export function runIfMain(url: string, main: (o: ExampleOptions) => Promise<ExampleResult>): void {
  if (!process.argv[1] || url !== pathToFileURL(process.argv[1]).href) return;
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const durationMs = Number(arg('--duration') ?? 8000);
  const bpm = Number(arg('--bpm') ?? 120);
  const output = new FormattingOutput({ write: (line) => console.log(line), clock: hrClock, timers: nodeTimers, hideClock: process.argv.includes('--hide-clock') });
  main({ durationMs, bpm, enableLink: process.argv.includes('--link'), output }).then(
    (r) => console.log(`done (${r.messages.length} messages recorded)`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
