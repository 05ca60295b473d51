/**
 * Standard MIDI File import (L0, pure) on the maintained `midi-file` parser: every channel event
 * of every track becomes raw MIDI bytes at a song beat (ticks / ticks-per-quarter-note).
 *
 * Tempo: a Link session has one tempo for everyone, so playback follows the **Link tempo**; the
 * file's tempo map is not applied. It is returned (`tempoChanges`, `tempoBpm` = the first
 * tempo) so an application may set the Link tempo from it (the `phaselock seq` command does so
 * when it starts alone). Files with SMPTE time division are converted to beats at the file's
 * first tempo (120 bpm when it has none).
 *
 * Meta events other than tempo, time signature and end-of-track are ignored; sysex is kept as
 * F0 … F7 messages. Note-on with velocity 0 stays as is (receivers treat it as note-off).
 * @module
 */
import { parseMidi, type MidiData, type MidiEvent } from 'midi-file';
import { DecodeError } from '../core/errors.ts';

export interface SmfEvent {
  /** Song beat (quarter notes from the start of the file). */
  beat: number;
  /** One complete MIDI message with its status byte. */
  data: Uint8Array;
  track: number;
}

export interface SmfSong {
  /** Events in time order (ties keep file order: track, then position in track). */
  events: SmfEvent[];
  format: 0 | 1 | 2;
  /** Ticks per quarter note (for SMPTE files: the equivalent at the first tempo). */
  ticksPerBeat: number;
  /** The latest end-of-track or event, in beats. */
  lengthBeats: number;
  /** First tempo in the file, if any (bpm). */
  tempoBpm: number | undefined;
  tempoChanges: Array<{ beat: number; bpm: number }>;
  timeSignature: { numerator: number; denominator: number } | undefined;
  trackNames: string[];
}

function channelBytes(e: MidiEvent): Uint8Array | undefined {
  if (!('channel' in e) || typeof e.channel !== 'number') return undefined;
  const ch = e.channel & 0x0f;
  switch (e.type) {
    case 'noteOn': return Uint8Array.of(0x90 | ch, e.noteNumber & 0x7f, e.velocity & 0x7f);
    // midi-file reads 9n kk 00 as a noteOff with byte9 set: keep the original bytes.
    case 'noteOff': return Uint8Array.of((e.byte9 ? 0x90 : 0x80) | ch, e.noteNumber & 0x7f, e.velocity & 0x7f);
    case 'noteAftertouch': return Uint8Array.of(0xa0 | ch, e.noteNumber & 0x7f, e.amount & 0x7f);
    case 'controller': return Uint8Array.of(0xb0 | ch, e.controllerType & 0x7f, e.value & 0x7f);
    case 'programChange': return Uint8Array.of(0xc0 | ch, e.programNumber & 0x7f);
    case 'channelAftertouch': return Uint8Array.of(0xd0 | ch, e.amount & 0x7f);
    case 'pitchBend': {
      const v = Math.max(0, Math.min(16383, e.value + 8192));
      return Uint8Array.of(0xe0 | ch, v & 0x7f, v >> 7);
    }
    default: return undefined;
  }
}

/**
 * Parses a .mid file. Throws `DecodeError` (code E_DECODE) for bytes that are not a valid SMF.
 * @example
 * const song = parseSmf(await readFile('song.mid'));
 * seq.loadSmf(song);
 */
export function parseSmf(bytes: Uint8Array): SmfSong {
  let midi: MidiData;
  try {
    midi = parseMidi(bytes);
  } catch (err) {
    throw new DecodeError(`not a Standard MIDI File: ${err instanceof Error ? err.message : String(err)}`, 0, { cause: err });
  }
  const h = midi.header;
  let tempoBpm: number | undefined;
  const raw: Array<{ tick: number; track: number; index: number; e: MidiEvent }> = [];
  midi.tracks.forEach((track, ti) => {
    let tick = 0;
    track.forEach((e, index) => {
      tick += e.deltaTime;
      raw.push({ tick, track: ti, index, e });
    });
  });
  raw.sort((a, b) => a.tick - b.tick || a.track - b.track || a.index - b.index);
  for (const r of raw) {
    if (r.e.type === 'setTempo') {
      tempoBpm = 60_000_000 / r.e.microsecondsPerBeat;
      break;
    }
  }
  let ticksPerBeat: number;
  if (h.ticksPerBeat && h.ticksPerBeat > 0) ticksPerBeat = h.ticksPerBeat;
  else if (h.framesPerSecond && h.ticksPerFrame) ticksPerBeat = (h.framesPerSecond * h.ticksPerFrame * 60) / (tempoBpm ?? 120);
  else throw new DecodeError('SMF header has no usable time division', 12);

  const events: SmfEvent[] = [];
  const tempoChanges: SmfSong['tempoChanges'] = [];
  let timeSignature: SmfSong['timeSignature'];
  const trackNames: string[] = [];
  let lengthTicks = 0;
  for (const { tick, track, e } of raw) {
    const beat = tick / ticksPerBeat;
    lengthTicks = Math.max(lengthTicks, tick);
    const data = channelBytes(e);
    if (data) {
      events.push({ beat, data, track });
      continue;
    }
    switch (e.type) {
      case 'setTempo': tempoChanges.push({ beat, bpm: 60_000_000 / e.microsecondsPerBeat }); break;
      case 'timeSignature': timeSignature ??= { numerator: e.numerator, denominator: e.denominator }; break;
      case 'trackName': trackNames[track] = e.text; break;
      case 'sysEx': events.push({ beat, data: Uint8Array.from([0xf0, ...Array.from(e.data)].concat(e.data[e.data.length - 1] === 0xf7 ? [] : [0xf7])), track }); break;
      default: break;
    }
  }
  return {
    events,
    format: h.format,
    ticksPerBeat,
    lengthBeats: lengthTicks / ticksPerBeat,
    tempoBpm,
    tempoChanges,
    timeSignature,
    trackNames,
  };
}
