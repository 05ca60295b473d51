/**
 * What `phaselock clock` and `phaselock seq` share at run time (composition root, L3): their
 * parsed options, opening the `--to` output and a Link peer, starting the transport, and
 * waiting for the end — `--duration`, the end of the song, a failing output, or `io.signal`
 * (SIGINT, SIGTERM, SIGHUP, the parent's death, stdout closed: src/cli/shutdown.ts), during the
 * join wait too. However it ends, the player's Stop / note-offs go out and Link says ByeBye.
 * @module
 */
import { Link } from '../node/link/link.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { openTarget, type OpenedTarget } from './midi-target.ts';

/** The options `clock` and `seq` share (src/cli/commands/midi.ts), in the units the runners use. */
export interface MidiRunConfig {
  /** `--to`: record:FILE, console, virtual:NAME, or a port name or index. */
  to: string;
  /** undefined: the session's (a new session: 120, or the file's first tempo for seq). */
  bpm: number | undefined;
  quantum: number;
  latencyMs: number;
  /** undefined: until a signal (or, for seq, the end of the song). */
  durationSeconds: number | undefined;
  /** How long to listen for the session before starting. */
  joinWaitSeconds: number;
  mainThread: boolean;
  showClock: boolean;
  /** false: stay offline (a session of one). */
  link: boolean;
  /** Interface names or IPv4 addresses; undefined = every IPv4 interface. */
  interfaces: string[] | undefined;
}

/** What `play` gets besides the Link peer and the output. */
export interface PlayContext {
  /** Aborted when the command must end: `io.signal`, or the output failed (`target.failure`). */
  readonly stop: AbortSignal;
}

/**
 * Opens `--to` (first: a bad output fails before anything is printed or joined) and a Link
 * peer at `bpm` with start/stop sync, joins the session for `joinWaitSeconds` unless offline,
 * runs `play`, and closes both however it ends. Resolves to `play`'s exit code; 0 when
 * `io.signal` ended the join wait; 1 when the output does not open or failed while playing.
 */
export async function withTargetAndLink(
  command: string,
  cfg: MidiRunConfig,
  bpm: number,
  io: CommandIo,
  play: (link: Link, target: OpenedTarget, ctx: PlayContext) => Promise<number>,
): Promise<number> {
  let target: OpenedTarget;
  try {
    target = await openTarget(cfg.to, { mainThread: cfg.mainThread, showClock: cfg.showClock, write: (l) => io.out(l), signal: io.signal });
  } catch (e) {
    if (io.signal.aborted) return 0; // a signal while the output opened (an RTP-MIDI invitation): nothing played
    const message = (e as Error).message;
    const hint = message.startsWith('no MIDI subsystem') ? ". Use '--to record:FILE' or '--to console' instead." : '';
    io.err(`phaselock ${command}: ${message}${hint}`);
    return 1;
  }
  const stop = anyOf(io.signal, target.failure);
  const link = new Link({ yieldTies: true, bpm, startStopSync: true, ...(cfg.interfaces ? { interfaces: cfg.interfaces } : {}) });
  let code = 0;
  try {
    if (cfg.link) {
      link.enable();
      await runUntil(cfg.joinWaitSeconds, stop.signal);
    }
    if (!stop.signal.aborted) code = await play(link, target, { stop: stop.signal });
  } finally {
    stop.dispose();
    // The output first (Stop / note-offs were handed to it by `play`), then ByeBye; neither
    // may keep the other from closing.
    await target.close().catch((e: unknown) => {
      io.err(`phaselock ${command}: ${(e as Error).message}`);
      code = 1;
    });
    await link.close();
  }
  const failure = target.failure?.aborted ? (target.failure.reason as Error) : undefined;
  if (failure) {
    io.err(`phaselock ${command}: ${failure.message}`);
    return 1;
  }
  return code;
}

/** A signal aborted by the first of `signals` to abort (already aborted: at once). */
function anyOf(...signals: Array<AbortSignal | undefined>): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const listening = signals.filter((s): s is AbortSignal => s !== undefined);
  const onAbort = () => {
    dispose();
    controller.abort();
  };
  const dispose = () => {
    for (const s of listening) s.removeEventListener('abort', onAbort);
  };
  for (const s of listening) s.addEventListener('abort', onAbort, { once: true });
  if (listening.some((s) => s.aborted)) onAbort();
  return { signal: controller.signal, dispose };
}

/**
 * Waits `seconds` (undefined: no limit) or until `signal` or `cancel` abort (at once if one
 * already has); leaves no timer or listener behind.
 */
export function runUntil(seconds: number | undefined, signal: AbortSignal, cancel?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || cancel?.aborted) {
      resolve();
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', done);
      cancel?.removeEventListener('abort', done);
      resolve();
    };
    if (seconds !== undefined) timer = setTimeout(done, seconds * 1000);
    signal.addEventListener('abort', done, { once: true });
    cancel?.addEventListener('abort', done, { once: true });
  });
}

/**
 * How far ahead of now (plus the output latency) a start alone puts beat 0 (µs): room for the
 * few µs until the player's first window, which starts at now. Should that window come later
 * still, the player joins late (SPP + Continue on the next 16th), never a bar later.
 */
export const START_AHEAD_MICROS = 50_000;

/** What `startPlayer` starts: a `MidiClockOut` or a `LinkSequencer`, not yet opened. */
export interface Startable {
  readonly quantum: number;
  readonly latencyMicros: number;
  open(): unknown;
  start(): number;
}

/**
 * Starts `player`'s transport, opening it, and returns the host time (µs) of beat 0. With peers
 * (or a transport already playing) this is the player's `start()`: on the next bar of the
 * shared timeline (Link's quantized launch). Alone (offline, or nobody joined) it starts now —
 * "alone, beat 0 is now", docs/cli.md — not on the next bar of its own timeline, which can be
 * a whole bar away (192 s at 20 bpm with quantum 64): the transport starts with beat 0 just
 * ahead ({@link START_AHEAD_MICROS} plus the output latency), as a start alone with
 * `setIsPlayingAndRequestBeatAtTime` would, and the player follows it like any start. Call it
 * on a player not yet opened: an open player has handed out a window up to a lookahead ahead,
 * and would join such a start late.
 */
export function startPlayer(link: Link, player: Startable): number {
  const s = link.captureAppSessionState();
  if (link.numPeers > 0 || s.isPlaying) return player.start();
  const t = link.clock.micros() + Math.max(0, player.latencyMicros) + START_AHEAD_MICROS;
  s.setIsPlaying(true, t);
  s.forceBeatAtTime(0, t, player.quantum);
  link.commitAppSessionState(s);
  player.open();
  return t;
}

/** `12.3 ms` from now until the message for grid time `gridMicros` goes out (`latencyMicros` earlier). */
export function leadText(link: Link, gridMicros: number, latencyMicros: number): string {
  return `${((gridMicros - latencyMicros - link.clock.micros()) / 1000).toFixed(1)} ms`;
}
