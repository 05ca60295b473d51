/**
 * `ShowTransport` (L1 interface): the transport a `ShowPlayer` follows — a DAW's MIDI clock
 * and transport through the MIDI clock follower, or a Link session through `LinkShowTransport`. It
 * is deliberately small (what a show needs, nothing of how the transport keeps time), so any
 * transport can implement it with a thin adapter.
 *
 * Contract for implementations:
 * - `positionBeats(atMicros)` is the song position (beats from the top, 0 = bar 1 beat 1) at
 *   a host time on the player's clock. While playing it moves with the music; **while stopped
 *   it is the position the transport stands at** (constant, unlike a Link timeline, whose
 *   beats run on while its transport is stopped). It may be negative just after a Start (the
 *   first beat is a moment away).
 * - `start`: playing from position 0 (MIDI Start). `continue`: playing from the current
 *   position (MIDI Continue). `stop`: stopped; the position is kept. `playing` already has the
 *   new value when these are emitted.
 * - `position`: the position was moved (a Song Position Pointer: a seek; usually while
 *   stopped, a relocation while playing). `positionBeats()` already returns the new position.
 * - `tempo`: the tempo estimate changed (bpm). `tempoBpm` is undefined while the transport
 *   knows none (no clock seen yet).
 * - Event payloads are informative (the player reads the transport through `playing` and
 *   `positionBeats()`); they are shaped so that `MidiClockFollower`'s events fit as they are
 *   (its transport events carry more: `beatTimeMicros`, `wasArmed`).
 * @module
 */
import type { Listener } from '../core/emitter.ts';

/** What `start`, `continue` and `stop` say. */
export interface ShowTransportEvent {
  /** Host time (µs) of the message. */
  timeMicros: number;
  /** Song position (beats) the transport starts from or stopped at. */
  positionBeats: number;
}

export interface ShowTransportEvents {
  /** MIDI Start: playing from the top (position 0). */
  start: [event: ShowTransportEvent];
  /** MIDI Continue: playing from the current position. */
  continue: [event: ShowTransportEvent];
  /** MIDI Stop: stopped where it was. */
  stop: [event: ShowTransportEvent];
  /** A seek (Song Position Pointer) to `positionBeats`, at host time `timeMicros`. */
  position: [positionBeats: number, timeMicros: number];
  /** The tempo estimate changed. */
  tempo: [bpm: number];
}

export interface ShowTransport {
  /** Whether the transport plays. */
  readonly playing: boolean;
  /** The tempo (bpm), undefined while unknown. */
  readonly tempoBpm: number | undefined;
  /** The song position (beats) at host time `atMicros` (constant while stopped). */
  positionBeats(atMicros: number): number;
  on<K extends keyof ShowTransportEvents>(event: K, fn: Listener<ShowTransportEvents[K]>): unknown;
  off<K extends keyof ShowTransportEvents>(event: K, fn: Listener<ShowTransportEvents[K]>): unknown;
}
