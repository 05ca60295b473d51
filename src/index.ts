/**
 * phaselock: musical time synchronization for TypeScript/Node.js — an Ableton Link peer with
 * Link's public vocabulary (`Link`, `SessionState`, `captureAppSessionState`, …).
 * @module
 */
export { Link, type LinkOptions } from './node/link/link.ts';
export { LinkPeer, type LinkEvents, type LinkLogger, type LinkPeerOptions } from './link/link-peer.ts';
export { SessionState, type SessionStateInit } from './link/session-state.ts';
export { PhaselockError, DecodeError, type PhaselockErrorCode } from './core/errors.ts';
export type { Clock, PreciseTimers, Runtime, Timers } from './core/runtime.ts';
export type { TimelineSource, TimelineEvents, NetworkTimelineSource } from './sched/timeline-source.ts';
export { LocalTimeline, type LocalTimelineOptions } from './sched/local-timeline.ts';
export { hrClock, nodeTimers } from './node/host-clock.ts';
// Node adapters for MIDI out at the instant (docs/timing.md §2): the timing thread, native ports,
// main-thread precise timers. `phaselock/midi` and `phaselock/sched` stay free of Node I/O.
export {
  openPreciseOutput,
  PreciseWorkerOutput,
  DEFAULT_SPIN_MICROS,
  type PreciseTarget,
  type PreciseOutputOptions,
  type PreciseOutputEvents,
  type SentReport,
  type TimingThreadGc,
} from './node/timing/precise-output.ts';
export type { ThreadPriority } from './node/timing/thread-priority.ts';
export { openNativeMidiOutput, listNativeMidiOutputs, NativeMidiOutput } from './node/midi/native-midi.ts';
export { openNativeMidiInput, listNativeMidiInputs, NativeMidiInput } from './node/midi/native-midi-input.ts';
export { nodePreciseTimers, type NodePreciseTimersOptions } from './node/timing/precise-timers.ts';
export { nodeRuntime } from './node/link/node-runtime.ts';
export { advertiseRtpMidi, browseRtpMidi, RtpMidiBrowser } from './node/rtpmidi/mdns.ts';
// Show control: start mpv with its IPC socket; the client is `MpvClient` in `phaselock/show`.
export { spawnMpv, mpvSocketAccepts, MpvProcess, type SpawnMpvOptions, type MpvExit } from './node/show/spawn-mpv.ts';
