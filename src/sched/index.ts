/**
 * `phaselock/sched`: lookahead window scheduling on any timeline source (a Link session, a
 * `LocalTimeline`, a followed MIDI clock) or on host time, exact
 * event times from pure timeline maths, delivery to outputs that accept future timestamps or
 * must be called at the instant, `atBeat`/`sync` promises, and `ClockLinkBridge` (a followed
 * clock — a DAW's MIDI clock — published into a Link session). L0/L1: runs on an injected
 * Clock/Timers (the timing-thread output and Node precise timers live in `src/node`).
 * See docs/timing.md.
 * @module
 */
export {
  MICRO_BEATS_PER_BEAT,
  alignUpTo,
  beatBoundary,
  ceilToMultiple,
  firstStepAtOrAfter,
  microBeatsAtTime,
  nextQuantumBoundary,
  stepMicroBeats,
  stepTime,
  stepsInRange,
  timeAtMicroBeats,
} from './grid.ts';
export { BeatCursor, type BeatWindow, type TimelineChange } from './beat-cursor.ts';
export {
  WindowScheduler,
  DEFAULT_INTERVAL_MICROS,
  DEFAULT_LOOKAHEAD_MICROS,
  type Window,
  type WindowSchedulerOptions,
} from './window-scheduler.ts';
export { timerPreciseTimers, type PreciseTimers } from './precise-timers.ts';
export { OutputDispatcher, sendsAhead, type ScheduledOutput, type InstantOutput, type TimestampedOutput } from './output-dispatcher.ts';
export { HeldOutput, type HeldOutputOptions } from './held-output.ts';
export type { TimelineSource, TimelineEvents } from './timeline-source.ts';
export { LocalTimeline, type LocalTimelineOptions } from './local-timeline.ts';
export { TransportPlayer, type TransportPlayerOptions, type TransportPlayerEvents } from './transport-player.ts';
export { HostTimeScheduler, type HostTimeSchedulerRuntime } from './host-time-scheduler.ts';
export { atBeat, sync, type AtBeatOptions, type BeatArrival, type SyncOptions } from './at-beat.ts';
export { setTransport, songOriginOfStart, startTransportQuantized, timeNotAfterBeat } from './transport.ts';
export { ClockLinkBridge, type ClockLinkBridgeOptions, type ClockLinkBridgeEvents, type ClockLinkCommit } from './clock-link-bridge.ts';
export type { FollowedClock, FollowedClockEvents, FollowedTransportEvent } from './followed-clock.ts';
