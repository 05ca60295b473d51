/**
 * Starting mpv for show control (L2): `mpv --idle --pause --input-ipc-server=PATH` (fullscreen
 * with a black window while idle by default), resolved once its IPC socket accepts
 * connections; `close()` ends it (SIGTERM, SIGKILL after a grace period) and is also done when
 * our process exits, so a crashed show leaves no mpv behind. Attach an `MpvClient`
 * (`phaselock/show`) to `socketPath`.
 *
 * Errors: E_UNAVAILABLE when mpv is not installed (or cannot run) or exits before its socket
 * accepts (with mpv's last lines), E_TIMEOUT when the socket does not accept within
 * `startTimeoutMicros`, E_STATE when something already listens at `socketPath` (an mpv
 * running there: attach to it instead — a second mpv would take the path over).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PhaselockError } from '../../core/errors.ts';

export interface SpawnMpvOptions {
  /** Where mpv's IPC socket goes (default: `mpv.sock` in a new private temp dir, removed on close). */
  socketPath?: string;
  /** The mpv executable (default `mpv`, from PATH). */
  mpvPath?: string;
  /** Fullscreen, with a black window while idle (`--fullscreen --force-window=yes`; default true). */
  fullscreen?: boolean;
  /**
   * More mpv arguments, after ours (so an option here overrides ours): `--screen=1`,
   * `--vo=null`, `--no-config`, a file to load, …
   */
  args?: readonly string[];
  /** Give up when the socket does not accept within this long (default 10 s). */
  startTimeoutMicros?: number;
  /** Time between SIGTERM and SIGKILL on close (default 2 s). */
  killTimeoutMicros?: number;
  /** mpv's terminal output, line by line (stdout and stderr); the last lines are kept either way. */
  onOutput?(line: string): void;
  env?: NodeJS.ProcessEnv;
}

export interface MpvExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const OUTPUT_LINES = 40;
const POLL_MS = 20;

/** A running mpv started by `spawnMpv`. */
export class MpvProcess implements AsyncDisposable {
  /** Resolves when mpv has exited (for whatever reason). */
  readonly exited: Promise<MpvExit>;
  private exit: MpvExit | undefined;
  private readonly tail: string[] = [];
  private closing: Promise<MpvExit> | undefined;
  private readonly onProcessExit = (): void => void this.child.kill('SIGTERM');

  /** @internal use `spawnMpv`. */
  constructor(
    private readonly child: ChildProcess,
    readonly socketPath: string,
    private readonly ownDir: string | undefined,
    private readonly killTimeoutMicros: number,
    onOutput: ((line: string) => void) | undefined,
  ) {
    this.exited = new Promise((resolve) => {
      const ended = (exit: MpvExit) => {
        if (this.exit) return;
        this.exit = exit;
        process.off('exit', this.onProcessExit);
        resolve(exit);
      };
      child.once('exit', (code, signal) => ended({ code, signal }));
      // A process that never started (no such executable) has no exit event.
      child.on('error', () => { if (child.pid === undefined) ended({ code: null, signal: null }); });
    });
    process.on('exit', this.onProcessExit);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > OUTPUT_LINES) this.tail.shift();
        try {
          onOutput?.(line);
        } catch {
          // The owner's logger failing must not take mpv's pipes down.
        }
      });
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last lines mpv printed (at most 40). */
  get output(): readonly string[] {
    return [...this.tail];
  }

  /** Ends mpv (SIGTERM; SIGKILL after `killTimeoutMicros`) and removes our temp dir. Idempotent. */
  close(): Promise<MpvExit> {
    this.closing ??= (async () => {
      if (this.exit === undefined) {
        this.child.kill('SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), this.killTimeoutMicros / 1000);
        await this.exited;
        clearTimeout(timer);
      }
      if (this.ownDir) await rm(this.ownDir, { recursive: true, force: true });
      return this.exit!;
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts mpv with its IPC socket; resolves once the socket accepts connections.
 * @example
 * await using mpv = await spawnMpv({ socketPath: '/run/show/mpv.sock', args: ['--screen=1'] });
 * const client = await new MpvClient(nodeRuntime(), { socket: mpv.socketPath }).open();
 */
export async function spawnMpv(options: SpawnMpvOptions = {}): Promise<MpvProcess> {
  const startTimeout = positive('startTimeoutMicros', options.startTimeoutMicros ?? 10_000_000);
  const killTimeout = positive('killTimeoutMicros', options.killTimeoutMicros ?? 2_000_000);
  const args = options.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new TypeError('spawnMpv: args must be an array of strings');
  let socketPath = options.socketPath;
  let ownDir: string | undefined;
  if (socketPath === undefined) {
    ownDir = await mkdtemp(path.join(tmpdir(), 'phaselock-mpv-'));
    socketPath = path.join(ownDir, 'mpv.sock');
  } else {
    await checkSocketPath(socketPath);
  }
  const mpvArgs = [
    '--idle=yes', '--pause', `--input-ipc-server=${socketPath}`, '--no-input-terminal',
    ...(options.fullscreen ?? true ? ['--fullscreen', '--force-window=yes'] : []),
    ...args,
  ];
  const child = spawn(options.mpvPath ?? 'mpv', mpvArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  const proc = new MpvProcess(child, socketPath, ownDir, killTimeout, options.onOutput);
  try {
    await whenAccepting(child, proc, socketPath, startTimeout, options.mpvPath ?? 'mpv');
    return proc;
  } catch (err) {
    await proc.close();
    throw err;
  }
}

/** Whether something accepts connections at the unix socket `socketPath` now. */
export function mpvSocketAccepts(socketPath: string, timeoutMicros = 1_000_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMicros / 1000);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function checkSocketPath(socketPath: string): Promise<void> {
  const dir = path.dirname(socketPath);
  const isDir = await new Promise<boolean>((resolve) => stat(dir, (err, s) => resolve(!err && s.isDirectory())));
  if (!isDir) throw new PhaselockError('E_UNAVAILABLE', `spawnMpv: no directory ${dir} for the socket ${socketPath}`);
  if (await mpvSocketAccepts(socketPath)) {
    throw new PhaselockError('E_STATE', `spawnMpv: something already listens at ${socketPath} (an mpv? attach to it instead)`);
  }
}

/** Resolves once the socket accepts; rejects when mpv cannot start, exits first, or takes too long. */
function whenAccepting(child: ChildProcess, proc: MpvProcess, socketPath: string, timeoutMicros: number, mpvPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) reject(err);
      else resolve();
    };
    const deadline = setTimeout(() => finish(new PhaselockError('E_TIMEOUT',
      `mpv did not open its IPC socket ${socketPath} within ${timeoutMicros / 1e6} s${lastLines(proc)}`)), timeoutMicros / 1000);
    child.once('error', (err: NodeJS.ErrnoException) => finish(new PhaselockError('E_UNAVAILABLE', err.code === 'ENOENT'
      ? `mpv not found (${mpvPath}): install it (Debian/Ubuntu: apt install mpv) or pass its path`
      : `cannot run mpv (${mpvPath}): ${err.message}`, { cause: err })));
    void proc.exited.then((exit) => {
      // Let the pipes deliver mpv's last words first.
      setTimeout(() => finish(new PhaselockError('E_UNAVAILABLE',
        `mpv exited (${exit.signal ?? `code ${exit.code}`}) before its IPC socket accepted${lastLines(proc)}`)), POLL_MS);
    });
    const poll = async () => {
      while (!settled) {
        if (await mpvSocketAccepts(socketPath, 500_000)) return finish();
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    child.once('spawn', () => void poll());
  });
}

function lastLines(proc: MpvProcess): string {
  const lines = proc.output.slice(-5);
  return lines.length ? `: ${lines.join(' | ')}` : '';
}

function positive(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a finite number > 0 µs, got ${v}`);
  return v;
}
