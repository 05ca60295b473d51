/**
 * Interop test harness: run real Ableton Link peers (and, later, phaselock's own driver)
 * inside throw-away network namespaces and talk to them over a JSON-line protocol.
 *
 * Protocol (spoken by test/interop/ableton-peer.cpp and any other driver):
 * - one command per stdin line, exactly one JSON reply line per command, in order;
 * - unsolicited lines of the form {"event": ..., ...} may appear at any time;
 * - all times are CLOCK_MONOTONIC microseconds, i.e. the clock of {@link monoMicros}.
 *
 * Network safety: a Link peer must never be enabled outside a namespace created here,
 * so every peer process is started through {@link Netns.exec}.
 * @module
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { after, before } from 'node:test';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ABLETON_PEER_SOURCE = path.join(HERE, 'ableton-peer.cpp');
export const BUILD_DIR = path.join(HERE, 'build');
export const ABLETON_PEER_BINARY = path.join(BUILD_DIR, 'ableton-peer');
const LINK_HEADER = '/usr/include/ableton/Link.hpp';

/**
 * g++ flags for the header-only Link library as packaged by Debian (ableton-link-dev):
 * headers and standalone asio (libasio-dev) live in /usr/include, so no -I is needed. The
 * defines mirror the package's AbletonLinkConfig.cmake for Linux.
 */
export const GXX_ARGS = [
  '-std=c++14', '-O2',
  '-DLINK_PLATFORM_UNIX=1', '-DLINK_PLATFORM_LINUX=1',
];

/** CLOCK_MONOTONIC in microseconds: the time base of the line protocol. */
export function monoMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------------------
// Running short commands

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion. Rejects only if it cannot be started (e.g. ENOENT). */
function run(cmd: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function describeRun(cmd: string, args: readonly string[], r: RunResult): string {
  const status = r.signal ? `signal ${r.signal}` : `exit code ${r.code}`;
  return `\`${[cmd, ...args].join(' ')}\` failed with ${status}: ${r.stderr.trim() || r.stdout.trim()}`;
}

/** Runs a command and throws a descriptive Error unless it exits 0. */
async function runChecked(cmd: string, args: readonly string[]): Promise<RunResult> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(describeRun(cmd, args, r));
  return r;
}

// ------------------------------------------------------------------------------------------
// Building the Ableton peer

async function mtimeMs(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function compileAbletonPeer(): Promise<void> {
  try {
    await access(LINK_HEADER);
  } catch {
    throw new Error(`${LINK_HEADER} not found: the interop tests need the Ableton Link headers ` +
      '(apt-get install ableton-link-dev)');
  }
  await mkdir(BUILD_DIR, { recursive: true });
  // Compile to a private name and rename: concurrent test processes never see half a binary.
  const tmp = `${ABLETON_PEER_BINARY}.${process.pid}.tmp`;
  const args = [...GXX_ARGS, '-o', tmp, ABLETON_PEER_SOURCE, '-lpthread'];
  const r = await run('g++', args).catch((err: Error) => {
    throw new Error(`cannot run g++ to build the Ableton peer: ${err.message}`);
  });
  if (r.code !== 0) {
    await rm(tmp, { force: true });
    throw new Error(`building the Ableton peer failed:\n${describeRun('g++', args, r)}`);
  }
  await rename(tmp, ABLETON_PEER_BINARY);
}

let building: Promise<string> | undefined;

/**
 * Compiles test/interop/ableton-peer.cpp into test/interop/build/ableton-peer, unless the
 * binary is already newer than the source. Returns the binary's path.
 */
export function buildAbletonPeer(): Promise<string> {
  building ??= (async () => {
    const src = await mtimeMs(ABLETON_PEER_SOURCE);
    const bin = await mtimeMs(ABLETON_PEER_BINARY);
    if (src === undefined) throw new Error(`missing ${ABLETON_PEER_SOURCE}`);
    if (bin === undefined || bin < src) await compileAbletonPeer();
    return ABLETON_PEER_BINARY;
  })();
  // A failed build must not be cached: the next caller retries (e.g. after a fix).
  building.catch(() => (building = undefined));
  return building;
}

// ------------------------------------------------------------------------------------------
// Network namespaces

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Whether a pid from a namespace name still runs (to recognise leftovers of dead runs). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A private network namespace with only `lo` up. Link's multicast discovery works on
 * loopback inside it, while nothing a peer sends can leave the machine or disturb real
 * Link sessions on the host network.
 */
export class Netns implements AsyncDisposable {
  private static counter = 0;
  private readonly children = new Set<ChildProcess>();
  private closing: Promise<void> | undefined;

  private constructor(readonly name: string) {}

  static async create(prefix = 'pl'): Promise<Netns> {
    await Netns.removeStale(prefix);
    const ns = new Netns(`${prefix}-${process.pid}-${Netns.counter++}`);
    try {
      await runChecked('ip', ['netns', 'add', ns.name]);
    } catch (err) {
      throw Netns.loudError(err);
    }
    try {
      await runChecked('ip', ['netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up']);
    } catch (err) {
      await run('ip', ['netns', 'del', ns.name]).catch(() => undefined);
      throw Netns.loudError(err);
    }
    return ns;
  }

  private static loudError(err: unknown): Error {
    const detail = err instanceof Error ? err.message : String(err);
    return new Error(`interop needs root + iproute2 to create a network namespace: ${detail}`);
  }

  /** Deletes namespaces named `${prefix}-<pid>-<n>` whose creating process is gone. */
  private static async removeStale(prefix: string): Promise<void> {
    const list = await run('ip', ['netns', 'list']).catch(() => undefined);
    if (!list || list.code !== 0) return; // create() will report the real problem
    const pattern = new RegExp(`^${prefix.replace(/\W/g, '\\$&')}-(\\d+)-\\d+$`);
    for (const line of list.stdout.split('\n')) {
      const name = line.split(' ')[0] ?? '';
      const pid = pattern.exec(name)?.[1];
      if (pid !== undefined && !pidAlive(Number(pid))) {
        await Netns.killAllIn(name);
        await run('ip', ['netns', 'del', name]);
      }
    }
  }

  /** SIGKILLs every process still living in the namespace (ours, by construction). */
  private static async killAllIn(name: string): Promise<void> {
    const r = await run('ip', ['netns', 'pids', name]).catch(() => undefined);
    for (const pid of r?.stdout.split(/\s+/).filter(Boolean) ?? []) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /**
   * Spawns `cmd args` inside the namespace. `ip netns exec` execs the command directly, so
   * the returned ChildProcess's pid is the command itself and signals reach it.
   */
  exec(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    if (this.closing) throw new Error(`netns ${this.name} is closed`);
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  /** Runs `ip args` inside the namespace; resolves with its stdout, throws with its stderr unless it succeeds. */
  async ip(...args: string[]): Promise<string> {
    const child = this.exec('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (err += s));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`ip ${args.join(' ')} in ${this.name}: ${err.trim()}`);
    return out;
  }

  /**
   * Stops every process spawned here (SIGTERM, then SIGKILL after `graceMs`), kills any
   * stragglers still inside the namespace, and deletes it. Idempotent.
   */
  close(graceMs = 1000): Promise<void> {
    this.closing ??= this.doClose(graceMs);
    return this.closing;
  }

  private async doClose(graceMs: number): Promise<void> {
    const children = [...this.children];
    for (const child of children) child.kill('SIGTERM');
    const exited = await Promise.all(children.map((c) => waitForExit(c, graceMs)));
    children.forEach((child, i) => {
      if (!exited[i]) child.kill('SIGKILL');
    });
    await Promise.all(children.map((c) => waitForExit(c, graceMs)));
    await Netns.killAllIn(this.name);
    await runChecked('ip', ['netns', 'del', this.name]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

// ------------------------------------------------------------------------------------------
// Line-protocol peers

/** A reply line: `{"ok":true,...}` or `{"ok":false,"error":"..."}`. */
export interface Reply {
  ok: boolean;
  error?: string;
  [key: string]: any;
}

/** An unsolicited event line, stamped with {@link monoMicros} when it was read. */
export interface PeerEvent {
  event: string;
  receivedAt: number;
  [key: string]: any;
}

/** The reply of `status [t]`. */
export interface Status extends Reply {
  t: number;
  enabled: boolean;
  numPeers: number;
  tempo: number;
  isPlaying: boolean;
  beat: number;
  phase: number;
  quantum: number;
  timeForIsPlaying: number;
}

interface Pending {
  line: string;
  resolve: (reply: Reply) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  /** Timed out: its late reply must still be consumed so later replies stay in order. */
  abandoned: boolean;
}

interface EventWaiter {
  pred: (e: PeerEvent) => boolean;
  resolve: (e: PeerEvent) => void;
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Names the condition in the timeout error. */
  what?: string;
}

/**
 * Polls `probe` until it returns something other than undefined/false/null and returns
 * that value; throws after `timeoutMs` naming the condition and the last value seen.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeoutMs = 3000, intervalMs = 50, what = 'condition' }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(intervalMs);
  }
}

/**
 * Client side of the JSON-line protocol over any child process (the Ableton peer today,
 * phaselock's own driver later): replies are matched to requests in order, event lines are
 * collected in {@link events}, and stderr is kept for error messages.
 */
export class LinePeer {
  /** Every event line received so far, in arrival order. */
  readonly events: PeerEvent[] = [];
  /** Lines that were neither JSON objects nor expected replies (protocol noise). */
  readonly strayLines: string[] = [];
  private readonly pending: Pending[] = [];
  private readonly eventWaiters = new Set<EventWaiter>();
  private stderrText = '';
  private exitDescription: string | undefined;
  private readonly exited: Promise<void>;

  constructor(readonly proc: ChildProcess, readonly label = 'peer') {
    if (!proc.stdin || !proc.stdout || !proc.stderr) {
      throw new Error(`${label}: LinePeer needs a process spawned with stdio 'pipe'`);
    }
    proc.stdin.on('error', () => undefined); // EPIPE after exit surfaces via 'exit' instead
    proc.stderr.setEncoding('utf8').on('data', (s: string) => this.appendStderr(s));
    createInterface({ input: proc.stdout }).on('line', (line) => this.onLine(line));
    this.exited = new Promise((resolve) => {
      proc.once('error', (err) => this.onExit(`failed to start: ${err.message}`, resolve));
      // 'close' (not 'exit') so every stdout line has been read before pending requests fail.
      proc.once('close', (code, signal) =>
        this.onExit(signal ? `killed by ${signal}` : `exited with code ${code}`, resolve));
    });
  }

  /** Wraps `proc` and waits for its `{"event":"ready"}` line. */
  static async start(proc: ChildProcess, label = 'peer', readyTimeoutMs = 5000): Promise<LinePeer> {
    const peer = new LinePeer(proc, label);
    try {
      await peer.waitForEvent((e) => e.event === 'ready', readyTimeoutMs);
    } catch (err) {
      peer.kill('SIGKILL');
      throw err;
    }
    return peer;
  }

  /** False once the process has exited (its stdout may still be draining). */
  get running(): boolean {
    return this.exitDescription === undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The tail of the process's stderr, for diagnostics. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Sends one command line and resolves with its reply, whatever its `ok`. */
  request(line: string, timeoutMs = 3000): Promise<Reply> {
    if (/[\r\n]/.test(line)) return Promise.reject(new Error(`${this.label}: command contains a newline`));
    if (!this.running) return Promise.reject(this.error(`cannot send '${line}'`));
    return new Promise<Reply>((resolve, reject) => {
      const entry: Pending = { line, resolve, reject, abandoned: false, timer: setTimeout(() => {
        entry.abandoned = true;
        reject(this.error(`no reply to '${line}' within ${timeoutMs} ms`));
      }, timeoutMs) };
      this.pending.push(entry);
      this.proc.stdin!.write(`${line}\n`);
    });
  }

  /** Like {@link request}, but throws unless the reply is `{"ok":true}`. */
  async command(line: string, timeoutMs = 3000): Promise<Reply> {
    const reply = await this.request(line, timeoutMs);
    if (!reply.ok) throw this.error(`'${line}' failed: ${reply.error ?? JSON.stringify(reply)}`);
    return reply;
  }

  /** `status [t]`, checked for the fields every driver must report. */
  async status(t?: number): Promise<Status> {
    const reply = await this.command(t === undefined ? 'status' : `status ${t}`);
    for (const key of ['t', 'numPeers', 'tempo', 'beat', 'phase', 'quantum', 'timeForIsPlaying']) {
      if (typeof reply[key] !== 'number') throw this.error(`status lacks numeric '${key}': ${JSON.stringify(reply)}`);
    }
    return reply as Status;
  }

  /** `phases Q t1 t2 ...`: phase and beat at each mono instant, from one session state. */
  async phases(quantum: number, times: readonly number[]): Promise<{ phases: number[]; beats: number[] }> {
    const reply = await this.command(`phases ${quantum} ${times.join(' ')}`);
    const { phases, beats } = reply;
    if (!Array.isArray(phases) || !Array.isArray(beats) || phases.length !== times.length || beats.length !== times.length) {
      throw this.error(`malformed phases reply: ${JSON.stringify(reply)}`);
    }
    return { phases, beats };
  }

  /**
   * Resolves with the first event at index >= `fromIndex` matching `pred` (already received
   * or future). Take `fromIndex = peer.events.length` before triggering an action to ignore
   * older events without racing against fast replies.
   */
  waitForEvent(pred: (e: PeerEvent) => boolean, timeoutMs = 3000, fromIndex = 0): Promise<PeerEvent> {
    const seen = this.events.slice(fromIndex).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: EventWaiter = { pred, resolve: (e) => {
        clearTimeout(timer);
        resolve(e);
      } };
      const timer = setTimeout(() => {
        this.eventWaiters.delete(waiter);
        reject(this.error(`no matching event within ${timeoutMs} ms (events: ${this.recentEvents()})`));
      }, timeoutMs);
      this.eventWaiters.add(waiter);
    });
  }

  /** {@link waitFor} whose timeout error also carries this peer's stderr. */
  async waitFor<T>(
    probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
    opts: WaitForOptions = {},
  ): Promise<T> {
    try {
      return await waitFor(probe, opts);
    } catch (err) {
      throw this.error((err as Error).message);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.proc.kill(signal);
  }

  /** Resolves when the process has exited and its output is drained. */
  async waitForExit(timeoutMs = 3000): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.error(`did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.exited, timedOut]);
    } finally {
      clearTimeout(timer);
    }
    return this.exitDescription ?? '';
  }

  /** Asks politely (`quit`), then closes stdin, then SIGKILLs. Never throws. */
  async close(timeoutMs = 2000): Promise<void> {
    if (!this.running) return;
    await this.request('quit', timeoutMs).catch(() => undefined);
    this.proc.stdin!.end();
    try {
      await this.waitForExit(timeoutMs);
    } catch {
      this.kill('SIGKILL');
      await this.waitForExit(timeoutMs).catch(() => undefined);
    }
  }

  /** An Error naming this peer, with its exit status and stderr appended. */
  error(message: string): Error {
    const exit = this.exitDescription ? ` [process ${this.exitDescription}]` : '';
    const stderr = this.stderrText.trim() ? `\n--- ${this.label} stderr ---\n${this.stderrText.trim()}` : '';
    return new Error(`${this.label}: ${message}${exit}${stderr}`);
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.strayLines.push(line);
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.strayLines.push(line);
    } else if ('event' in msg) {
      this.onEvent({ ...(msg as PeerEvent), receivedAt: monoMicros() });
    } else {
      this.onReply(msg as Reply, line);
    }
  }

  private onEvent(event: PeerEvent): void {
    this.events.push(event);
    for (const waiter of [...this.eventWaiters]) {
      if (waiter.pred(event)) {
        this.eventWaiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  }

  private onReply(reply: Reply, line: string): void {
    const entry = this.pending.shift();
    if (!entry) {
      this.strayLines.push(line);
      return;
    }
    clearTimeout(entry.timer);
    if (!entry.abandoned) entry.resolve(reply);
  }

  private onExit(description: string, resolve: () => void): void {
    this.exitDescription ??= description;
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      if (!entry.abandoned) entry.reject(this.error(`no reply to '${entry.line}'`));
    }
    resolve();
  }

  private appendStderr(s: string): void {
    // Keep the tail only: a chatty driver must not grow memory without bound.
    this.stderrText = (this.stderrText + s).slice(-8000);
  }

  private recentEvents(): string {
    return JSON.stringify(this.events.slice(-10));
  }
}

// ------------------------------------------------------------------------------------------
// Ableton peers

export interface AbletonPeerOptions {
  /** phaselock peers only: the `udpLatency` option of `Link`. */
  udpLatency?: { receiveMicros: number; sendMicros: number };
  bpm?: number;
  quantum?: number;
  startStopSync?: boolean;
  label?: string;
}

/** Builds (if needed) and starts an Ableton Link peer inside `ns`; resolves once ready. */
export async function startAbletonPeer(ns: Netns, opts: AbletonPeerOptions = {}): Promise<LinePeer> {
  const binary = await buildAbletonPeer();
  const args: string[] = [];
  if (opts.bpm !== undefined) args.push('--bpm', String(opts.bpm));
  if (opts.quantum !== undefined) args.push('--quantum', String(opts.quantum));
  if (opts.startStopSync) args.push('--start-stop-sync');
  return LinePeer.start(ns.exec(binary, args), opts.label ?? 'ableton');
}

/**
 * Signed difference a - b of two phases in [0, quantum), wrapped into
 * [-quantum/2, quantum/2) so that 3.999 vs 0.001 counts as 0.002 beats apart.
 */
export function phaseDifference(a: number, b: number, quantum: number): number {
  const d = (((a - b) % quantum) + quantum) % quantum;
  return d >= quantum / 2 ? d - quantum : d;
}

/** Converts a beat difference to microseconds at `bpm`. */
export function beatsToMicros(beats: number, bpm: number): number {
  return (beats * 60e6) / bpm;
}

// ------------------------------------------------------------------------------------------
// phaselock peers

export const PHASELOCK_PEER_SCRIPT = path.join(HERE, 'phaselock-peer.ts');

/** Starts the phaselock driver (same JSON-line protocol) inside `ns`; resolves once ready. */
export async function startPhaselockPeer(ns: Netns, opts: AbletonPeerOptions = {}): Promise<LinePeer> {
  const args = ['--import', 'tsx', PHASELOCK_PEER_SCRIPT];
  if (opts.bpm !== undefined) args.push('--bpm', String(opts.bpm));
  if (opts.quantum !== undefined) args.push('--quantum', String(opts.quantum));
  if (opts.startStopSync) args.push('--start-stop-sync');
  if (opts.udpLatency) args.push('--udp-latency', `${opts.udpLatency.receiveMicros},${opts.udpLatency.sendMicros}`);
  return LinePeer.start(ns.exec(process.execPath, args, { cwd: path.join(HERE, '..', '..') }), opts.label ?? 'phaselock', 15000);
}

// ------------------------------------------------------------------------------------------
// Either kind

export type PeerKind = 'phaselock' | 'ableton';

/** Starts a peer of `kind` inside `ns` (see {@link startAbletonPeer}, {@link startPhaselockPeer}). */
export function startPeer(ns: Netns, kind: PeerKind, opts: AbletonPeerOptions = {}): Promise<LinePeer> {
  return kind === 'phaselock' ? startPhaselockPeer(ns, opts) : startAbletonPeer(ns, opts);
}

/**
 * Phase disagreement of `a` and `b` at the same mono instants, in µs at `bpm`: each peer
 * evaluates `phases quantum t1..tn` from one captured state; returns |difference| per instant.
 */
export async function phaseErrorsUs(
  a: LinePeer, b: LinePeer, quantum: number, times: readonly number[], bpm: number,
): Promise<number[]> {
  const [pa, pb] = await Promise.all([a.phases(quantum, times), b.phases(quantum, times)]);
  return pa.phases.map((phaseA, i) =>
    Math.abs(beatsToMicros(phaseDifference(phaseA, pb.phases[i]!, quantum), bpm)));
}

/** `n` instants from `start`, `stepUs` apart plus a small irregular offset (covers the whole quantum). */
export function spreadInstants(start: number, n: number, stepUs: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i * stepUs + ((i * 7919) % 1000));
}

// ------------------------------------------------------------------------------------------
// A shared fixture: one namespace with one enabled Ableton peer for a whole describe block

/**
 * Registers `before`/`after` hooks (call it inside `describe`): builds the C++ peer, creates a
 * namespace, starts an Ableton peer with `opts` and enables it, then hands both to `use`;
 * closes the peer and deletes the namespace afterwards.
 */
export function withAbletonNamespace(prefix: string, opts: AbletonPeerOptions, use: (fx: { ns: Netns; ableton: LinePeer }) => void): void {
  let ns: Netns | undefined;
  let ableton: LinePeer | undefined;
  before(async () => {
    await buildAbletonPeer();
    ns = await Netns.create(prefix);
    ableton = await startAbletonPeer(ns, { label: 'ableton', ...opts });
    await ableton.command('enable');
    use({ ns, ableton });
  });
  after(async () => {
    await ableton?.close();
    await ns?.close();
  });
}
