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
 * The transport following shared with `MidiClockOut` (lookahead loop, song origin, start, stop
 * at a beat, start/stop detection) is `sched/transport-follower.ts`.
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import { intInRange, nonNegative } from '../core/checks.ts';
import type { PhaselockError } from '../core/errors.ts';
import type { Timers } from '../core/runtime.ts';
import type { LinkPeer } from '../link/link-peer.ts';
import type { SessionState } from '../link/session-state.ts';
import { beatsToMicroBeats } from '../link/timeline.ts';
import type { BeatWindow } from '../sched/beat-cursor.ts';
import { beatBoundary, timeAtMicroBeats } from '../sched/grid.ts';
import type { PreciseTimers } from '../sched/precise-timers.ts';
import { TransportFollower } from '../sched/transport-follower.ts';
import type { WindowScheduler } from '../sched/window-scheduler.ts';
import { controlChange, noteOff, noteOn } from './encode.ts';
import type { MidiOutput } from './output.ts';

export interface LoopOptions {
  /** Loop length in beats (> 0); events at song beats in [0, lengthBeats) repeat. */
  lengthBeats: number;
}

export interface LinkSequencerOptions {
  /** Beats per bar for quantized start and phase (default 4). */
  quantum?: number;
  /** Output latency (ms, may be negative): events are sent at grid time − latency. */
  latencyMs?: number;
  /** Scheduler lookahead (ms, default 30); also how long `stop()` may take to take effect. */
  lookaheadMs?: number;
  /** Scheduler wake interval (ms, default 10). */
  intervalMs?: number;
  loop?: LoopOptions;
  timers?: Timers;
  preciseTimers?: PreciseTimers;
}

export interface LinkSequencerEvents {
  /** The song started (its beat 0) at host time `timeMicros`. */
  start: [timeMicros: number];
  stop: [timeMicros: number];
  warning: [error: PhaselockError];
}

interface SeqEvent {
  id: number;
  /** Song beat (µb). */
  beat: number;
  data: Uint8Array;
  /** Notes: note-off after this many µb. */
  duration?: number;
  off?: Uint8Array;
}

interface Occurrence {
  /** Link beat (µb). */
  beat: number;
  /** 0: note-off, 1: anything else (offs first at equal beats). */
  rank: number;
  order: number;
  data: Uint8Array;
  ev?: SeqEvent;
}

const noteKey = (data: Uint8Array) => ((data[0] as number) & 0x0f) * 128 + (data[1] as number);
const isNoteOn = (d: Uint8Array) => d.length >= 3 && ((d[0] as number) & 0xf0) === 0x90 && (d[2] as number) > 0;
const isNoteOffMsg = (d: Uint8Array) => d.length >= 3 && (((d[0] as number) & 0xf0) === 0x80 || (((d[0] as number) & 0xf0) === 0x90 && d[2] === 0));

/**
 * @example
 * const seq = new LinkSequencer(link, output, { loop: { lengthBeats: 4 } });
 * [60, 64, 67, 72].forEach((n, i) => seq.scheduleNote(i, 1, n, 100, 0.5));
 * seq.start();
 */
export class LinkSequencer extends Emitter<LinkSequencerEvents> {
  readonly quantum: number;
  readonly latencyMicros: number;
  /** The lookahead loop, output and Link transport following; its `origin` is the Link beat (µb) of song beat 0. */
  private readonly transport: TransportFollower;
  private events: SeqEvent[] = [];
  private nextId = 1;
  private loopLength: number | undefined;
  /** Pending automatic note-offs, Link beats (µb). */
  private offs: Array<{ beat: number; data: Uint8Array }> = [];
  /** Sounding notes: key → note-off bytes. */
  private readonly sounding = new Map<number, Uint8Array>();

  constructor(
    readonly link: LinkPeer,
    readonly output: MidiOutput,
    options: LinkSequencerOptions = {},
  ) {
    super();
    this.transport = new TransportFollower(link, output, options, {
      className: 'LinkSequencer',
      warningPrefix: 'sequencer',
      onWindow: (state, bw) => this.onWindow(state, bw),
      warningListeners: () => this.listenerCount('warning'),
      emitWarning: (e) => this.emit('warning', e),
    });
    this.quantum = this.transport.quantum;
    this.latencyMicros = this.transport.latencyMicros;
    this.loop = options.loop;
    this.transport.run();
  }

  /** Whether the song is playing (the Link transport plays). */
  get playing(): boolean {
    return this.transport.following;
  }

  /** The current loop, or undefined. */
  get loop(): LoopOptions | undefined {
    return this.loopLength === undefined ? undefined : { lengthBeats: this.loopLength / 1e6 };
  }

  /** Sets or clears the loop; takes effect from the next window. */
  set loop(loop: LoopOptions | undefined) {
    if (loop === undefined) {
      this.loopLength = undefined;
      return;
    }
    const len = beatsToMicroBeats(nonNegative('loop.lengthBeats', loop.lengthBeats));
    if (len <= 0) throw new RangeError(`loop.lengthBeats must be > 0, got ${loop.lengthBeats}`);
    this.loopLength = len;
  }

  /** Number of scheduled events (notes count once). */
  get size(): number {
    return this.events.length;
  }

  /** Song position (beats) at host time `timeMicros` (default now); negative in the count-in. */
  songBeatAt(timeMicros = this.transport.clock.micros()): number {
    const s = this.link.captureAppSessionState();
    return s.beatAtTime(timeMicros, this.quantum) - this.transport.origin / 1e6;
  }

  /** Schedules raw MIDI bytes at song beat `beat` (≥ 0). Returns an id for `removeEvent`. */
  scheduleEvent(beat: number, bytes: ArrayLike<number>): number {
    const data = Uint8Array.from(bytes);
    if (data.length === 0 || (data[0] as number) < 0x80) throw new RangeError('bytes must be one MIDI message starting with a status byte');
    return this.add({ id: this.nextId++, beat: this.songBeat(beat), data });
  }

  /** Schedules a note: note-on at `beat`, note-off `durationBeats` later. Channel 1..16. */
  scheduleNote(beat: number, channel: number, note: number, velocity: number, durationBeats: number): number {
    const on = noteOn(channel, note, intInRange('velocity', velocity, 1, 127));
    const duration = beatsToMicroBeats(nonNegative('durationBeats', durationBeats));
    return this.add({ id: this.nextId++, beat: this.songBeat(beat), data: on, duration, off: noteOff(channel, note) });
  }

  /** Schedules a control change at `beat`. Channel 1..16. */
  scheduleCc(beat: number, channel: number, controller: number, value: number): number {
    return this.add({ id: this.nextId++, beat: this.songBeat(beat), data: controlChange(channel, controller, value) });
  }

  /**
   * Adds every event of an imported .mid file (see `parseSmf`) at its song beat; the Link tempo
   * drives playback (the file's tempo map is not applied). Returns how many events were added.
   * @example seq.loadSmf(parseSmf(await readFile('song.mid')), { clear: true });
   */
  loadSmf(song: { events: ReadonlyArray<{ beat: number; data: Uint8Array }> }, options: { clear?: boolean } = {}): number {
    this.transport.assertOpen();
    if (options.clear) this.clearEvents();
    const added = song.events.map((e) => ({ id: this.nextId++, beat: this.songBeat(e.beat), data: e.data.slice() }));
    this.events = [...this.events, ...added].sort((a, b) => a.beat - b.beat || a.id - b.id);
    if (this.playing) for (const ev of added) this.liveEdit(ev);
    return added.length;
  }

  /** Removes a scheduled event (already sent occurrences stay sent). */
  removeEvent(id: number): boolean {
    const i = this.events.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.events.splice(i, 1);
    return true;
  }

  /** Removes every scheduled event; sounding notes still get their note-offs. */
  clearEvents(): void {
    this.events = [];
  }

  /**
   * Quantized transport start (next quantum boundary); returns the Link time (µs) of song beat 0
   * (events go out `latencyMs` earlier). While playing, returns the song start, changes nothing.
   */
  start(): number {
    return this.transport.start();
  }

  /**
   * Stops the transport where the handed-out window ends (≤ lookahead from now), or at song
   * beat `atBeat` if that is later; sounding notes get note-offs there. Returns the Link time
   * (µs) of the stop.
   * @example seq.stop({ atBeat: 16 }); // after exactly four 4-beat bars
   */
  stop(options: { atBeat?: number } = {}): number {
    return this.transport.stop(options);
  }

  /** Stops scheduling; sounding notes get their note-offs now. Leaves the transport and output alone. */
  close(): void {
    this.transport.close((now) => {
      for (const off of this.takeSounding()) this.transport.dispatcher.deliver(now, off);
    });
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals ------------------------------------------------------------------------

  /** The lookahead loop (tests read its horizon). */
  private get scheduler(): WindowScheduler {
    return this.transport.scheduler;
  }

  private songBeat(beat: number): number {
    const b = beatsToMicroBeats(nonNegative('beat', beat));
    return b;
  }

  private add(ev: SeqEvent): number {
    this.transport.assertOpen();
    let i = this.events.length;
    while (i > 0 && (this.events[i - 1] as SeqEvent).beat > ev.beat) i--;
    this.events.splice(i, 0, ev);
    if (this.playing) this.liveEdit(ev);
    return ev.id;
  }

  /** An event added while playing: send its occurrences inside the handed-out window if still ahead. */
  private liveEdit(ev: SeqEvent): void {
    const state = this.link.captureAppSessionState();
    const now = this.transport.clock.micros();
    const from = beatBoundary(state, now + this.latencyMicros, this.quantum);
    const to = this.transport.cursor.handedUntilMicroBeats;
    if (to <= from) return;
    const origin = this.transport.origin;
    const occ: Occurrence[] = [];
    this.collect([ev], from - origin, to - origin, occ);
    for (const o of occ) this.sendOccurrence(state, o, to, false);
  }

  /** A window of the transport follower (which already shifted the origin of a renumbered timeline). */
  private onWindow(state: SessionState, bw: BeatWindow): void {
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

  /** Plays events and pending note-offs with Link beats in [from, to). */
  private render(state: SessionState, from: number, to: number): void {
    if (to <= from) return;
    const origin = this.transport.origin;
    const occ: Occurrence[] = [];
    this.collect(this.events, from - origin, to - origin, occ);
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

  /** Occurrences of `events` at song beats [sFrom, sTo), as Link beats. */
  private collect(events: SeqEvent[], sFrom: number, sTo: number, out: Occurrence[]): void {
    const lo = Math.max(0, sFrom);
    if (sTo <= lo) return;
    const origin = this.transport.origin;
    const push = (ev: SeqEvent, songBeat: number) =>
      out.push({ beat: origin + songBeat, rank: isNoteOffMsg(ev.data) ? 0 : 1, order: ev.id, data: ev.data, ev });
    const L = this.loopLength;
    if (L === undefined) {
      for (const ev of events) if (ev.beat >= lo && ev.beat < sTo) push(ev, ev.beat);
      return;
    }
    for (let k = Math.floor(lo / L); k * L < sTo; k++) {
      const a = Math.max(0, lo - k * L);
      const b = Math.min(L, sTo - k * L);
      for (const ev of events) if (ev.beat >= a && ev.beat < b) push(ev, k * L + ev.beat);
    }
  }

  /** Sends note-offs for everything sounding at Link beat `beat` and forgets pending offs. */
  private releaseAll(state: SessionState, beat: number): void {
    this.offs = [];
    for (const off of this.takeSounding()) this.send(state, beat, off, true);
  }

  private takeSounding(): Uint8Array[] {
    const offs = [...this.sounding.values()];
    this.sounding.clear();
    return offs;
  }

  /** Sends `data` for Link beat `beat`; `ordered`: never before the last ordered message (see `deliverInOrder`). */
  private send(state: SessionState, beat: number, data: Uint8Array, ordered: boolean): void {
    const t = timeAtMicroBeats(state, beat, this.quantum) - this.latencyMicros;
    if (isNoteOn(data)) this.sounding.set(noteKey(data), Uint8Array.of(0x80 | ((data[0] as number) & 0x0f), data[1] as number, 0));
    else if (isNoteOffMsg(data)) this.sounding.delete(noteKey(data));
    if (ordered) this.transport.deliverInOrder(t, data);
    else this.transport.dispatcher.deliver(t, data);
  }
}
