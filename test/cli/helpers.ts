/**
 * Helpers for the CLI end-to-end tests: running `bin/phaselock.mjs` (from the source tree),
 * inside a network namespace whenever it enables Link; a tmux driver; a line reader.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor, type Netns } from '../interop/harness.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'phaselock.mjs');
/** Always test the source tree, even if a (possibly stale) dist/ exists. */
export const ENV = { ...process.env, PHASELOCK_FROM_SOURCE: '1' };

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function collect(child: ChildProcess, timeoutMs: number): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`phaselock did not finish within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs phaselock outside any namespace: only for commands that never enable Link (bad arguments, help). */
export function runOffline(args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  return collect(child, timeoutMs);
}

/** Runs phaselock to completion inside `ns`. */
export function runIn(ns: Netns, args: readonly string[], timeoutMs = 10_000): Promise<RunResult> {
  const child = ns.exec(process.execPath, [BIN, ...args], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, timeoutMs);
}

/** Collects a child's stdout lines as they come. */
export class Lines {
  readonly lines: string[] = [];
  constructor(readable: NodeJS.ReadableStream) {
    createInterface({ input: readable }).on('line', (l) => this.lines.push(l));
  }

  /** The first line at index >= `from` matching `pred`. */
  wait(pred: (line: string) => boolean, what: string, timeoutMs = 5000, from = 0): Promise<string> {
    return waitFor(() => this.lines.slice(from).find(pred), { timeoutMs, what: `${what} (lines so far: ${this.lines.slice(-5).join(' | ')})` });
  }
}

/** Resolves with the exit code (or signal name) once `child` has exited. */
export function exited(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? 'unknown');
    });
  });
}

function tmuxRun(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('tmux', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`tmux ${args.join(' ')}: ${err.trim() || `exit ${code}`}`))));
  });
}

/**
 * A tmux server on a private socket whose one pane runs `command` (a shell command line).
 * The server is started through `ip netns exec`, so the pane's processes live in the
 * namespace; the later tmux clients (capture-pane, send-keys) only talk to its socket.
 */
export class Tmux {
  private static counter = 0;
  private constructor(readonly socket: string) {}

  static async start(ns: Netns, command: string, width = 100, height = 30): Promise<Tmux> {
    const t = new Tmux(`phaselock-e2e-${process.pid}-${Tmux.counter++}`);
    const child = ns.exec('tmux', ['-L', t.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'pl',
      '-x', String(width), '-y', String(height), command], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child, 10_000);
    if (r.code !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
    return t;
  }

  /** The visible screen as text. */
  capture(): Promise<string> {
    return tmuxRun(['-L', this.socket, 'capture-pane', '-p', '-t', 'pl']);
  }

  /** Sends one key (tmux key name, e.g. `e`, `Space`, `C-c`). */
  async key(name: string): Promise<void> {
    await tmuxRun(['-L', this.socket, 'send-keys', '-t', 'pl', name]);
  }

  /** A tmux format of the pane, e.g. `#{alternate_on}`. */
  async format(fmt: string): Promise<string> {
    return (await tmuxRun(['-L', this.socket, 'display-message', '-p', '-t', 'pl', fmt])).trim();
  }

  /** Polls the screen until `re` matches; returns the screen. */
  waitForScreen(re: RegExp, what: string, timeoutMs = 5000): Promise<string> {
    let last = '';
    return waitFor(async () => {
      last = await this.capture();
      return re.test(last) ? last : undefined;
    }, { timeoutMs, what: `${what}` }).catch((err: Error) => {
      throw new Error(`${err.message}; screen:\n${last}`);
    });
  }

  /** Stops the server and removes its socket file (tmux leaves it behind when killed). */
  async kill(): Promise<void> {
    const socketPath = (await this.format('#{socket_path}').catch(() => '')).trim();
    await tmuxRun(['-L', this.socket, 'kill-server']).catch(() => undefined);
    if (socketPath.includes(this.socket)) await rm(socketPath, { force: true });
  }
}

/** Shell-quotes one word for a tmux command line. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Whether `pid` still runs (a zombie has exited: only its parent's wait is missing). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
