/**
 * The receiver's view of what the application has been given (RFC 4696 §7: the state the
 * recovery compares a journal against): notes sounding, controller values, program, pitch
 * wheel per channel, and the sequencer's transport and song position. Fixed-size tables.
 * Pure (L0).
 * @module
 */
import {
  CLOCK,
  CLOCKS_PER_MIDI_BEAT,
  CONTINUE,
  CONTROL_CHANGE,
  NOTE_OFF,
  NOTE_ON,
  PITCH_BEND,
  PROGRAM_CHANGE,
  SONG_POSITION,
  START,
  STOP,
  SYSTEM_RESET,
  channelDataLength,
  endsAllNotes,
} from './midi-bytes.ts';
import { POSITION_MOD } from './types.ts';

export class ChannelView {
  /** Velocity of each sounding note; 0 = not sounding. */
  readonly notes = new Uint8Array(128);
  /** Last value of each controller; -1 = never received. */
  readonly controllers = new Int16Array(128).fill(-1);
  /** Last program; -1 = never received. */
  program = -1;
  /** Pitch wheel, 14 bits; -1 = never received. */
  pitch = -1;

  copyFrom(o: ChannelView): void {
    this.notes.set(o.notes);
    this.controllers.set(o.controllers);
    this.program = o.program;
    this.pitch = o.pitch;
  }
}

export class SequencerView {
  playing = false;
  /** Song position in MIDI clocks, modulo 2^19 (chapter Q's range). */
  position = 0;
}

export class MidiStateView {
  readonly channels = Array.from({ length: 16 }, () => new ChannelView());
  readonly sequencer = new SequencerView();

  copyFrom(o: MidiStateView): void {
    for (let c = 0; c < 16; c++) this.channels[c]!.copyFrom(o.channels[c]!);
    this.sequencer.playing = o.sequencer.playing;
    this.sequencer.position = o.sequencer.position;
  }

  /** Applies one complete MIDI message as the application receives it. */
  apply(data: Uint8Array): void {
    const status = data[0];
    if (status === undefined || status < 0x80) return;
    if (status >= 0xf0) {
      this.applySystem(status, data);
      return;
    }
    if (data.length < 1 + channelDataLength(status)) return;
    const ch = this.channels[status & 0x0f]!;
    const d1 = data[1]! & 0x7f;
    const d2 = (data[2] ?? 0) & 0x7f;
    switch (status & 0xf0) {
      case NOTE_OFF:
        ch.notes[d1] = 0;
        break;
      case NOTE_ON:
        ch.notes[d1] = d2;
        break;
      case CONTROL_CHANGE:
        ch.controllers[d1] = d2;
        if (endsAllNotes(d1)) ch.notes.fill(0);
        break;
      case PROGRAM_CHANGE:
        ch.program = d1;
        break;
      case PITCH_BEND:
        ch.pitch = d1 | (d2 << 7);
        break;
      default:
        break;
    }
  }

  private applySystem(status: number, data: Uint8Array): void {
    const q = this.sequencer;
    switch (status) {
      case SONG_POSITION:
        if (data.length >= 3) q.position = (((data[1]! & 0x7f) | ((data[2]! & 0x7f) << 7)) * CLOCKS_PER_MIDI_BEAT) % POSITION_MOD;
        break;
      case CLOCK:
        if (q.playing) q.position = (q.position + 1) % POSITION_MOD;
        break;
      case START:
        q.playing = true;
        q.position = 0;
        break;
      case CONTINUE:
        q.playing = true;
        break;
      case STOP:
        q.playing = false;
        break;
      case SYSTEM_RESET:
        for (const ch of this.channels) ch.notes.fill(0);
        q.playing = false;
        break;
      default:
        break;
    }
  }
}
