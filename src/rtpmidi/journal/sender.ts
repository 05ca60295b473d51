/**
 * JournalSender: builds the recovery journal of each outgoing packet from what was sent since
 * the checkpoint (RFC 6295 §4–§5, Appendices A/B; sender algorithms of RFC 4696 §5).
 *
 * - The checkpoint starts at the first packet with MIDI and moves forward with the receiver's
 *   feedback (`checkpoint(seq)`, from AppleMIDI RS): the journal codes the packets from the
 *   checkpoint to the last one sent (I-1), checkpoint included, so an RS that merely echoes
 *   our own checkpoint (a peer observed doing so) never skips anything.
 * - S bits: an element is S=0 when it codes the most recent packet recorded (I-1); so is every
 *   structure containing it (RFC 6295 §4).
 * - Y bit of a note log ("play it", RFC 6295 A.6): the note-on is recent — within
 *   `recentMicros` of `encode(nowMicros)` when both times are known, else among the last
 *   `recentPackets` packets sent.
 * - Size: above `maxBytes`, stale note logs (Y=0) go first, then the checkpoint moves forward
 *   (the oldest packets are no longer covered, which the header's checkpoint tells the
 *   receiver). Chapter Q always codes the current sequencer state (a state, not history).
 * - 'one-channel': only the most recently active channel's journal (TOTCHAN=0), for peers
 *   that mis-parse multi-channel journals (see the interop notes in docs).
 * Pure (L0): no I/O, no clocks.
 * @module
 */
import { encodeJournal, journalLength } from './journal-codec.ts';
import { checkSeq, unwrapSeq } from './seq.ts';
import { NEVER, SenderState, type SenderChannelState } from './sender-state.ts';
import type { ChannelJournal, ChapterN, ControllerLog, Journal, NoteLog, SystemJournal } from './types.ts';

/** 'one-channel': one channel journal only (the most recently active channel), TOTCHAN=0. */
export type JournalMode = 'full' | 'one-channel' | 'off';

export interface JournalSenderOptions {
  mode?: JournalMode;
  /** Upper bound of an encoded journal in octets (default 1000, at least 16). */
  maxBytes?: number;
  /** Without times: a note-on among this many most recent packets is coded with Y=1, "play it" (default 8). */
  recentPackets?: number;
  /** With times: a note-on at most this old is coded with Y=1 (default 200 ms). */
  recentMicros?: number;
}

/** Coverage beyond this many packets would make the 16-bit checkpoint ambiguous. */
const MAX_HISTORY_PACKETS = 0x7000;

export class JournalSender {
  readonly mode: JournalMode;
  private readonly maxBytes: number;
  private readonly recentPackets: number;
  private readonly recentMicros: number;
  private nowMicros = Number.NaN;
  private readonly state = new SenderState();
  private lastExt = NEVER;
  private checkpointExt = NEVER;

  constructor(options: JournalSenderOptions = {}) {
    const mode = options.mode ?? 'full';
    if (mode !== 'full' && mode !== 'one-channel' && mode !== 'off') throw new RangeError(`journal mode must be 'full', 'one-channel' or 'off', got ${String(mode)}`);
    const maxBytes = options.maxBytes ?? 1000;
    if (!Number.isInteger(maxBytes) || maxBytes < 16) throw new RangeError(`maxBytes must be an integer >= 16, got ${maxBytes}`);
    const recent = options.recentPackets ?? 8;
    if (!Number.isInteger(recent) || recent < 1) throw new RangeError(`recentPackets must be an integer >= 1, got ${recent}`);
    const recentMicros = options.recentMicros ?? 200_000;
    if (!(recentMicros >= 0) || !Number.isFinite(recentMicros)) throw new RangeError(`recentMicros must be a finite number >= 0, got ${recentMicros}`);
    this.recentMicros = recentMicros;
    this.mode = mode;
    this.maxBytes = maxBytes;
    this.recentPackets = recent;
  }

  /**
   * Records one complete MIDI message sent in packet `seq` (16-bit RTP sequence number), at
   * host time `timeMicros` when known. Call it for every message of every packet, after
   * `encode()` for that packet.
   * @example sender.record(Uint8Array.of(0x90, 60, 100), 0x6d75)
   */
  record(data: Uint8Array, seq: number, timeMicros?: number): void {
    checkSeq(seq);
    const ext = this.lastExt === NEVER ? seq + 0x10000 : unwrapSeq(seq, this.lastExt);
    if (this.lastExt === NEVER) this.checkpointExt = ext;
    this.lastExt = Math.max(this.lastExt, ext);
    this.state.apply(data, ext, timeMicros ?? Number.NaN);
  }

  /** The receiver has every packet up to `seq` (AppleMIDI RS): stop coding older packets. */
  checkpoint(seq: number): void {
    checkSeq(seq);
    if (this.lastExt === NEVER) return;
    // Never beyond the next packet: a stray RS from the future must not hide what comes.
    const ext = Math.min(unwrapSeq(seq, this.lastExt), this.lastExt + 1);
    if (ext > this.checkpointExt) this.checkpointExt = ext;
  }

  /** The checkpoint the next journal will carry (16-bit), undefined before anything was sent. */
  get checkpointSeq(): number | undefined {
    return this.lastExt === NEVER ? undefined : this.checkpointExt & 0xffff;
  }

  /**
   * The journal for the next packet (sent at `nowMicros`, when known); undefined when the mode
   * is 'off' or nothing was sent yet.
   */
  encode(nowMicros?: number): Uint8Array | undefined {
    const journal = this.build(nowMicros);
    return journal && encodeJournal(journal);
  }

  /** The journal for the next packet as a value (what `encode()` encodes). */
  build(nowMicros?: number): Journal | undefined {
    if (this.mode === 'off' || this.lastExt === NEVER) return undefined;
    this.nowMicros = nowMicros ?? Number.NaN;
    this.checkpointExt = Math.max(this.checkpointExt, this.lastExt - MAX_HISTORY_PACKETS);
    let journal = this.buildAt(this.checkpointExt, false);
    if (journalLength(journal) <= this.maxBytes) return journal;
    journal = this.buildAt(this.checkpointExt, true);
    if (journalLength(journal) <= this.maxBytes) return journal;
    // Move the checkpoint past the oldest packets until it fits (size only shrinks as it moves).
    const seqs = this.codedSeqs(this.checkpointExt);
    let lo = 0;
    let hi = seqs.length; // index seqs.length: past everything recorded
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (journalLength(this.buildAt(seqs[mid]!, true)) <= this.maxBytes) hi = mid;
      else lo = mid + 1;
    }
    this.checkpointExt = lo < seqs.length ? seqs[lo]! : this.lastExt + 1;
    return this.buildAt(this.checkpointExt, true);
  }

  private buildAt(cp: number, dropStale: boolean): Journal {
    let channels: ChannelJournal[] = [];
    let latest = NEVER;
    for (let c = 0; c < 16; c++) {
      const st = this.state.channels[c]!;
      if (st.lastSeq < cp) continue;
      const cj = this.channelJournal(c, st, cp, dropStale);
      if (!cj) continue;
      if (this.mode === 'one-channel') {
        if (st.lastSeq >= latest) {
          latest = st.lastSeq;
          channels = [cj];
        }
      } else channels.push(cj);
    }
    const system = this.systemJournal();
    const s = channels.every((c) => c.s) && (system?.s ?? true);
    const journal: Journal = { s, enhancedC: false, checkpointSeq: cp & 0xffff, channels };
    if (system) journal.system = system;
    return journal;
  }

  private systemJournal(): SystemJournal | undefined {
    const q = this.state.sequencer;
    if (!q.known) return undefined;
    const s = q.seq !== this.lastExt;
    return { s, sequencer: { s, running: q.running, d: q.downbeat, position: q.position } };
  }

  private channelJournal(channel: number, st: SenderChannelState, cp: number, dropStale: boolean): ChannelJournal | undefined {
    const last = this.lastExt;
    const cj: ChannelJournal = { s: true, channel, enhancedC: false };
    if (st.programSeq >= cp) {
      cj.program = {
        s: st.programSeq !== last, program: st.program,
        bankValid: st.programBankValid, bankMsb: st.programBankMsb, x: false, bankLsb: st.programBankLsb,
      };
    }
    const logs: ControllerLog[] = [];
    for (let n = 0; n < 128; n++) {
      const seq = st.controllerSeq[n]!;
      if (seq >= cp) logs.push({ s: seq !== last, number: n, tool: 'value', value: st.controllerValue[n]! });
    }
    if (logs.length > 0) cj.controllers = { s: logs.every((l) => l.s), logs };
    if (st.pitchSeq >= cp) cj.pitch = { s: st.pitchSeq !== last, first: st.pitchFirst, r: false, second: st.pitchSecond };
    const notes = this.chapterN(st, cp, dropStale);
    if (notes) cj.notes = notes;
    if (!cj.program && !cj.controllers && !cj.pitch && !cj.notes) return undefined;
    cj.s = (cj.program?.s ?? true) && (cj.controllers?.s ?? true) && (cj.pitch?.s ?? true)
      && (!notes || (notes.b && notes.logs.every((l) => l.s)));
    return cj;
  }

  private chapterN(st: SenderChannelState, cp: number, dropStale: boolean): ChapterN | undefined {
    const last = this.lastExt;
    const on: number[] = [];
    const offNotes: number[] = [];
    let b = true;
    for (let n = 0; n < 128; n++) {
      const seq = st.noteSeq[n]!;
      if (seq < cp) continue;
      if (st.noteVelocity[n]! > 0) {
        if (!dropStale || this.recent(st, n)) on.push(n);
      } else {
        offNotes.push(n);
        if (seq === last) b = false;
      }
    }
    if (on.length === 0 && offNotes.length === 0) return undefined;
    on.sort((x, y) => st.noteOrder[x]! - st.noteOrder[y]!); // oldest first (RFC 6295 A.6)
    const logs: NoteLog[] = on.map((n) => {
      const seq = st.noteSeq[n]!;
      return { s: seq !== last, note: n, y: this.recent(st, n), velocity: st.noteVelocity[n]! };
    });
    return { b, logs, offNotes };
  }

  /** Is the note-on of note `n` recent enough to play late (the Y bit)? */
  private recent(st: SenderChannelState, n: number): boolean {
    const t = st.noteTime[n]!;
    if (Number.isFinite(t) && Number.isFinite(this.nowMicros)) return this.nowMicros - t <= this.recentMicros;
    return this.lastExt - st.noteSeq[n]! < this.recentPackets;
  }

  /** Distinct packets (ascending, >= cp) that coded channel elements come from. */
  private codedSeqs(cp: number): number[] {
    const set = new Set<number>();
    const add = (s: number): void => {
      if (s >= cp) set.add(s);
    };
    for (const st of this.state.channels) {
      if (st.lastSeq < cp) continue;
      add(st.programSeq);
      add(st.pitchSeq);
      for (let n = 0; n < 128; n++) {
        add(st.controllerSeq[n]!);
        add(st.noteSeq[n]!);
      }
    }
    return [...set].sort((a, b) => a - b).map((s) => s + 1);
  }
}
