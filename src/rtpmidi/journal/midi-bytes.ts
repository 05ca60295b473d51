/**
 * The few MIDI 1.0 byte facts the journal needs. Pure (L0).
 * @module
 */

export const NOTE_OFF = 0x80;
export const NOTE_ON = 0x90;
export const CONTROL_CHANGE = 0xb0;
export const PROGRAM_CHANGE = 0xc0;
export const PITCH_BEND = 0xe0;
export const SONG_POSITION = 0xf2;
export const CLOCK = 0xf8;
export const START = 0xfa;
export const CONTINUE = 0xfb;
export const STOP = 0xfc;
export const SYSTEM_RESET = 0xff;

/** MIDI clocks per MIDI beat (a sixteenth note): Song Position Pointer counts MIDI beats. */
export const CLOCKS_PER_MIDI_BEAT = 6;
/** Largest Song Position Pointer value (14 bits, in MIDI beats). */
export const MAX_SONG_POSITION_BEATS = 0x3fff;

/** Controllers 120 (All Sound Off) and 123..127 (All Notes Off, omni/mono/poly) end every note. */
export function endsAllNotes(controller: number): boolean {
  return controller === 120 || controller >= 123;
}

/** Data octets a channel voice status takes (the high nibble decides). */
export function channelDataLength(status: number): number {
  const kind = status & 0xf0;
  return kind === PROGRAM_CHANGE || kind === 0xd0 ? 1 : 2;
}

/** A Song Position Pointer message for `beats` MIDI beats (clamped to 14 bits). */
export function songPositionMessage(beats: number): Uint8Array {
  const b = Math.max(0, Math.min(MAX_SONG_POSITION_BEATS, Math.floor(beats)));
  return Uint8Array.of(SONG_POSITION, b & 0x7f, b >> 7);
}
