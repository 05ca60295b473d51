/**
 * `phaselock/midi`: MIDI 1.0 bytes (encoders, incremental parser), outputs, the Link-synced
 * MIDI clock (`MidiClockOut`), the Link sequencer (`LinkSequencer`) and Standard MIDI File
 * import. L0/L1: native ports and the timing-thread output are Node adapters, exported from the
 * package root (`import { openPreciseOutput, openNativeMidiOutput } from 'phaselock'`). See docs/timing.md.
 * @module
 */
export * from './messages.ts';
export * from './encode.ts';
export { MidiParser, MidiStreamWarning, DEFAULT_MAX_SYSEX_LENGTH, type MidiParserOptions, type MidiWarningReason } from './parser.ts';
export {
  RecordingOutput,
  FormattingOutput,
  describeMidi,
  recordedToJson,
  type MidiOutput,
  type RecordedMessage,
  type RecordingOutputOptions,
  type FormattingOutputOptions,
} from './output.ts';
export {
  MidiClockOut,
  TICKS_PER_BEAT,
  SIXTEENTH_MICRO_BEATS,
  type MidiClockOutOptions,
  type MidiClockOutEvents,
} from './clock-out.ts';
export { LinkSequencer, type LinkSequencerOptions, type LinkSequencerEvents, type LoopOptions } from './sequencer.ts';
export type { MidiInput, MidiInputEvent, MidiInputEvents } from './input.ts';
export { parseSmf, SMF_LIMITS, type SmfEvent, type SmfParseOptions, type SmfSong } from './smf.ts';
export { MidiClockFollower, type MidiClockFollowerOptions, type MidiClockFollowerEvents, type FollowerTransportEvent } from './clock-follower.ts';
export { TempoEstimator, type TempoEstimatorOptions, type TickVerdict } from './tempo-estimator.ts';
