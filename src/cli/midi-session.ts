/**
 * What `phaselock clock` and `phaselock seq` share at run time (composition root, L3): their
 * parsed options, opening the `--to` output and a Link peer, and waiting for the end.
 * @module
 */
import { Link } from '../node/link/link.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { openTarget, type OpenedTarget } from './midi-target.ts';

/** The options `clock` and `seq` share (src/cli/commands/midi.ts), in the units the runners use. */
export interface MidiRunConfig {
  /** `--to`: record:FILE, console, or a port name or index. */
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

/**
 * Opens `--to` and a Link peer at `bpm` with start/stop sync (joining the session for
 * `joinWaitSeconds` unless offline), runs `play`, and closes both however it ends. Resolves
 * to `play`'s exit code, or 1 when the output does not open.
 */
export async function withTargetAndLink(
  command: string,
  cfg: MidiRunConfig,
  bpm: number,
  io: CommandIo,
  play: (link: Link, target: OpenedTarget) => Promise<number>,
): Promise<number> {
  let target: OpenedTarget;
  try {
    target = await openTarget(cfg.to, { mainThread: cfg.mainThread, showClock: cfg.showClock, write: (l) => io.out(l) });
  } catch (e) {
    io.err(`phaselock ${command}: ${(e as Error).message}`);
    return 1;
  }
  const link = new Link({ yieldTies: true, bpm, startStopSync: true, ...(cfg.interfaces ? { interfaces: cfg.interfaces } : {}) });
  try {
    if (cfg.link) {
      link.enable();
      await new Promise((r) => setTimeout(r, cfg.joinWaitSeconds * 1000));
    }
    return await play(link, target);
  } finally {
    await target.close();
    await link.close();
  }
}

/**
 * Waits `seconds` (undefined: no limit) or until the signal (default: SIGINT/SIGTERM) or
 * `cancel`; leaves no timer or handler.
 */
export function runUntil(seconds: number | undefined, signal?: AbortSignal, cancel?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      cancel?.removeEventListener('abort', done);
      resolve();
    };
    if (seconds !== undefined) timer = setTimeout(done, seconds * 1000);
    cancel?.addEventListener('abort', done, { once: true });
    if (signal) signal.addEventListener('abort', done, { once: true });
    else {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    }
  });
}
