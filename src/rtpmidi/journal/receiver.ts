/**
 * JournalReceiver: repairs the application's view after packet loss from the recovery journal
 * of the first packet after the gap (RFC 6295 §4; receiver algorithms of RFC 4696 §7–§8).
 *
 * - `observe()` every message given to the application (the repairs `recover()` returns too:
 *   recover() does not change the view itself).
 * - Coverage: the journal codes packets checkpoint..I-1. When the checkpoint is at or before
 *   the first lost packet it covers the whole loss; then what the journal does not mention did
 *   not change, and with a single lost packet (I-1) everything with S=1 is skipped. When the
 *   checkpoint is later, what it codes is still true and is applied, and notes it does not
 *   show as sounding are ended: an unseen note-off may hide in the uncovered packets, and a
 *   stuck note is the artifact that must not happen (RFC 6295 §4, "indefinite artifacts").
 * - Chapter N: OFFBITS end notes that sound in our view; a note log plays a lost note-on only
 *   with Y=1 (recent); a sounding note with another velocity was re-struck: ended, then
 *   replayed when Y=1. Chapters P (bank + program), C (value tool), W: values that differ.
 *   Controllers 120..127 are never replayed (their effect on notes is in chapter N).
 * - Chapter Q: Stop when the journal says stopped and we play; SPP (+ Continue) when it plays
 *   and we do not; a few clocks to catch up lost clocks while playing (at most one beat,
 *   beyond that Stop, SPP, Continue).
 * Pure (L0).
 * @module
 */
import { decodeJournal } from './journal-codec.ts';
import {
  CLOCK,
  CLOCKS_PER_MIDI_BEAT,
  CONTINUE,
  CONTROL_CHANGE,
  NOTE_OFF,
  NOTE_ON,
  PITCH_BEND,
  PROGRAM_CHANGE,
  STOP,
  songPositionMessage,
} from './midi-bytes.ts';
import { MidiStateView, type ChannelView } from './receiver-view.ts';
import { checkSeq, seqLe } from './seq.ts';
import { POSITION_MOD, type ChannelJournal, type ChapterQ } from './types.ts';

/** Lost clocks made up with a burst of clocks while playing; beyond: Stop, SPP, Continue. */
const MAX_CLOCK_BURST = 24;
/** Release velocity of the note-offs a recovery sends (the note-off velocity is not journalled). */
const RECOVERY_RELEASE_VELOCITY = 0x40;

/** A copy of the receiver's view, for diagnostics and tests. */
export interface JournalReceiverSnapshot {
  channels: Array<{
    /** Sounding notes, ascending. */
    notesOn: number[];
    /** Controller values received, by controller number. */
    controllers: Record<number, number>;
    program: number | undefined;
    /** 14-bit pitch wheel value. */
    pitch: number | undefined;
  }>;
  playing: boolean;
  /** Song position in MIDI clocks (modulo 2^19). */
  positionClocks: number;
  /** Song position in MIDI beats (sixteenth notes), as Song Position Pointer counts. */
  songPositionBeats: number;
}

interface Recovery {
  out: Uint8Array[];
  work: MidiStateView;
  /** The whole loss is covered and it was packet I-1 alone: S=1 elements can be skipped. */
  skipS: boolean;
  covered: boolean;
}

export class JournalReceiver {
  private readonly view = new MidiStateView();
  private readonly scratch = new MidiStateView();
  private lastGood: number | undefined;

  /** Every MIDI message given to the application, repairs included. */
  observe(data: Uint8Array): void {
    this.view.apply(data);
  }

  /** Optional: packet `seq` arrived and was delivered (moves `checkpointSeq` forward). */
  received(seq: number): void {
    checkSeq(seq);
    if (this.lastGood === undefined || seqLe(this.lastGood, seq)) this.lastGood = seq;
  }

  /** The last packet up to which our view is complete, for AppleMIDI RS; undefined before any. */
  get checkpointSeq(): number | undefined {
    return this.lastGood;
  }

  /**
   * The messages that repair our view after packets `lostFrom..lostTo` (16-bit, inclusive)
   * were lost, from the journal of packet lostTo+1. Throws DecodeError for a malformed journal.
   * @example receiver.recover(packet.journal, 0x6d76, 0x6d76) // → [Uint8Array [0x80, 60, 64]]
   */
  recover(journal: Uint8Array, lostFrom: number, lostTo: number): Uint8Array[] {
    checkSeq(lostFrom, 'lostFrom');
    checkSeq(lostTo, 'lostTo');
    const j = decodeJournal(journal);
    this.received((lostTo + 1) & 0xffff);
    const covered = seqLe(j.checkpointSeq, lostFrom);
    const skipS = covered && lostFrom === lostTo;
    if (skipS && j.s) return []; // the lost packet held nothing the journal protects
    this.scratch.copyFrom(this.view);
    const rec: Recovery = { out: [], work: this.scratch, skipS, covered };
    for (const cj of j.channels) {
      if (!(skipS && cj.s)) this.recoverChannel(rec, cj);
    }
    const q = j.system?.sequencer;
    if (q && !(skipS && q.s)) this.recoverSequencer(rec, q);
    return rec.out;
  }

  /** A copy of our view (what the application has been given). */
  snapshot(): JournalReceiverSnapshot {
    const q = this.view.sequencer;
    return {
      channels: this.view.channels.map((ch) => {
        const controllers: Record<number, number> = {};
        ch.controllers.forEach((v, n) => {
          if (v >= 0) controllers[n] = v;
        });
        const notesOn: number[] = [];
        ch.notes.forEach((v, n) => {
          if (v > 0) notesOn.push(n);
        });
        return { notesOn, controllers, program: ch.program < 0 ? undefined : ch.program, pitch: ch.pitch < 0 ? undefined : ch.pitch };
      }),
      playing: q.playing,
      positionClocks: q.position,
      songPositionBeats: Math.floor(q.position / CLOCKS_PER_MIDI_BEAT),
    };
  }

  private emit(rec: Recovery, data: Uint8Array): void {
    rec.out.push(data);
    rec.work.apply(data);
  }

  private recoverChannel(rec: Recovery, cj: ChannelJournal): void {
    const c = cj.channel;
    const w = rec.work.channels[c]!;
    this.recoverNotes(rec, cj, w);
    const p = cj.program;
    if (p && !(rec.skipS && p.s)) {
      const bankDiffers = p.bankValid && (w.controllers[0] !== p.bankMsb || w.controllers[32] !== p.bankLsb);
      if (bankDiffers || w.program !== p.program) {
        if (p.bankValid) {
          this.emit(rec, Uint8Array.of(CONTROL_CHANGE | c, 0, p.bankMsb));
          this.emit(rec, Uint8Array.of(CONTROL_CHANGE | c, 32, p.bankLsb));
        }
        this.emit(rec, Uint8Array.of(PROGRAM_CHANGE | c, p.program));
      }
    }
    for (const log of cj.controllers?.logs ?? []) {
      if (rec.skipS && log.s) continue;
      if (log.tool !== 'value' || log.number >= 120) continue; // toggle/count tools are not replayed
      if (w.controllers[log.number] !== log.value) this.emit(rec, Uint8Array.of(CONTROL_CHANGE | c, log.number, log.value));
    }
    const pw = cj.pitch;
    if (pw && !(rec.skipS && pw.s) && w.pitch !== (pw.first | (pw.second << 7))) {
      this.emit(rec, Uint8Array.of(PITCH_BEND | c, pw.first, pw.second));
    }
  }

  private recoverNotes(rec: Recovery, cj: ChannelJournal, w: ChannelView): void {
    const c = cj.channel;
    const n = cj.notes;
    const noteOff = (note: number): void => this.emit(rec, Uint8Array.of(NOTE_OFF | c, note, RECOVERY_RELEASE_VELOCITY));
    if (n && !(rec.skipS && n.b)) {
      for (const note of n.offNotes) if (w.notes[note]! > 0) noteOff(note);
    }
    const logged = new Uint8Array(128);
    for (const log of n?.logs ?? []) {
      logged[log.note] = 1;
      if (rec.skipS && log.s) continue;
      const sounding = w.notes[log.note]!;
      if (log.velocity === 0) {
        if (sounding > 0) noteOff(log.note); // a zero velocity log means a note-off
        continue;
      }
      if (sounding === log.velocity) continue; // the note-on we have (a re-strike at the same velocity is not told apart)
      if (sounding > 0) noteOff(log.note);
      if (log.y) this.emit(rec, Uint8Array.of(NOTE_ON | c, log.note, log.velocity));
    }
    if (!rec.covered) {
      for (let note = 0; note < 128; note++) if (w.notes[note]! > 0 && !logged[note]) noteOff(note);
    }
  }

  private recoverSequencer(rec: Recovery, q: ChapterQ): void {
    const v = rec.work.sequencer;
    const target = q.position ?? 0;
    const beats = Math.floor(target / CLOCKS_PER_MIDI_BEAT);
    const locate = (): void => {
      this.emit(rec, songPositionMessage(beats));
      this.emit(rec, Uint8Array.of(CONTINUE));
      for (let i = 0; i < target % CLOCKS_PER_MIDI_BEAT; i++) this.emit(rec, Uint8Array.of(CLOCK));
    };
    if (!q.running) {
      if (v.playing) this.emit(rec, Uint8Array.of(STOP));
      if (Math.floor(v.position / CLOCKS_PER_MIDI_BEAT) !== beats) this.emit(rec, songPositionMessage(beats));
      return;
    }
    if (!v.playing) {
      locate();
      return;
    }
    const behind = (target - v.position + POSITION_MOD) % POSITION_MOD;
    if (behind === 0) return;
    if (behind <= MAX_CLOCK_BURST) {
      for (let i = 0; i < behind; i++) this.emit(rec, Uint8Array.of(CLOCK));
      return;
    }
    this.emit(rec, Uint8Array.of(STOP));
    locate();
  }
}
