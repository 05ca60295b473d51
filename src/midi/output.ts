/**
 * MIDI outputs for the scheduler (L0/L1): the `MidiOutput` interface, a recording output for
 * tests and files, and a formatting output that writes one readable line per message.
 *
 * `MidiOutput.acceptsFutureTimestamps` chooses how the scheduler delivers:
 * - `false` — call `send` at the instant (native ports); the scheduler waits with
 *   `PreciseTimers`, or use the timing-thread output (`src/node/precise-output.ts`).
 * - `true` — call `send` ahead of time with the exact future time (RTP-MIDI, recorders).
 *
 * Native ports live in `src/node/native-midi.ts` (`@julusian/midi`, optional).
 * @module
 */
import type { Clock } from '../core/runtime.ts';
import type { ScheduledOutput } from '../sched/output-dispatcher.ts';
import type { MidiMessage } from './messages.ts';
import { MidiParser } from './parser.ts';

/**
 * Where scheduled MIDI goes. Any object with `send` and `acceptsFutureTimestamps` will do.
 * @example
 * const out: MidiOutput = { acceptsFutureTimestamps: false, send: (data) => port.sendMessage([...data]) };
 */
export interface MidiOutput extends ScheduledOutput {
  /** Sends one complete MIDI message; `timeMicros` is its exact scheduled host time (µs). */
  send(data: Uint8Array, timeMicros: number): void;
  readonly acceptsFutureTimestamps: boolean;
}

export interface RecordedMessage {
  /** The scheduled host time handed to `send` (µs). */
  timeMicros: number;
  /** A copy of the bytes. */
  data: Uint8Array;
  /** The clock when `send` was called, if a clock was given. */
  calledAtMicros?: number;
}

export interface RecordingOutputOptions {
  /** Default true: record ahead of time with exact timestamps. false: be called at the instant. */
  acceptsFutureTimestamps?: boolean;
  /** Stamps `calledAtMicros` on each message. */
  clock?: Clock;
  /** Keep at most this many messages (oldest dropped); default unlimited. */
  limit?: number;
  /** Also called with every message. */
  onMessage?: (m: RecordedMessage) => void;
}

/**
 * Records every message with its scheduled time (and optionally when it was called).
 * @example
 * const rec = new RecordingOutput();
 * const clock = new MidiClockOut(link, rec);
 * // …later: rec.messages.filter((m) => m.data[0] === 0xf8).length
 */
export class RecordingOutput implements MidiOutput {
  readonly acceptsFutureTimestamps: boolean;
  readonly messages: RecordedMessage[] = [];
  private readonly clock: Clock | undefined;
  private readonly limit: number;
  private readonly onMessage: ((m: RecordedMessage) => void) | undefined;

  constructor(options: RecordingOutputOptions = {}) {
    this.acceptsFutureTimestamps = options.acceptsFutureTimestamps ?? true;
    this.clock = options.clock;
    this.limit = options.limit ?? Infinity;
    this.onMessage = options.onMessage;
  }

  send(data: Uint8Array, timeMicros: number): void {
    const m: RecordedMessage = { timeMicros, data: data.slice() };
    if (this.clock) m.calledAtMicros = this.clock.micros();
    this.messages.push(m);
    if (this.messages.length > this.limit) this.messages.shift();
    this.onMessage?.(m);
  }

  /** Messages whose status byte is `status` (e.g. 0xf8 for clock ticks). */
  withStatus(status: number): RecordedMessage[] {
    return this.messages.filter((m) => m.data[0] === status);
  }

  clear(): void {
    this.messages.length = 0;
  }

  /** One JSON object per line: `{"t":<µs>,"bytes":[…]}` (+ `"called"` when stamped). */
  toJsonLines(): string {
    return this.messages.map((m) => recordedToJson(m)).join('\n') + (this.messages.length ? '\n' : '');
  }
}

/** `{"t":…,"bytes":[…]}` for one recorded message. Pure. */
export function recordedToJson(m: RecordedMessage): string {
  const o: { t: number; bytes: number[]; called?: number } = { t: m.timeMicros, bytes: [...m.data] };
  if (m.calledAtMicros !== undefined) o.called = m.calledAtMicros;
  return JSON.stringify(o);
}

/** A short human-readable description of one message ('clock', 'noteon ch1 60 vel 100', …). Pure. */
export function describeMidi(data: Uint8Array): string {
  const parsed = new MidiParser().push(data);
  const m = parsed[0];
  if (!m) return `bytes ${[...data].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
  return describeMessage(m);
}

function describeMessage(m: MidiMessage): string {
  switch (m.type) {
    case 'noteon':
    case 'noteoff':
      return `${m.type} ch${m.channel} ${m.note} vel ${m.velocity}`;
    case 'controlchange':
      return `cc ch${m.channel} ${m.controller}=${m.value}`;
    case 'programchange':
      return `program ch${m.channel} ${m.program}`;
    case 'pitchbend':
      return `pitchbend ch${m.channel} ${m.bend}`;
    case 'songposition':
      return `songposition ${m.beats16th}`;
    default:
      return m.type;
  }
}

export interface FormattingOutputOptions {
  /** Called with each line (e.g. `(line) => console.log(line)`). */
  write: (line: string) => void;
  /** Subtracted from times so lines show ms since this host time (default: the first message). */
  originMicros?: number;
  /** Skip clock ticks (0xF8) to keep the output readable (default false). */
  hideClock?: boolean;
}

/**
 * Writes one line per message: `  1234.567 ms  noteon ch1 60 vel 100`. Accepts future
 * timestamps (it prints the scheduled time, not when it printed).
 */
export class FormattingOutput implements MidiOutput {
  readonly acceptsFutureTimestamps = true;
  private origin: number | undefined;

  constructor(private readonly options: FormattingOutputOptions) {
    this.origin = options.originMicros;
  }

  send(data: Uint8Array, timeMicros: number): void {
    if (this.options.hideClock && data[0] === 0xf8) return;
    this.origin ??= timeMicros;
    const ms = ((timeMicros - this.origin) / 1000).toFixed(3).padStart(10);
    this.options.write(`${ms} ms  ${describeMidi(data)}`);
  }
}
