/**
 * The MIDI input side (L0): what every source of incoming MIDI hands its listeners — an
 * RTP-MIDI session (`phaselock/rtpmidi`) today, native input ports next — so a consumer (the
 * clock follower, a recorder, the CLI's `--print`) is written once for all of them.
 *
 * Each event is one complete MIDI message (status byte first; a sysex whole, F0…F7) with two
 * host times (integer µs of the runtime's clock):
 * - `timeMicros`: the host time the message is *for*. A source that knows when the sender meant
 *   the message to sound (RTP-MIDI maps the sender's timestamp through clock sync) reports that
 *   instant, which may lie in the future (a sender sending ahead) or in the past (network delay);
 *   a source without timestamps reports the arrival time.
 * - `receivedAtMicros`: when the bytes reached us.
 * @module
 */

export interface MidiInputEvent {
  /** One complete MIDI message: status byte first, running status resolved, a sysex whole. */
  data: Uint8Array;
  /** Host time (µs) the message is for: the sender's time mapped to our clock, or the arrival time. */
  timeMicros: number;
  /** Host time (µs) the message arrived. */
  receivedAtMicros: number;
}

/** The events every MIDI input emits (a source may emit more: `warning`, `close`, …). */
export interface MidiInputEvents {
  message: [MidiInputEvent];
}

/**
 * A source of incoming MIDI. Listeners are called synchronously from the source's receive path
 * (a listener that throws is reported as the source's `warning`, never breaks the source).
 * @example
 * function printAll(input: MidiInput): void {
 *   input.on('message', (e) => console.log(e.timeMicros, [...e.data].map((b) => b.toString(16)).join(' ')));
 * }
 */
export interface MidiInput {
  on(event: 'message', fn: (event: MidiInputEvent) => void): this;
  off(event: 'message', fn: (event: MidiInputEvent) => void): this;
  /** Stops the input for good; resolves once what it owes the other side (a goodbye) has gone out. */
  close(): Promise<void>;
}
