/**
 * `LinkSequencer` (L1): MIDI events placed on song beats, played on the Link timeline through
 * the lookahead scheduler, each handed to the output with its exact host time.
 *
 * - Song beat 0 is where the Link transport started (see `sched/transport.ts`): `start()` is the
 *   quantized transport start (next quantum boundary, count-in as negative Link beats); a peer's
 *   start (start/stop sync) starts the song on the first bar at or after it. While the transport
 *   plays, the sequencer plays; `stop()` (or a peer's stop) stops it and every sounding note
 *   gets its note-off at the stop time.
 * - `scheduleNote` sends the note-on and, `durationBeats` later, the note-off; raw note-ons
 *   from `scheduleEvent` (or a .mid file) are tracked too, so stop never leaves a note hanging.
 *   At equal times note-offs go before note-ons (a repeated note re-attacks).
 * - Looping (`loop: { lengthBeats }`): events in [0, lengthBeats) repeat every lengthBeats song
 *   beats; a note may ring across the loop end (its note-off is in the next pass).
 * - Live edits: adding an event while playing takes effect at once — an occurrence inside the
 *   window already handed out is sent immediately if its time is still ahead of now.
 * - Tempo changes follow the new timeline from the first beat not yet handed out; a phase jump
 *   ends sounding notes and continues at the new song position (see `BeatCursor`).
 *
 * - Stop and close never leave a note hanging: every note message handed to the output is
 *   recorded (midi-ledger.ts); on close what was handed out ahead is withdrawn first, then each
 *   note still sounding gets its note-off.
 *
 * The wiring shared with `MidiClockOut` (lookahead loop, song origin, start, stop at a beat,
 * start/stop detection, lifecycle) is `sched/transport-player.ts`; the events and their looping
 * are `sequence.ts`.
 * @module
 */
import { intInRange, nonNegative } from '../core/checks.ts';
import type { PhaselockError } from '../core/errors.ts';
import type { SessionState } from '../link/session-state.ts';
import { beatsToMicroBeats } from '../link/timeline.ts';
import type { BeatWindow } from '../sched/beat-cursor.ts';
import { beatBoundary, timeAtMicroBeats } from '../sched/grid.ts';
import type { TimelineSource } from '../sched/timeline-source.ts';
import { TransportPlayer, type TransportPlayerOptions } from '../sched/transport-player.ts';
import { controlChange, noteOff, noteOn } from './encode.ts';
import { endingsWith, MidiLedger } from './midi-ledger.ts';
import type { MidiOutput } from './output.ts';
import { Sequence, type LoopOptions, type Occurrence, type SeqEvent } from './sequence.ts';

export type { LoopOptions } from './sequence.ts';

export interface LinkSequencerOptions extends TransportPlayerOptions {
  loop?: LoopOptions;
}

export interface LinkSequencerEvents {
  /** The song started (its beat 0) at host time `timeMicros`. */
  start: [timeMicros: number];
  stop: [timeMicros: number];
  warning: [error: PhaselockError];
}

/**
 * @example
 * const seq = new LinkSequencer(link, output, { loop: { lengthBeats: 4 } });
 * [60, 64, 67, 72].forEach((n, i) => seq.scheduleNote(i, 1, n, 100, 0.5));
 * seq.start();
 * // …
 * await seq.close(); // note-offs sent and delivered
 */
export class LinkSequencer extends TransportPlayer<LinkSequencerEvents> {
  private readonly sequence = new Sequence();
  /** Pending automatic note-offs, timeline beats (µb). */
  private offs: Array<{ beat: number; data: Uint8Array }> = [];
  /** Note messages handed to the output: which notes sound. */
  private readonly ledger = new MidiLedger();

  constructor(source: TimelineSource, output: MidiOutput, options: LinkSequencerOptions = {}) {
    super(source, output, options, { className: 'LinkSequencer', warningPrefix: 'sequencer' });
    this.loop = options.loop;
  }

  /** Whether the song is playing (the transport plays). */
  get playing(): boolean {
    return this.transport.following;
  }

  /** The current loop, or undefined. */
  get loop(): LoopOptions | undefined {
    return this.sequence.loop;
  }

  /** Sets or clears the loop; takes effect from the next window. */
  set loop(loop: LoopOptions | undefined) {
    this.sequence.loop = loop;
  }

  /** Number of scheduled events (notes count once). */
  get size(): number {
    return this.sequence.size;
  }

  /** Song position (beats) at host time `timeMicros` (default now); negative in the count-in. */
  songBeatAt(timeMicros = this.transport.clock.micros()): number {
    const s = this.source.captureAppSessionState();
    return s.beatAtTime(timeMicros, this.quantum) - this.transport.origin / 1e6;
  }

  /** Schedules raw MIDI bytes at song beat `beat` (≥ 0). Returns an id for `removeEvent`. */
  scheduleEvent(beat: number, bytes: ArrayLike<number>): number {
    const data = Uint8Array.from(bytes);
    if (data.length === 0 || (data[0] as number) < 0x80) throw new RangeError('bytes must be one MIDI message starting with a status byte');
    return this.add({ beat: this.songBeat(beat), data });
  }

  /** Schedules a note: note-on at `beat`, note-off `durationBeats` later. Channel 1..16. */
  scheduleNote(beat: number, channel: number, note: number, velocity: number, durationBeats: number): number {
    const on = noteOn(channel, note, intInRange('velocity', velocity, 1, 127));
    const duration = beatsToMicroBeats(nonNegative('durationBeats', durationBeats));
    return this.add({ beat: this.songBeat(beat), data: on, duration, off: noteOff(channel, note) });
  }

  /** Schedules a control change at `beat`. Channel 1..16. */
  scheduleCc(beat: number, channel: number, controller: number, value: number): number {
    return this.add({ beat: this.songBeat(beat), data: controlChange(channel, controller, value) });
  }

  /**
   * Adds every event of an imported .mid file (see `parseSmf`) at its song beat; the timeline's
   * tempo drives playback (the file's tempo map is not applied). Returns how many were added.
   * @example seq.loadSmf(parseSmf(await readFile('song.mid')), { clear: true });
   */
  loadSmf(song: { events: ReadonlyArray<{ beat: number; data: Uint8Array }> }, options: { clear?: boolean } = {}): number {
    this.transport.assertOpen();
    if (options.clear) this.clearEvents();
    // The messages are copied (the caller keeps its song), into one buffer: a file may hold a
    // million events, and a buffer each would cost several times their bytes.
    let total = 0;
    for (const e of song.events) total += e.data.length;
    const pool = new Uint8Array(total);
    let at = 0;
    const added = this.sequence.addAll(song.events.map((e) => {
      const beat = this.songBeat(e.beat);
      pool.set(e.data, at);
      return { beat, data: pool.subarray(at, (at += e.data.length)) };
    }));
    if (this.playing) for (const ev of added) this.liveEdit(ev);
    return added.length;
  }

  /** Removes a scheduled event (already sent occurrences stay sent). */
  removeEvent(id: number): boolean {
    return this.sequence.remove(id);
  }

  /** Removes every scheduled event; sounding notes still get their note-offs. */
  clearEvents(): void {
    this.sequence.clear();
  }

  /** At close: what was handed out ahead is withdrawn; every note still sounding ends now. */
  protected lastMessages(at: number, now: number): void {
    const maybeSent = this.ledger.withdraw(at + 1);
    this.offs = [];
    for (const off of endingsWith(this.ledger.endings(), now > at ? maybeSent : [])) {
      this.transport.dispatcher.deliver(now, off);
      this.ledger.record(now, off);
    }
  }

  // ---- internals ------------------------------------------------------------------------

  private songBeat(beat: number): number {
    return beatsToMicroBeats(nonNegative('beat', beat));
  }

  private add(ev: Omit<SeqEvent, 'id'>): number {
    this.transport.assertOpen();
    const e = this.sequence.add(ev);
    if (this.playing) this.liveEdit(e);
    return e.id;
  }

  /** An event added while playing: send its occurrences inside the handed-out window if still ahead. */
  private liveEdit(ev: SeqEvent): void {
    const state = this.source.captureAppSessionState();
    const now = this.transport.clock.micros();
    const from = beatBoundary(state, now + this.latencyMicros, this.quantum);
    const to = this.transport.cursor.handedUntilMicroBeats;
    if (to <= from) return;
    const origin = this.transport.origin;
    const occ: Occurrence[] = [];
    this.sequence.collect(from - origin, to - origin, origin, occ, [ev]);
    for (const o of occ) this.sendOccurrence(state, o, to, false);
  }

  protected onWindow(state: SessionState, bw: BeatWindow): void {
    this.ledger.settle(this.transport.clock.micros());
    const from = bw.fromMicroBeats;
    if (bw.change === 'renumbered') {
      for (const o of this.offs) o.beat += bw.shiftMicroBeats;
    } else if (bw.change === 'jump' && this.playing) {
      this.releaseAll(state, from);
    }
    const step = this.transport.follow(state, bw);
    if (step.kind === 'start') {
      if (step.restart) this.releaseAll(state, from);
      this.emit('start', timeAtMicroBeats(state, this.transport.origin, this.quantum));
    } else if (step.kind === 'stop') {
      this.render(state, from, step.beat);
      this.releaseAll(state, step.beat);
      this.emit('stop', timeAtMicroBeats(state, step.beat, this.quantum));
      return;
    }
    // Playing on (up to a stop beyond this window too) from the song start; nothing while stopped.
    if (this.playing) this.render(state, Math.max(from, this.transport.origin), bw.toMicroBeats);
  }

  /** Plays events and pending note-offs with timeline beats in [from, to). */
  private render(state: SessionState, from: number, to: number): void {
    if (to <= from) return;
    const origin = this.transport.origin;
    const occ: Occurrence[] = [];
    this.sequence.collect(from - origin, to - origin, origin, occ);
    occ.sort((a, b) => a.beat - b.beat || a.rank - b.rank || a.order - b.order);
    for (const o of occ) {
      // Pending note-offs at or before this beat first: at equal beats a repeated note re-attacks.
      this.flushOffs(state, o.beat, true);
      this.sendOccurrence(state, o, to, true);
    }
    this.flushOffs(state, to, false);
  }

  /** Sends pending note-offs with beat < `until` (≤ `until` when `inclusive`). */
  private flushOffs(state: SessionState, until: number, inclusive: boolean): void {
    while (this.offs.length > 0) {
      const o = this.offs[0] as { beat: number; data: Uint8Array };
      if (inclusive ? o.beat > until : o.beat >= until) break;
      this.offs.shift();
      this.send(state, o.beat, o.data, true);
    }
  }

  private sendOccurrence(state: SessionState, o: Occurrence, handedUntil: number, ordered: boolean): void {
    this.send(state, o.beat, o.data, ordered);
    const ev = o.ev;
    if (ev?.off && ev.duration !== undefined) {
      const offBeat = o.beat + ev.duration;
      if (!ordered && offBeat < handedUntil) {
        this.send(state, offBeat, ev.off, false);
        return;
      }
      let i = this.offs.length;
      while (i > 0 && (this.offs[i - 1] as { beat: number }).beat > offBeat) i--;
      this.offs.splice(i, 0, { beat: offBeat, data: ev.off });
    }
  }

  /**
   * Ends every sounding note at timeline beat `beat` and forgets pending offs. Everything handed
   * out so far is before `beat` (windows are contiguous), so what sounds is what was handed out.
   */
  private releaseAll(state: SessionState, beat: number): void {
    this.offs = [];
    for (const off of this.ledger.endings()) this.send(state, beat, off, true);
  }

  /** Sends `data` for timeline beat `beat`; `ordered`: never before the last ordered message (see `deliverInOrder`). */
  private send(state: SessionState, beat: number, data: Uint8Array, ordered: boolean): void {
    let t = timeAtMicroBeats(state, beat, this.quantum) - this.latencyMicros;
    if (ordered) t = this.transport.deliverInOrder(t, data);
    else this.transport.dispatcher.deliver(t, data);
    this.ledger.record(t, data);
  }
}
