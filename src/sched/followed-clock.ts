/**
 * `FollowedClock` (L1 interface): what `ClockLinkBridge` reads of a clock it follows — its tempo
 * estimate, its transport and song position, and whether its ticks arrive. `MidiClockFollower`
 * (phaselock/midi) is one; the interface keeps phaselock/sched free of the MIDI layer.
 * @module
 */
import type { Listener } from '../core/emitter.ts';

/** A transport change of the followed clock (`MidiClockFollower`'s `FollowerTransportEvent` is one). */
export interface FollowedTransportEvent {
  /** Host time (µs) of the message. */
  timeMicros: number;
  /** Song position (beats) the transport starts from or stopped at. */
  positionBeats: number;
  /** Host time (µs) of `positionBeats` on the followed timeline. */
  beatTimeMicros: number;
  /** A stop the follower made itself because the clock stayed away (not the DAW's Stop). */
  byClockLoss?: boolean;
}

/** The events the bridge listens to. */
export interface FollowedClockEvents {
  tempo: [bpm: number];
  start: [event: FollowedTransportEvent];
  continue: [event: FollowedTransportEvent];
  stop: [event: FollowedTransportEvent];
  position: [positionBeats: number, timeMicros: number];
  clockpresent: [present: boolean, timeMicros: number];
  close: [];
}

/** What the bridge reads of a followed clock: `MidiClockFollower` is one. */
export interface FollowedClock {
  /** The tempo estimate (bpm); undefined without one. */
  readonly tempoBpm: number | undefined;
  /** 1σ of the estimate (bpm); undefined without one. */
  readonly uncertaintyBpm: number | undefined;
  readonly clockPresent: boolean;
  readonly playing: boolean;
  /** The song position (beats) at host time `atMicros`. */
  positionBeats(atMicros: number): number;
  on<K extends keyof FollowedClockEvents>(event: K, fn: Listener<FollowedClockEvents[K]>): unknown;
  off<K extends keyof FollowedClockEvents>(event: K, fn: Listener<FollowedClockEvents[K]>): unknown;
}
