/**
 * The live view's model and key bindings (LinkHut's, plus tap tempo and help), free of any
 * terminal I/O so both the TUI and the `--json` mode drive it, and tests run it on a
 * virtual clock.
 * @module
 */
import type { NetworkTimelineSource } from '../../sched/timeline-source.ts';
import { TapTempo } from './tap-tempo.ts';

/** What the live view drives: a timeline shared over a network (phaselock's `Link`). */
export type HutLink = NetworkTimelineSource;

/** One snapshot of the session as the live view shows it. */
export interface LiveStatus {
  /** Host time (µs, CLOCK_MONOTONIC) of the snapshot. */
  t: number;
  enabled: boolean;
  numPeers: number;
  quantum: number;
  startStopSync: boolean;
  isPlaying: boolean;
  tempo: number;
  /** Beat at `t` for `quantum`; negative while counting in after a quantized start. */
  beat: number;
  /** Phase at `t` in [0, quantum). */
  phase: number;
}

export const MIN_QUANTUM = 1;
export const MAX_QUANTUM = 64;

/** The state of `link` at its clock's now, for `quantum`. */
export function captureStatus(link: HutLink, quantum: number): LiveStatus {
  const t = link.clock.micros();
  const s = link.captureAppSessionState();
  return {
    t,
    enabled: link.enabled,
    numPeers: link.numPeers,
    quantum,
    startStopSync: link.startStopSyncEnabled,
    isPlaying: s.isPlaying,
    tempo: s.tempo,
    beat: s.beatAtTime(t, quantum),
    phase: s.phaseAtTime(t, quantum),
  };
}

/** Rounds to `digits` decimals, away from float noise (121.00000000001 → 121). */
function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export type KeyOutcome = 'quit' | undefined;

/** How long a message stays on screen. */
export const MESSAGE_MICROS = 4_000_000;

export class LinkHut {
  quantum: number;
  helpVisible = false;
  /** Feedback on the last key (or a warning), shown under the status for a few seconds. */
  message = '';
  private messageAt = -Infinity;
  private readonly taps = new TapTempo();

  constructor(readonly link: HutLink, options: { quantum?: number } = {}) {
    this.quantum = options.quantum ?? 4;
  }

  status(): LiveStatus {
    return captureStatus(this.link, this.quantum);
  }

  /** Shows `text` under the status from now on. */
  say(text: string): void {
    this.message = text;
    this.messageAt = this.link.clock.micros();
  }

  /** The message while it is fresh (shown for `MESSAGE_MICROS`), else ''. */
  visibleMessage(): string {
    return this.link.clock.micros() - this.messageAt < MESSAGE_MICROS ? this.message : '';
  }

  /** Applies one key (a single character); returns 'quit' for q and Ctrl-C. */
  key(k: string): KeyOutcome {
    switch (k) {
      case 'q':
      case '\x03': // Ctrl-C in raw mode
      case '\x04': // Ctrl-D
        return 'quit';
      case 'a':
        if (this.link.enabled) this.link.disable();
        else this.link.enable();
        this.say(this.link.enabled ? 'Link enabled' : 'Link disabled');
        return undefined;
      case ' ':
        this.startStop();
        return undefined;
      case 'w': return this.nudgeTempo(-1);
      case 'e': return this.nudgeTempo(1);
      case 'W': return this.nudgeTempo(-0.1);
      case 'E': return this.nudgeTempo(0.1);
      case 'r': return this.setQuantum(this.quantum - 1);
      case 't': return this.setQuantum(this.quantum + 1);
      case 's':
        this.link.startStopSyncEnabled = !this.link.startStopSyncEnabled;
        this.say(`start/stop sync ${this.link.startStopSyncEnabled ? 'on' : 'off'}`);
        return undefined;
      case 'T':
        this.tap();
        return undefined;
      case '?':
      case 'h':
        this.helpVisible = !this.helpVisible;
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * Space: stop now, or start with beat 0 requested at now. With peers the request keeps the
   * session phase, so beat 0 lands on the next bar and the beats before it count in
   * (negative); alone it starts at once (LinkHut's behaviour).
   */
  private startStop(): void {
    const now = this.link.clock.micros();
    const s = this.link.captureAppSessionState();
    if (s.isPlaying) {
      s.setIsPlaying(false, now);
      this.say('stopped');
    } else {
      s.setIsPlayingAndRequestBeatAtTime(true, now, 0, this.quantum);
      const wait = s.timeAtBeat(0, this.quantum) - now;
      this.say(wait > 1000 ? `start at the next bar (in ${(wait / 1e6).toFixed(2)} s)` : 'started');
    }
    this.link.commitAppSessionState(s);
  }

  private nudgeTempo(delta: number): undefined {
    this.setTempo(roundTo(this.link.captureAppSessionState().tempo + delta, 2));
    return undefined;
  }

  private setTempo(bpm: number): void {
    const s = this.link.captureAppSessionState();
    s.setTempo(Math.min(999, Math.max(20, bpm)), this.link.clock.micros());
    this.link.commitAppSessionState(s);
    this.say(`tempo ${s.tempo.toFixed(2)} bpm`);
  }

  private setQuantum(q: number): undefined {
    this.quantum = Math.min(MAX_QUANTUM, Math.max(MIN_QUANTUM, Math.round(q)));
    this.say(`quantum ${this.quantum}`);
    return undefined;
  }

  private tap(): void {
    const bpm = this.taps.tap(this.link.clock.micros());
    if (bpm === undefined) {
      this.say('tap: keep tapping (T) on the beat');
      return;
    }
    this.setTempo(roundTo(bpm, 2));
    this.say(`tap ×${this.taps.count}: ${this.message}`);
  }
}
