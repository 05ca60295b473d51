/**
 * What a receiver is left doing, when messages are handed to an output ahead of their time
 * (L0, pure): which notes sound, and whether its transport runs (Start/Continue until Stop).
 * On a stop or close the output withdraws what it was given for times ≥ t (`cancelFrom`,
 * sched/output-dispatcher.ts); what the receiver does afterwards is what the messages *before
 * t* left it doing — not what was handed out last. A note-off (or Stop) handed out for later
 * and withdrawn leaves the note sounding (the transport running); a note-on (Start) handed out
 * for later and withdrawn never happened.
 * @module
 */

/** The note key of a note message (channel × 128 + note). */
const keyOf = (d: Uint8Array) => ((d[0] as number) & 0x0f) * 128 + (d[1] as number);
/** Whether `d` is a note-on with velocity > 0. */
export const isNoteOn = (d: Uint8Array) => d.length >= 3 && ((d[0] as number) & 0xf0) === 0x90 && (d[2] as number) > 0;
/** Whether `d` is a note-off (or a note-on with velocity 0). */
export const isNoteOff = (d: Uint8Array) => d.length >= 3 && (((d[0] as number) & 0xf0) === 0x80 || (((d[0] as number) & 0xf0) === 0x90 && d[2] === 0));

interface Pending {
  time: number;
  /** A note key, or TRANSPORT for Start/Continue/Stop. */
  key: number;
  /** For a note-on (or Start/Continue): the bytes that end it. Undefined for a note-off (Stop). */
  off?: Uint8Array;
}

const TRANSPORT = -1;

/** `endings` plus `extra`, each note-off (or Stop) once. */
export function endingsWith(endings: Uint8Array[], extra: Uint8Array[]): Uint8Array[] {
  const key = (d: Uint8Array) => (d[0] === 0xfc ? TRANSPORT : keyOf(d));
  const seen = new Set(endings.map(key));
  const out = [...endings];
  for (const d of extra) if (!seen.has(key(d))) { seen.add(key(d)); out.push(d); }
  return out;
}
const STOP = Uint8Array.of(0xfc);

export class MidiLedger {
  /** Notes sounding after every settled message: key → note-off bytes. */
  private readonly settled = new Map<number, Uint8Array>();
  /** Note messages handed out and not settled yet, by time (ties in the order handed out). */
  private pending: Pending[] = [];

  /** Records a message handed out for host time `time` (anything but notes and Start/Continue/Stop is ignored). */
  record(time: number, data: Uint8Array): void {
    let entry: Pending;
    const status = data[0];
    if (status === 0xfa || status === 0xfb) entry = { time, key: TRANSPORT, off: STOP };
    else if (status === 0xfc) entry = { time, key: TRANSPORT };
    else if (isNoteOn(data)) entry = { time, key: keyOf(data), off: Uint8Array.of(0x80 | ((data[0] as number) & 0x0f), data[1] as number, 0) };
    else if (isNoteOff(data)) entry = { time, key: keyOf(data) };
    else return;
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1]!.time > time) i--;
    this.pending.splice(i, 0, entry);
  }

  /** Folds messages with times < `beforeMicros` into the settled state (they have gone out). */
  settle(beforeMicros: number): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n]!.time < beforeMicros) this.apply(this.pending[n++]!);
    if (n > 0) this.pending = this.pending.slice(n);
  }

  /**
   * Forgets messages handed out for times ≥ `fromMicros` (the output withdrew them); returns
   * what would end what they started (a note-off per withdrawn note-on, Stop for a withdrawn
   * Start or Continue), for when a withdrawal may have come too late.
   */
  withdraw(fromMicros: number): Uint8Array[] {
    const ends: Uint8Array[] = [];
    this.pending = this.pending.filter((p) => {
      if (p.time < fromMicros) return true;
      if (p.off) ends.push(p.off);
      return false;
    });
    return ends;
  }

  /**
   * What ends what the receiver is left doing after all recorded messages: a note-off per
   * sounding note, and Stop if its transport runs. A query: record them when you send them.
   */
  endings(): Uint8Array[] {
    const state = new Map(this.settled);
    for (const p of this.pending) {
      if (p.off) state.set(p.key, p.off);
      else state.delete(p.key);
    }
    return [...state.values()];
  }

  /** Sounding notes and a running transport, settled state only. */
  get size(): number {
    return this.settled.size;
  }

  /** Whether the receiver's transport runs after all recorded messages. */
  get running(): boolean {
    return this.endings().includes(STOP);
  }

  private apply(p: Pending): void {
    if (p.off) this.settled.set(p.key, p.off);
    else this.settled.delete(p.key);
  }
}
