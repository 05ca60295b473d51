/**
 * The MIDI 1.0 message vocabulary: one discriminated union over every message a MIDI 1.0
 * byte stream can carry. `type` names follow the WebMIDI / WEBMIDI.js event vocabulary
 * ('noteon', 'controlchange', 'songposition', 'activesensing', ...).
 *
 * Conventions (all messages):
 * - `channel` is **1..16** (the wire nibble plus one), as musicians and most JS MIDI libraries count.
 * - Data values are 0..127. 14-bit values (pitch bend, song position) are 0..16383; on the wire
 *   they travel as two 7-bit bytes, LSB first (MIDI 1.0 Detailed Specification, "Pitch Bend Change",
 *   "Song Position Pointer").
 * - `data` holds the message's raw bytes exactly as it travels, status byte first (running status
 *   is never reflected; sysex includes F0 and F7). Real-time messages share preallocated `data`
 *   arrays: treat `data` as read-only.
 *
 * Pure (L0): no I/O, no clocks, no globals.
 * @module
 */

/** Fields every message has. */
export interface MidiMessageBase<T extends string> {
  readonly type: T;
  /** The raw bytes of this one message, status byte first. Treat as read-only. */
  readonly data: Uint8Array;
}

/** Fields every channel voice message has. */
export interface ChannelMessageBase<T extends string> extends MidiMessageBase<T> {
  /** MIDI channel 1..16 (wire nibble + 1). */
  readonly channel: number;
}

// --- Channel voice messages (MIDI 1.0 Detailed Specification, "Channel Voice Messages") ---

/** 8n kk vv. */
export interface NoteOffMessage extends ChannelMessageBase<'noteoff'> {
  readonly note: number;
  /** Release velocity 0..127. */
  readonly velocity: number;
}

/** 9n kk vv. Velocity 0 means note-off by convention; see {@link isNoteOff}. */
export interface NoteOnMessage extends ChannelMessageBase<'noteon'> {
  readonly note: number;
  readonly velocity: number;
}

/** An kk pp: polyphonic key pressure. */
export interface PolyAftertouchMessage extends ChannelMessageBase<'polyaftertouch'> {
  readonly note: number;
  readonly pressure: number;
}

/** Bn cc vv. Controllers 120..127 are the channel mode messages (All Notes Off, ...). */
export interface ControlChangeMessage extends ChannelMessageBase<'controlchange'> {
  readonly controller: number;
  readonly value: number;
}

/** Cn pp. `program` is the wire value 0..127 (front panels often show it as 1..128). */
export interface ProgramChangeMessage extends ChannelMessageBase<'programchange'> {
  readonly program: number;
}

/** Dn pp: channel pressure. */
export interface ChannelAftertouchMessage extends ChannelMessageBase<'channelaftertouch'> {
  readonly pressure: number;
}

/** En ll mm. */
export interface PitchBendMessage extends ChannelMessageBase<'pitchbend'> {
  /** 14-bit value 0..16383; 8192 is centre (no bend). */
  readonly value: number;
  /** Signed convenience: `value - 8192`, -8192..8191. */
  readonly bend: number;
}

// --- System common messages ("System Common Messages") ---

/** F2 ll mm: Song Position Pointer. */
export interface SongPositionMessage extends MidiMessageBase<'songposition'> {
  /** MIDI beats since song start, 0..16383; one MIDI beat = one 16th note = 6 clocks. */
  readonly beats16th: number;
}

/** F3 ss. */
export interface SongSelectMessage extends MidiMessageBase<'songselect'> {
  readonly song: number;
}

/** F1 0nnndddd: MIDI Time Code quarter frame. */
export interface MtcQuarterFrameMessage extends MidiMessageBase<'mtcquarterframe'> {
  /** The quarter-frame message type nnn, 0..7 (0 = frames LS nibble ... 7 = hours MS nibble + rate). */
  readonly piece: number;
  /** The nibble dddd, 0..15. */
  readonly value: number;
}

/** F6. */
export type TuneRequestMessage = MidiMessageBase<'tunerequest'>;

// --- System real-time messages ("System Real Time Messages"): single bytes F8..FF ---

export type ClockMessage = MidiMessageBase<'clock'>;
export type StartMessage = MidiMessageBase<'start'>;
export type ContinueMessage = MidiMessageBase<'continue'>;
export type StopMessage = MidiMessageBase<'stop'>;
export type ActiveSensingMessage = MidiMessageBase<'activesensing'>;
export type ResetMessage = MidiMessageBase<'reset'>;

// --- System exclusive ---

/** F0 ... F7: `data` is the whole message including F0 and F7. */
export type SysExMessage = MidiMessageBase<'sysex'>;

export type ChannelMessage =
  | NoteOffMessage
  | NoteOnMessage
  | PolyAftertouchMessage
  | ControlChangeMessage
  | ProgramChangeMessage
  | ChannelAftertouchMessage
  | PitchBendMessage;

export type SystemCommonMessage =
  | SongPositionMessage
  | SongSelectMessage
  | MtcQuarterFrameMessage
  | TuneRequestMessage;

export type RealTimeMessage =
  | ClockMessage
  | StartMessage
  | ContinueMessage
  | StopMessage
  | ActiveSensingMessage
  | ResetMessage;

export type MidiMessage = ChannelMessage | SystemCommonMessage | RealTimeMessage | SysExMessage;

export type MidiMessageType = MidiMessage['type'];

type WithoutData<M> = M extends unknown ? Omit<M, 'data'> : never;

/**
 * What {@link encodeMessage} accepts: any message without `data` (it is computed), except that
 * sysex keeps `data` (its content) and pitch bend needs only `value` (`bend`, if given, must agree).
 * Every parsed {@link MidiMessage} is also a valid init.
 */
export type MidiMessageInit =
  | WithoutData<Exclude<MidiMessage, PitchBendMessage | SysExMessage>>
  | { readonly type: 'pitchbend'; readonly channel: number; readonly value: number; readonly bend?: number }
  | { readonly type: 'sysex'; readonly data: ArrayLike<number> };

const CHANNEL_TYPES: ReadonlySet<string> = new Set<ChannelMessage['type']>([
  'noteoff',
  'noteon',
  'polyaftertouch',
  'controlchange',
  'programchange',
  'channelaftertouch',
  'pitchbend',
]);

const REAL_TIME_TYPES: ReadonlySet<string> = new Set<RealTimeMessage['type']>([
  'clock',
  'start',
  'continue',
  'stop',
  'activesensing',
  'reset',
]);

export function isChannelMessage(msg: MidiMessage): msg is ChannelMessage {
  return CHANNEL_TYPES.has(msg.type);
}

export function isRealTimeMessage(msg: MidiMessage): msg is RealTimeMessage {
  return REAL_TIME_TYPES.has(msg.type);
}

/**
 * True for a note-off, including note-on with velocity 0, which the MIDI 1.0 spec defines as
 * note-off (it lets senders stay in running status 9n for whole phrases).
 */
export function isNoteOff(msg: MidiMessage): msg is NoteOffMessage | NoteOnMessage {
  return msg.type === 'noteoff' || (msg.type === 'noteon' && msg.velocity === 0);
}
