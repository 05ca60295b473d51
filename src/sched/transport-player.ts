/**
 * `TransportPlayer` (L1): what the MIDI clock and the sequencer share — everything that plays
 * on a timeline's transport, on any `TimelineSource`, into any scheduled output. It owns the
 * lookahead loop and the transport following (transport-follower.ts); a subclass says what
 * plays in each window (`onWindow`) and what is owed when it closes (`lastMessages`).
 *
 * Lifecycle (docs/lifecycle.md): the constructor only wires; `open()` starts following the
 * transport (`start()` opens too); `close()` stops, withdraws what was handed out ahead, sends
 * what is owed (Stop, note-offs) and resolves once the output has sent it. A closed player
 * throws E_CLOSED; it closes by itself when its timeline source closes.
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import { PhaselockError } from '../core/errors.ts';
import type { SessionState } from '../link/session-state.ts';
import type { BeatWindow } from './beat-cursor.ts';
import type { ScheduledOutput } from './output-dispatcher.ts';
import type { TimelineSource } from './timeline-source.ts';
import { TransportFollower, type TransportFollowerOptions } from './transport-follower.ts';

export type TransportPlayerOptions = TransportFollowerOptions;

/** Events every player has. */
export interface TransportPlayerEvents {
  warning: [error: PhaselockError];
}

export abstract class TransportPlayer<E extends TransportPlayerEvents & { [K in keyof E]: unknown[] }> extends Emitter<E> {
  readonly quantum: number;
  readonly latencyMicros: number;
  /** The lookahead loop, output and transport following; its `origin` is the Link beat (µb) of song position 0. */
  protected readonly transport: TransportFollower;
  private opened = false;

  constructor(
    readonly source: TimelineSource,
    readonly output: ScheduledOutput,
    options: TransportPlayerOptions,
    names: { className: string; warningPrefix: string },
  ) {
    super();
    this.transport = new TransportFollower(source, output, options, {
      ...names,
      onWindow: (state, bw) => this.onWindow(state, bw),
      warningListeners: () => this.listenerCount('warning'),
      emitWarning: (e) => (this as unknown as Emitter<TransportPlayerEvents>)['emit']('warning', e),
      sourceClosed: () => void this.close(),
    });
    this.quantum = this.transport.quantum;
    this.latencyMicros = this.transport.latencyMicros;
  }

  /** Starts following the transport (the lookahead loop). Idempotent; returns this. */
  open(): this {
    this.transport.assertOpen();
    if (!this.opened) {
      this.opened = true;
      this.transport.run();
    }
    return this;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.transport.isClosed;
  }

  /** Host time (µs) up to which messages were handed to the output. */
  get horizonMicros(): number | undefined {
    return this.transport.scheduler.horizonMicros;
  }

  /**
   * Starts the transport on the next quantum boundary that can still be scheduled (opening the
   * player first). Returns the host time (µs) of the downbeat (beat 0) on the timeline; the
   * first message goes out `latencyMicros` earlier. While playing, returns the song start and
   * changes nothing. Commits to the timeline (Link peers start too with start/stop sync).
   */
  start(): number {
    this.open();
    return this.transport.start(() => this.beforeStart());
  }

  /**
   * Stops the transport where the handed-out window ends (≤ lookahead from now), or at song
   * beat `atBeat` if that is later. Returns the timeline time (µs) of the stop. No-op while stopped.
   * @example player.stop({ atBeat: 16 }); // after exactly four 4-beat bars
   */
  stop(options: { atBeat?: number } = {}): number {
    this.transport.assertOpen();
    return this.transport.stop(options);
  }

  /**
   * Stops playing; what was handed out ahead is withdrawn and what is owed (Stop, note-offs)
   * goes out now. Resolves once the output has sent it. Leaves the transport and the output
   * alone. Idempotent.
   */
  close(): Promise<void> {
    return this.transport.close((at, sendAt) => this.lastMessages(at, sendAt));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** What plays in a window (the follower already shifted the origin of a renumbered timeline). */
  protected abstract onWindow(state: SessionState, window: BeatWindow): void;

  /**
   * What is owed at close, handed out for host time `sendAtMicros`; what was handed out for
   * after `atMicros` was withdrawn. `sendAtMicros > atMicros`: the withdrawal may have come too
   * late, end what it withdrew too (a note-off for a note that never started is harmless, a
   * hanging one is not).
   */
  protected abstract lastMessages(atMicros: number, sendAtMicros: number): void;

  /** Runs just before `start()` commits a start. */
  protected beforeStart(): void {}
}
