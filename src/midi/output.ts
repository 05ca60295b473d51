/**
 * MIDI outputs for the scheduler (L0/L1): the `MidiOutput` contract, a recording output for
 * tests, and a formatting output that writes one readable line per message.
 *
 * `MidiOutput` is the scheduler's output contract (sched/output-dispatcher.ts):
 * - instant (`acceptsFutureTimestamps: false`) — `send` is called at the instant (native ports);
 *   the scheduler waits with `PreciseTimers`, or use the timing-thread output
 *   (`src/node/timing/precise-output.ts`);
 * - timestamped (`acceptsFutureTimestamps: true`) — `send` is called ahead with the exact
 *   future time (RTP-MIDI, the timing thread, recorders), and `cancelFrom(t)` withdraws what
 *   was given for times ≥ t, so stop and close never leave a note hanging. `HeldOutput`
 *   (`phaselock/sched`) makes any sink that acts at once such an output.
 *
 * Native ports live in `src/node/midi/native-midi.ts` (`@julusian/midi`, optional).
 * @module
 */
import type { Clock, Timers } from '../core/runtime.ts';
import { HeldOutput } from '../sched/held-output.ts';
import type { InstantOutput, ScheduledOutput, TimestampedOutput } from '../sched/output-dispatcher.ts';
import type { MidiMessage } from './messages.ts';
import { MidiParser } from './parser.ts';

/**
 * Where scheduled MIDI goes: one complete MIDI message per `send`, with its exact host time (µs).
 * @example
 * const out: MidiOutput = { acceptsFutureTimestamps: false, send: (data) => port.sendMessage([...data]) };
 */
export type MidiOutput = ScheduledOutput;
export type { InstantOutput, TimestampedOutput };

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
 * Records every message with its scheduled time (and optionally when it was called). As a
 * timestamped output (the default) `cancelFrom(t)` takes back what was recorded for times ≥ t
 * (kept in `withdrawn`): what stays in `messages` is what a device would have played.
 * @example
 * const rec = new RecordingOutput();
 * const clock = new MidiClockOut(link, rec).open();
 * // …later: rec.messages.filter((m) => m.data[0] === 0xf8).length
 */
export class RecordingOutput {
  readonly acceptsFutureTimestamps: boolean;
  readonly messages: RecordedMessage[] = [];
  /** Messages taken back by `cancelFrom`. */
  readonly withdrawn: RecordedMessage[] = [];
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

  /** Takes back what was recorded for times ≥ `fromMicros` (they move to `withdrawn`). */
  cancelFrom(fromMicros: number): void {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      if (this.messages[i]!.timeMicros >= fromMicros) this.withdrawn.push(...this.messages.splice(i, 1));
    }
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
  /** The clock and timers the message times are on: lines are written when each message is due. */
  clock: Clock;
  timers: Timers;
  /** Subtracted from times so lines show ms since this host time (default: the first message). */
  originMicros?: number;
  /** Skip clock ticks (0xF8) to keep the output readable (default false). */
  hideClock?: boolean;
}

/**
 * Writes one line per message, `  1234.567 ms  noteon ch1 60 vel 100`, when it is due: a
 * timestamped output that holds what it is given (`HeldOutput`), so a stop withdraws the notes
 * not yet printed. The time printed is the scheduled one.
 */
export class FormattingOutput extends HeldOutput {
  private origin: number | undefined;

  constructor(private readonly options: FormattingOutputOptions) {
    super((data, time) => this.print(data, time), options.clock, options.timers);
    this.origin = options.originMicros;
  }

  private print(data: Uint8Array, timeMicros: number): void {
    if (this.options.hideClock && data[0] === 0xf8) return;
    this.origin ??= timeMicros;
    const ms = ((timeMicros - this.origin) / 1000).toFixed(3).padStart(10);
    this.options.write(`${ms} ms  ${describeMidi(data)}`);
  }
}
