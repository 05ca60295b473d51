/**
 * The recovery journal sender state (RFC 4696 §5): for every channel and the sequencer, the
 * current value of what the journal protects and the extended sequence number of the packet
 * that last changed it. Fixed-size tables (16 channels × 128 notes × 128 controllers), so
 * memory is bounded whatever is sent. Pure (L0).
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

/** "Never": older than any extended sequence number (those start at 65536). */
export const NEVER = -1;

export class SenderChannelState {
  /** Velocity of the most recent note command per note; 0 = it was a note-off. */
  readonly noteVelocity = new Uint8Array(128);
  /** Packet of the most recent note command per note (NEVER: none). */
  readonly noteSeq = new Float64Array(128).fill(NEVER);
  /** Insertion order of the most recent note command (note logs go oldest first). */
  readonly noteOrder = new Float64Array(128);
  /** Host time of the most recent note command when the caller gave one (NaN: unknown). */
  readonly noteTime = new Float64Array(128).fill(Number.NaN);
  readonly controllerValue = new Uint8Array(128);
  readonly controllerSeq = new Float64Array(128).fill(NEVER);
  program = 0;
  programSeq = NEVER;
  programBankValid = false;
  programBankMsb = 0;
  programBankLsb = 0;
  /** Bank select values in force (CC 0 / CC 32); -1 = never sent. */
  bankMsb = -1;
  bankLsb = -1;
  pitchFirst = 0;
  pitchSecond = 0x40;
  pitchSeq = NEVER;
  /** The most recent packet with a command for this channel. */
  lastSeq = NEVER;
}

export class SenderSequencerState {
  /** A Start, Continue, Stop or Song Position Pointer was sent: chapter Q has something to say. */
  known = false;
  running = false;
  /** Start/Continue sent and no clock since (chapter Q's D bit, as this sender uses it). */
  downbeat = false;
  /** Song position in MIDI clocks, modulo 2^19. */
  position = 0;
  /** The most recent packet that changed running state or position. */
  seq = NEVER;
}

export class SenderState {
  readonly channels = Array.from({ length: 16 }, () => new SenderChannelState());
  readonly sequencer = new SenderSequencerState();
  private order = 0;

  /** Applies one complete MIDI message sent in the packet with extended seq `ext` (at `timeMicros`, NaN: unknown). */
  apply(data: Uint8Array, ext: number, timeMicros = Number.NaN): void {
    const status = data[0];
    if (status === undefined || status < 0x80) return; // full messages only: no running status here
    if (status >= 0xf0) {
      this.applySystem(status, data, ext, timeMicros);
      return;
    }
    if (data.length < 1 + channelDataLength(status)) return;
    const ch = this.channels[status & 0x0f]!;
    const d1 = data[1]! & 0x7f;
    const d2 = (data[2] ?? 0) & 0x7f;
    switch (status & 0xf0) {
      case NOTE_OFF:
        this.setNote(ch, d1, 0, ext, timeMicros);
        break;
      case NOTE_ON:
        this.setNote(ch, d1, d2, ext, timeMicros);
        break;
      case CONTROL_CHANGE:
        ch.controllerValue[d1] = d2;
        ch.controllerSeq[d1] = ext;
        if (d1 === 0) ch.bankMsb = d2;
        if (d1 === 32) ch.bankLsb = d2;
        // RFC 6295 A.1: note commands before these are no longer N-active. Coding them as
        // note-offs keeps a receiver that lost this controller from holding notes.
        if (endsAllNotes(d1)) this.endNotes(ch, ext, timeMicros);
        break;
      case PROGRAM_CHANGE:
        ch.program = d1;
        ch.programSeq = ext;
        ch.programBankValid = ch.bankMsb >= 0 || ch.bankLsb >= 0;
        ch.programBankMsb = Math.max(0, ch.bankMsb);
        ch.programBankLsb = Math.max(0, ch.bankLsb);
        break;
      case PITCH_BEND:
        ch.pitchFirst = d1;
        ch.pitchSecond = d2;
        ch.pitchSeq = ext;
        break;
      default:
        return; // aftertouch: chapters T and A are not sent
    }
    ch.lastSeq = Math.max(ch.lastSeq, ext);
  }

  private setNote(ch: SenderChannelState, note: number, velocity: number, ext: number, timeMicros: number): void {
    ch.noteVelocity[note] = velocity;
    ch.noteSeq[note] = ext;
    ch.noteOrder[note] = this.order++;
    ch.noteTime[note] = timeMicros;
  }

  private endNotes(ch: SenderChannelState, ext: number, timeMicros: number): void {
    for (let n = 0; n < 128; n++) if (ch.noteVelocity[n]! > 0) this.setNote(ch, n, 0, ext, timeMicros);
  }

  private applySystem(status: number, data: Uint8Array, ext: number, timeMicros: number): void {
    const q = this.sequencer;
    switch (status) {
      case SONG_POSITION:
        if (data.length < 3) return;
        q.position = (((data[1]! & 0x7f) | ((data[2]! & 0x7f) << 7)) * CLOCKS_PER_MIDI_BEAT) % POSITION_MOD;
        q.downbeat = false;
        break;
      case CLOCK:
        if (!q.running) return; // a stopped sequencer ignores clocks: nothing changed
        q.position = (q.position + 1) % POSITION_MOD;
        q.downbeat = false;
        break;
      case START:
        q.running = true;
        q.position = 0;
        q.downbeat = true;
        break;
      case CONTINUE:
        q.running = true;
        q.downbeat = true;
        break;
      case STOP:
        q.running = false;
        q.downbeat = false;
        break;
      case SYSTEM_RESET:
        for (const ch of this.channels) {
          if (ch.lastSeq === NEVER) continue;
          this.endNotes(ch, ext, timeMicros);
          ch.lastSeq = Math.max(ch.lastSeq, ext);
        }
        if (!q.known) return;
        q.running = false;
        q.downbeat = false;
        break;
      default:
        return; // sysex, MTC, song select, tune request, active sensing: not journalled here
    }
    q.known = true;
    q.seq = ext;
  }
}
