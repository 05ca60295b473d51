/**
 * `LinkShowTransport` (L1): a `ShowTransport` over a `TimelineSource` with a transport of its
 * own — a Link session with start/stop sync, or a `LocalTimeline` — so a `ShowPlayer` plays a
 * show from a Link session exactly as from a DAW's MIDI clock.
 *
 * Link has no song position: its beats run on while its transport is stopped, and a start is
 * only "playing from now". The rule that makes a show of it:
 * - **start**: when the session starts playing (its `playing` event), the show starts from the
 *   top on the first bar (`quantum` beats, default 4) at or after the start time — the bar where
 *   a Link app's quantized launch puts its beat 0. `start` is emitted at once with
 *   `beatTimeMicros` the host time of that bar; `positionBeats(t)` is 0 there, negative before
 *   it (the player waits, paused at the top), and then counts the beats since.
 * - **joined**: a start whose bar passed more than {@link LATE_START_MICROS} ago (this peer
 *   joined a session that was already playing) is a `continue` at the position reached since
 *   that bar: the show joins the song where it stands.
 * - **stop**: `stop` at the position the session stopped at (its stop time; 0 for a stop
 *   before the first bar), then, as Link has no song position to stay at, a rewind:
 *   `position` 0 (unless already there). The player pauses, then seeks to the top and arms,
 *   so the next start fires the show again.
 * - **tempo**: the source's `tempo` events; `tempoBpm` is always known (the session's tempo).
 *
 * The song origin is kept as a Link beat. A renumbered timeline (a peer's `requestBeatAtTime`
 * moves the beat magnitudes by whole bars, a `forceBeatAtTime` jumps them) moves it along, so
 * the song position stays continuous: a timeline that changes at the same tempo by more than
 * {@link RENUMBER_MIN_BEATS} at the current time shifts the origin by that much. Smaller shifts
 * are clock corrections (a re-measured offset to the session's clock moves the grid by a few
 * µs) and are followed, as a tempo change is (Link keeps the beat where the tempo changed).
 *
 * Lifecycle: the constructor wires; `open()` follows the source from now (open it before the
 * player, which reads `playing` when it opens: a session already playing is joined);
 * `close()` stops following (also when the source closes). Pure of I/O: it runs on the
 * source's clock, on VirtualTime in tests.
 * @example
 * const link = new Link({ startStopSync: true });
 * link.enable();
 * await using transport = new LinkShowTransport(link, { quantum: 4 }).open();
 * await using show = new ShowPlayer(runtime, transport, mpv, { media: '/srv/show/act1.mp4' }).open();
 * @module
 */
import { finiteNumber } from '../core/checks.ts';
import { Emitter } from '../core/emitter.ts';
import { PhaselockError } from '../core/errors.ts';
import type { SessionState } from '../link/session-state.ts';
import { identicalTimelines, microBeatsToBeats } from '../link/timeline.ts';
import { MICRO_BEATS_PER_BEAT, microBeatsAtTime, timeAtMicroBeats } from '../sched/grid.ts';
import type { TimelineSource } from '../sched/timeline-source.ts';
import { songOriginOfStart } from '../sched/transport.ts';
import type { ShowTransport, ShowTransportEvent } from './show-transport.ts';

/** A start whose first bar passed longer ago than this (µs) is a join: `continue`, not `start`. */
export const LATE_START_MICROS = 250_000;

/** A timeline change at the same tempo beyond this (beats) is a renumbering, not a clock correction. */
export const RENUMBER_MIN_BEATS = 0.05;

export interface LinkShowTransportOptions {
  /** Beats per bar: the show starts on the first bar at or after the session's start (default 4). */
  quantum?: number;
}

/** What `start`, `continue` and `stop` say (`MidiClockFollower`'s shape, without `wasArmed`). */
export interface LinkShowTransportEvent extends ShowTransportEvent {
  /**
   * Host time (µs) of `positionBeats`: the bar the show starts on (`start`), the moment joined
   * (`continue`), the session's stop time (`stop`).
   */
  beatTimeMicros: number;
}

export interface LinkShowTransportEvents {
  start: [event: LinkShowTransportEvent];
  continue: [event: LinkShowTransportEvent];
  stop: [event: LinkShowTransportEvent];
  position: [positionBeats: number, timeMicros: number];
  tempo: [bpm: number];
  /** A listener threw (reported here, never thrown into the timeline's event path). */
  warning: [error: PhaselockError];
  close: [];
}

export class LinkShowTransport extends Emitter<LinkShowTransportEvents> implements ShowTransport {
  readonly quantum: number;
  private playingNow = false;
  private reportingListenerError = false;
  private bpm: number | undefined;
  /** The Link beat (µb) of song position 0, while playing. */
  private originMicroBeats = 0;
  /** The session state the origin was last checked against. */
  private line: SessionState | undefined;
  /** Where the transport stands while stopped (beats). */
  private stoppedAt = 0;
  private opened = false;
  private closed = false;
  private readonly onPlaying = (playing: boolean) => (playing ? this.started() : this.stopped());
  private readonly onTempo = (bpm: number) => {
    this.bpm = bpm;
    this.emit('tempo', bpm);
  };
  private readonly onSourceClose = () => void this.close();

  /** Wires only. Throws TypeError/RangeError for a bad source or quantum (> 0 beats). */
  constructor(readonly source: TimelineSource, options: LinkShowTransportOptions = {}) {
    super();
    if (!source || typeof source.captureAppSessionState !== 'function') throw new TypeError('LinkShowTransport: source must be a TimelineSource');
    this.quantum = finiteNumber('quantum', options.quantum ?? 4);
    if (!(this.quantum > 0 && this.quantum <= 1e6)) throw new RangeError(`quantum must be in (0, 1e6] beats, got ${this.quantum}`);
  }

  get playing(): boolean {
    return this.playingNow;
  }

  get tempoBpm(): number | undefined {
    return this.bpm;
  }

  /**
   * The song position (beats) at host time `atMicros`: while playing, the beats since the bar
   * the show started on (negative before it); while stopped, 0 (or where it stopped, for the
   * moment between `stop` and the rewind).
   */
  positionBeats(atMicros: number): number {
    if (!this.playingNow) return this.stoppedAt;
    const s = this.current();
    return microBeatsToBeats(microBeatsAtTime(s, atMicros, this.quantum) - this.originMicroBeats);
  }

  /**
   * Follows the source from now; a session already playing is taken as joined (playing, at the
   * beats since the first bar at or after its start), without an event. Idempotent.
   */
  open(): this {
    if (this.closed) throw new PhaselockError('E_CLOSED', 'LinkShowTransport: open: the transport was closed');
    if (this.opened) return this;
    this.opened = true;
    const s = this.source.captureAppSessionState();
    this.bpm = s.tempo;
    if (s.isPlaying) this.follow(s);
    this.source.on('playing', this.onPlaying);
    this.source.on('tempo', this.onTempo);
    this.source.on('close', this.onSourceClose);
    return this;
  }

  /** Stops following the source (the source is left as it is). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.source.off('playing', this.onPlaying);
    this.source.off('tempo', this.onTempo);
    this.source.off('close', this.onSourceClose);
    this.emit('close');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private started(): void {
    if (this.playingNow) return;
    const s = this.source.captureAppSessionState();
    if (!s.isPlaying) return;
    const barMicros = this.follow(s);
    const now = this.source.clock.micros();
    if (barMicros >= now - LATE_START_MICROS) {
      this.emit('start', { timeMicros: now, positionBeats: 0, beatTimeMicros: barMicros });
    } else {
      this.emit('continue', { timeMicros: now, positionBeats: this.positionBeats(now), beatTimeMicros: now });
    }
  }

  /** Playing from the first bar at or after the session's start; returns that bar's host time. */
  private follow(s: SessionState): number {
    this.originMicroBeats = songOriginOfStart(s, s.timeForIsPlaying(), this.quantum);
    this.line = s;
    this.playingNow = true;
    return timeAtMicroBeats(s, this.originMicroBeats, this.quantum);
  }

  private stopped(): void {
    if (!this.playingNow) return;
    const s = this.current();
    const now = this.source.clock.micros();
    const stopMicros = s.isPlaying ? now : Math.min(now, s.timeForIsPlaying());
    const at = Math.max(0, microBeatsToBeats(microBeatsAtTime(s, stopMicros, this.quantum) - this.originMicroBeats));
    this.playingNow = false;
    this.line = undefined;
    this.stoppedAt = at;
    this.emit('stop', { timeMicros: now, positionBeats: at, beatTimeMicros: stopMicros });
    if (this.playingNow || this.stoppedAt === 0) return; // a listener restarted it, or it stopped at the top
    this.stoppedAt = 0;
    this.emit('position', 0, now);
  }

  /** The session state now, the origin moved along with a timeline renumbered since the last look. */
  private current(): SessionState {
    const s = this.source.captureAppSessionState();
    const prev = this.line;
    if (prev && !identicalTimelines(prev.timeline, s.timeline) && prev.timeline.microsPerBeat === s.timeline.microsPerBeat) {
      const now = this.source.clock.micros();
      const shift = microBeatsAtTime(s, now, this.quantum) - microBeatsAtTime(prev, now, this.quantum);
      if (Math.abs(shift) > RENUMBER_MIN_BEATS * MICRO_BEATS_PER_BEAT) this.originMicroBeats += shift;
    }
    this.line = s;
    return s;
  }

  /** A throwing listener becomes a `warning` (rate-limited); with nobody listening, it is dropped. */
  protected override onListenerError(err: unknown): void {
    if (this.reportingListenerError || this.listenerCount('warning') === 0) return;
    this.reportingListenerError = true;
    try {
      this.emit('warning', new PhaselockError('E_STATE', `Link show transport: a listener threw: ${err instanceof Error ? err.message : String(err)}`));
    } finally {
      this.reportingListenerError = false;
    }
  }
}
