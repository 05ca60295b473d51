/**
 * The events of a sequence on song beats, and their occurrences in a range of beats with
 * looping (L0, pure). `LinkSequencer` plays them on a timeline.
 * @module
 */
import { nonNegative } from '../core/checks.ts';
import { beatsToMicroBeats } from '../link/timeline.ts';
import { isNoteOff } from './midi-ledger.ts';

export interface LoopOptions {
  /** Loop length in beats (> 0); events at song beats in [0, lengthBeats) repeat. */
  lengthBeats: number;
}

export interface SeqEvent {
  id: number;
  /** Song beat (µb). */
  beat: number;
  data: Uint8Array;
  /** Notes: note-off after this many µb. */
  duration?: number;
  off?: Uint8Array;
}

export interface Occurrence {
  /** Timeline beat (µb): the song origin plus the song beat. */
  beat: number;
  /** 0: note-off, 1: anything else (note-offs first at equal beats: a repeated note re-attacks). */
  rank: number;
  order: number;
  data: Uint8Array;
  ev?: SeqEvent;
}

export class Sequence {
  private events: SeqEvent[] = [];
  private nextId = 1;
  private loopLength: number | undefined;

  get size(): number {
    return this.events.length;
  }

  get loop(): LoopOptions | undefined {
    return this.loopLength === undefined ? undefined : { lengthBeats: this.loopLength / 1e6 };
  }

  set loop(loop: LoopOptions | undefined) {
    if (loop === undefined) {
      this.loopLength = undefined;
      return;
    }
    const len = beatsToMicroBeats(nonNegative('loop.lengthBeats', loop.lengthBeats));
    if (len <= 0) throw new RangeError(`loop.lengthBeats must be > 0, got ${loop.lengthBeats}`);
    this.loopLength = len;
  }

  /** Adds an event (its id is assigned); returns it. */
  add(ev: Omit<SeqEvent, 'id'>): SeqEvent {
    const e: SeqEvent = { ...ev, id: this.nextId++ };
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.beat > e.beat) i--;
    this.events.splice(i, 0, e);
    return e;
  }

  /** Adds many events at once (a file); returns them. A batch already in beat order is merged without a sort. */
  addAll(evs: ReadonlyArray<Omit<SeqEvent, 'id'>>): SeqEvent[] {
    const added = new Array<SeqEvent>(evs.length);
    let sorted = true;
    for (let i = 0; i < evs.length; i++) {
      added[i] = { ...evs[i]!, id: this.nextId++ };
      if (i > 0 && added[i]!.beat < added[i - 1]!.beat) sorted = false;
    }
    if (this.events.length === 0 && sorted) this.events = added.slice();
    else this.events = this.events.concat(added).sort((a, b) => a.beat - b.beat || a.id - b.id);
    return added;
  }

  remove(id: number): boolean {
    const i = this.events.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.events.splice(i, 1);
    return true;
  }

  clear(): void {
    this.events = [];
  }

  /**
   * Occurrences of `events` (default: all) at song beats [sFrom, sTo), as timeline beats from
   * `origin`. `events` must be in beat order (the sequence's own are): each window costs a binary
   * search plus what it returns, not a scan of the song.
   */
  collect(sFrom: number, sTo: number, origin: number, out: Occurrence[], events: readonly SeqEvent[] = this.events): void {
    const lo = Math.max(0, sFrom);
    if (sTo <= lo) return;
    const take = (a: number, b: number, offset: number) => {
      for (let i = firstAtOrAfter(events, a); i < events.length; i++) {
        const ev = events[i]!;
        if (ev.beat >= b) break;
        out.push({ beat: origin + offset + ev.beat, rank: isNoteOff(ev.data) ? 0 : 1, order: ev.id, data: ev.data, ev });
      }
    };
    const L = this.loopLength;
    if (L === undefined) {
      take(lo, sTo, 0);
      return;
    }
    for (let k = Math.floor(lo / L); k * L < sTo; k++) take(Math.max(0, lo - k * L), Math.min(L, sTo - k * L), k * L);
  }
}

/** Index of the first event at or after `beat` in beat-ordered `events`. */
function firstAtOrAfter(events: readonly SeqEvent[], beat: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.beat < beat) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
