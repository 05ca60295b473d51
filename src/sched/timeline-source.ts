/**
 * `TimelineSource` (L1 interface): what every consumer of musical time in phaselock takes — the
 * lookahead scheduler, the MIDI clock, the sequencer, `atBeat`/`sync`, show control, the
 * Carabiner server and the terminal UI. It is Ableton Link's public application API (capture a
 * `SessionState`, change it, commit it) plus the host clock and timers the timeline is read on,
 * and events for what changed. A Link peer implements it; so do `LocalTimeline` (a timeline of
 * its own: offline rendering, tests, a program without network), a followed MIDI clock and a
 * session bridged into a browser.
 *
 * Contract for implementations:
 * - `captureAppSessionState()` returns a snapshot; `commitAppSessionState(state)` applies what
 *   the application changed in it (and may throw RangeError, changing nothing).
 * - `tempo`, `playing` and `peers` are emitted when those change (by a commit or otherwise);
 *   `close` once, when the source closes: consumers stop and reject what they owe (E_CLOSED).
 * - `clock`, `timers` and `preciseTimers` are the time base the timeline's host times are on.
 * @module
 */
import type { Listener } from '../core/emitter.ts';
import type { Clock, PreciseTimers, Timers } from '../core/runtime.ts';
import type { SessionState } from '../link/session-state.ts';

export interface TimelineEvents {
  /** The tempo (bpm) changed. */
  tempo: [bpm: number];
  /** The transport started or stopped. */
  playing: [isPlaying: boolean];
  /** The number of peers sharing the timeline changed (0 for a timeline of one's own). */
  peers: [numPeers: number];
  /** The source closed: nothing will change any more. */
  close: [];
}

export interface TimelineSource {
  /** Host time the timeline is read on (µs). */
  readonly clock: Clock;
  /** Timers on `clock`. */
  readonly timers: Timers;
  /** Timers that call at the exact host instant (outputs that must be called at the instant). */
  readonly preciseTimers: PreciseTimers;
  /** Peers sharing the timeline (not counting this one). */
  readonly numPeers: number;
  /** True once closed. */
  readonly closed: boolean;
  /**
   * True when the timeline's beats are a song position (a followed DAW's MIDI clock: beat =
   * clocks / 24 from the top of the song): players take beat 0 as song position 0, so a
   * Continue mid-song plays on from the DAW's position. Absent or false (Link, LocalTimeline): a
   * transport start is a song start, on the first bar at or after it.
   */
  readonly beatsAreSongPosition?: boolean;
  /** A snapshot of the timeline and transport; change it and commit it. */
  captureAppSessionState(): SessionState;
  /** Applies what the application changed in `state`. */
  commitAppSessionState(state: SessionState): void;
  on<K extends keyof TimelineEvents>(event: K, fn: Listener<TimelineEvents[K]>): unknown;
  off<K extends keyof TimelineEvents>(event: K, fn: Listener<TimelineEvents[K]>): unknown;
}

/**
 * A timeline source shared over a network that can be joined and left, with start/stop sync
 * optional (a Link peer): what the live terminal view and the Carabiner server take.
 */
export interface NetworkTimelineSource extends TimelineSource {
  readonly enabled: boolean;
  enable(): void;
  disable(): void;
  /** Follow and send start/stop changes. */
  startStopSyncEnabled: boolean;
}
