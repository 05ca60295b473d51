/**
 * One Carabiner client connection (L1): frames the bytes it receives, runs each command
 * against an injected Link-like object and produces the response lines, including the
 * unsolicited `status` lines the README promises (on connect; on tempo, peer-count and —
 * with start/stop sync — transport changes). No I/O of its own: the server
 * (`src/carabiner/server.ts`) hands it what the client sent and a `send` callback.
 *
 * Lifecycle (DESIGN §5): the constructor only wires; `open()` subscribes to the link and sends
 * the greeting; `close()` sends a status still owed (a change not yet reported) and
 * unsubscribes. A closed session throws E_CLOSED.
 *
 * Times on this interface are the Link object's host clock (`link.clock`), which for
 * phaselock's `Link` is CLOCK_MONOTONIC in µs; see docs/cli.md "Carabiner compatibility".
 * @module
 */
import { PhaselockError, toError } from '../core/errors.ts';
import type { TimerHandle, Timers } from '../core/runtime.ts';
import type { NetworkTimelineSource } from '../sched/timeline-source.ts';
import type { SessionState } from '../link/session-state.ts';
import { LineFramer, type LineFrame } from '../core/line-framer.ts';
import {
  CARABINER_COMPAT_VERSION, MAX_LINE_LENGTH, STATUS_QUANTUM, formatBeatAtTime, formatLineTooLong,
  formatPhaseAtTime, formatStatus, formatTimeAtBeat, formatVersion, parseCommand, type Command,
} from './protocol.ts';

/** What a session serves: a timeline shared over a network (phaselock's `Link`). */
export type CarabinerLink = NetworkTimelineSource;

export interface CarabinerSessionOptions {
  link: CarabinerLink;
  /** For the quiet-pause flush of a command sent without newline. */
  timers: Timers;
  /** Receives response text: one or more whole lines, each ending with `\n`. */
  send(text: string): void;
  /** Answer to `version` (default {@link CARABINER_COMPAT_VERSION}). */
  version?: string;
  maxLineLength?: number;
  /**
   * A partial line (no newline yet) is executed after this quiet time, for clients older than
   * Carabiner 1.1.0 that sent one command per packet without newline. Default 200 ms; 0 = never.
   */
  idleFlushMicros?: number;
  /**
   * A command run from a timer (the quiet-pause flush) failed unexpectedly; without this
   * callback the error is thrown from the timer. Failures inside `receive` are thrown to its caller.
   */
  onError?(err: Error): void;
}

/** Marker: the command is answered with a fresh `status` line. */
const STATUS = Symbol('status');
type Outcome = string | typeof STATUS | undefined;

export class CarabinerSession {
  private readonly link: CarabinerLink;
  private readonly framer: LineFramer;
  private readonly idleFlushMicros: number;
  private idleTimer: TimerHandle | undefined;
  /** A status-worthy change happened and its status line is not sent yet. */
  private dirty = false;
  private flushQueued = false;
  private inCommand = false;
  private opened = false;
  private closed = false;
  private readonly onChange = (): void => this.markDirty();
  private readonly onPlaying = (): void => {
    if (this.link.startStopSyncEnabled) this.markDirty();
  };

  /** Wires only: nothing is sent before `open()`. */
  constructor(private readonly options: CarabinerSessionOptions) {
    this.link = options.link;
    this.framer = new LineFramer(options.maxLineLength ?? MAX_LINE_LENGTH);
    this.idleFlushMicros = options.idleFlushMicros ?? 200_000;
  }

  /**
   * Subscribes to the link and sends the greeting `status` line (README §status: "sent on
   * connect"). Idempotent; returns this. Throws E_CLOSED once closed.
   */
  open(): this {
    this.assertOpen('open');
    if (this.opened) return this;
    this.opened = true;
    this.link.on('peers', this.onChange);
    this.link.on('tempo', this.onChange);
    this.link.on('playing', this.onPlaying);
    this.sendStatus();
    return this;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Feeds what the client sent (text, or bytes as UTF-8); runs every complete command in order.
   * Throws E_STATE before `open()` (the greeting must come first), E_CLOSED once closed.
   */
  receive(chunk: string | Uint8Array): void {
    this.assertOpen('receive');
    if (!this.opened) throw new PhaselockError('E_STATE', 'CarabinerSession.receive: open() the session first');
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    for (const frame of this.framer.push(chunk)) {
      this.handle(frame);
      if (this.closed) return;
    }
    const partial = this.framer.pending.length > 0 || this.framer.isDiscarding;
    if (partial && this.idleFlushMicros > 0) {
      this.idleTimer = this.options.timers.setTimeout(() => this.idleFlush(), this.idleFlushMicros);
    }
  }

  /**
   * Ends the session: the client's read side ended, its connection is gone, or the server is
   * closing. A partial line is dropped, never executed (half a `bpm 15` is not a request); a
   * status still owed (a change whose coalesced line has not gone out) is sent first, so a
   * client never misses the last state. `send` is not called after this. Resolves at once:
   * the session hands its lines to `send` synchronously, the caller owns the connection and
   * flushes it. Idempotent.
   */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.dirty && this.opened) this.sendStatus();
    this.closed = true;
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    this.framer.reset();
    this.link.off('peers', this.onChange);
    this.link.off('tempo', this.onChange);
    this.link.off('playing', this.onPlaying);
    return Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** The quiet pause passed: run the partial line. A failure goes to `onError` (we are in a timer). */
  private idleFlush(): void {
    this.idleTimer = undefined;
    const frame = this.framer.flush();
    if (!frame || this.closed) return;
    if (!this.options.onError) {
      this.handle(frame);
      return;
    }
    try {
      this.handle(frame);
    } catch (err) {
      this.options.onError(toError(err));
    }
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new PhaselockError('E_CLOSED', `CarabinerSession.${what}: the session was closed`);
  }

  private handle(frame: LineFrame): void {
    if (frame.kind === 'too-long') {
      this.sendLine(formatLineTooLong(this.framer.maxLength));
      return;
    }
    const command = parseCommand(frame.text);
    if (command === undefined) return;
    let outcome: Outcome;
    this.inCommand = true;
    try {
      outcome = command.cmd === 'error' ? command.response : this.run(command);
    } finally {
      this.inCommand = false;
    }
    if (outcome === STATUS || this.dirty) this.sendStatus();
    if (typeof outcome === 'string') this.sendLine(outcome);
  }

  private run(c: Command): Outcome {
    const link = this.link;
    switch (c.cmd) {
      case 'status':
        return STATUS;
      case 'version':
        return formatVersion(this.options.version ?? CARABINER_COMPAT_VERSION);
      case 'bpm':
        // README §bpm: a change answers with `status` (through the tempo event), no change is silent.
        this.update((s) => s.setTempo(c.bpm, link.clock.micros()));
        return undefined;
      case 'beat-at-time':
        return this.guard('bad-time', c.timeMicros, () =>
          formatBeatAtTime(c.timeMicros, c.quantum, this.state().beatAtTime(c.timeMicros, c.quantum)));
      case 'phase-at-time':
        return this.guard('bad-time', c.timeMicros, () =>
          formatPhaseAtTime(c.timeMicros, c.quantum, this.state().phaseAtTime(c.timeMicros, c.quantum)));
      case 'time-at-beat':
        return this.guard('bad-beat', c.beat, () =>
          formatTimeAtBeat(c.beat, c.quantum, this.state().timeAtBeat(c.beat, c.quantum)));
      case 'force-beat-at-time':
        return this.guard('bad-time', c.timeMicros, () =>
          this.update((s) => s.forceBeatAtTime(c.beat, c.timeMicros, c.quantum)));
      case 'request-beat-at-time':
        return this.guard('bad-time', c.timeMicros, () =>
          this.update((s) => s.requestBeatAtTime(c.beat, c.timeMicros, c.quantum)));
      case 'enable-start-stop-sync':
      case 'disable-start-stop-sync':
        link.startStopSyncEnabled = c.cmd === 'enable-start-stop-sync';
        return STATUS;
      case 'start-playing':
      case 'stop-playing':
        return this.guard('bad-time', c.timeMicros, () =>
          this.update((s) => s.setIsPlaying(c.cmd === 'start-playing', c.timeMicros)));
    }
  }

  private state(): SessionState {
    return this.link.captureAppSessionState();
  }

  /** Capture, change, commit; answers `status`. */
  private update(change: (s: SessionState) => void): typeof STATUS {
    const s = this.link.captureAppSessionState();
    change(s);
    this.link.commitAppSessionState(s);
    return STATUS;
  }

  /** Runs `fn`; a RangeError from the timeline maths (an absurd time or beat) becomes an error word. */
  private guard(word: string, value: number, fn: () => Outcome): Outcome {
    try {
      return fn();
    } catch (err) {
      if (err instanceof RangeError || err instanceof TypeError) return `${word} ${value}`;
      throw err;
    }
  }

  private markDirty(): void {
    if (this.closed) return;
    this.dirty = true;
    // Inside one of our own commands the status goes out right after it (see handle).
    if (this.inCommand || this.flushQueued) return;
    this.flushQueued = true;
    // Coalesce: a commit may emit tempo and playing together; clients get one status line.
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.dirty && !this.closed) this.sendStatus();
    });
  }

  private sendStatus(): void {
    this.dirty = false;
    const link = this.link;
    const s = link.captureAppSessionState();
    const now = link.clock.micros();
    this.sendLine(formatStatus({
      peers: link.numPeers,
      bpm: s.tempo,
      startMicros: s.timeAtBeat(0, STATUS_QUANTUM),
      beat: s.beatAtTime(now, STATUS_QUANTUM),
      ...(link.startStopSyncEnabled ? { playing: s.isPlaying } : {}),
    }));
  }

  private sendLine(line: string): void {
    if (!this.closed) this.options.send(`${line}\n`);
  }
}
