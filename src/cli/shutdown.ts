/**
 * How a `phaselock` process is told to stop (L3): one `AbortSignal` for every command, aborted
 * by SIGINT, SIGTERM, SIGHUP, the death of the parent process (a terminal or `npx` that went
 * away without signalling us) or stdout closed under us (`phaselock clock --to console | head`).
 *
 * Commands end on it the way they end normally — MIDI Stop and note-offs delivered, ByeBye sent,
 * terminal restored — and a long-running command then exits 0. A second signal while that
 * cleanup runs forces the exit at once (128 + the signal's number), as shells expect.
 * @module
 */
import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

/** Why the process is stopping. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'parent-exited' | 'stdout-closed';

export interface ProcessWatch {
  /** Aborted once, with the `StopReason` as `signal.reason`. */
  readonly signal: AbortSignal;
  /** Removes every handler and timer. */
  dispose(): void;
}

export interface WatchOptions {
  /** How often to look at the parent pid (ms). */
  parentPollMs?: number;
  /** Called on a second signal, before the forced exit (restore the terminal here). */
  onForce?: () => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Watches this process for the reasons to stop. Writes to a closed stdout are dropped from then
 * on (the EPIPE is handled here, never thrown).
 * @example
 * const watch = watchProcess();
 * try { await runCommand({ ...stdio, signal: watch.signal }); } finally { watch.dispose(); }
 */
export function watchProcess(options: WatchOptions = {}): ProcessWatch {
  const controller = new AbortController();
  const stop = (reason: StopReason) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onSignal = (name: (typeof SIGNALS)[number]) => {
    if (!controller.signal.aborted) {
      stop(name);
      return;
    }
    // Second signal: the user insists. Leave now, terminal first, by the signal's own default
    // action (status 128 + n to a shell). Not process.exit(): on a hung-up terminal (a hangup
    // can bring SIGHUP twice) Node's exit aborts restoring the tty modes (SIGABRT, a core dump).
    options.onForce?.();
    for (const [n, h] of handlers) process.off(n, h);
    process.kill(process.pid, name);
  };
  const handlers = SIGNALS.map((name) => [name, () => onSignal(name)] as const);
  for (const [name, h] of handlers) process.on(name, h);

  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') process.stderr.write(`phaselock: stdout: ${err.message}\n`);
    stop('stdout-closed');
  };
  process.stdout.on('error', onStdoutError);
  const onStderrError = () => undefined; // a closed stderr has nobody left to tell
  process.stderr.on('error', onStderrError);

  // The parent died (its terminal closed, `npx` killed with SIGTERM, which does not forward
  // it): we are re-parented, usually to init or a subreaper.
  const parent = process.ppid;
  const poll = parent > 1
    ? setInterval(() => {
      if (process.ppid !== parent) stop('parent-exited');
    }, options.parentPollMs ?? 1000)
    : undefined;
  poll?.unref();

  return {
    signal: controller.signal,
    dispose() {
      for (const [name, h] of handlers) process.off(name, h);
      if (poll) clearInterval(poll);
      // Keep a listener: a write still in flight may fail with EPIPE after we are done.
      process.stdout.off('error', onStdoutError).on('error', () => undefined);
      process.stderr.off('error', onStderrError).on('error', () => undefined);
    },
  };
}

/**
 * Lines to stdout/stderr that stop being written once the stream is closed or broken (so a
 * `| head` never raises EPIPE out of a `write`).
 */
export function safeWrite(stream: NodeJS.WriteStream, line: string): void {
  if (stream.destroyed || stream.writableEnded) return;
  try {
    stream.write(`${line}\n`);
  } catch {
    // a synchronous EPIPE on some platforms: the watch above ends the command
  }
}

/** Whether stdin, stdout or stderr was a terminal when the process started (noted at load). */
const STARTED_ON_TTY = [0, 1, 2].some((fd) => isatty(fd));

/**
 * True when the process started on a terminal and has lost it (hung up: its controlling
 * terminal can no longer be opened; `isatty` itself turns false then).
 */
export function terminalHungUp(): boolean {
  if (!STARTED_ON_TTY) return false;
  try {
    closeSync(openSync('/dev/tty', 'r'));
    return false;
  } catch {
    return true;
  }
}
