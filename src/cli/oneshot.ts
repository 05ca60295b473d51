/**
 * The scriptable one-shot commands: `status`, `peers`, `tempo`, `play`, `stop`. Each joins,
 * acts as soon as it is in the session, prints the result and leaves (byebye).
 *
 * A stop signal (`io.signal`: SIGINT, SIGTERM, SIGHUP, …) before the result ends the command
 * at once with exit 1 and `phaselock: interrupted (SIGINT) before the tempo was set` on stderr,
 * nothing on stdout; after it (while `tempo`/`play`/`stop` linger to repeat their change) it
 * only cuts the lingering short: the job is done, exit 0. Either way the Link closes (ByeBye).
 * @module
 */
import { Link } from '../node/link/link.ts';
import { clampBpm } from '../link/timeline.ts';
import { stdio, type CommandIo } from './spec/command-spec.ts';
import { captureStatus } from './tui/hut.ts';
import { formatJsonStatus, formatStatusText } from './tui/status-format.ts';

export interface OneShotConfig {
  /** Interface names or IPv4 addresses; undefined = every IPv4 interface. */
  interfaces: string[] | undefined;
  timeoutMs: number;
  json: boolean;
  quantum: number;
}

/** `tempo 133` sets the tempo `to` 133; `tempo +1`/`tempo -2.5` changes the session's tempo `by` that much. */
export type TempoChange = { to: number } | { by: number };

export type OneShot = OneShotConfig & (
  | { kind: 'status' }
  | { kind: 'peers' }
  | { kind: 'tempo'; change: TempoChange }
  | { kind: 'play'; quantized: boolean }
  | { kind: 'stop' }
);

/** After the first peer: time for the other peers of the session to show up too. */
export const SETTLE_MS = 250;
/** After acting: stay one announcement period so a lost datagram is repeated. */
export const LINGER_MS = 300;

/** What each command had not done yet when a signal ended it. */
const JOB: Record<OneShot['kind'], string> = {
  status: "the session's state was printed",
  peers: 'the peers were counted',
  tempo: 'the tempo was set',
  play: 'the transport was started',
  stop: 'the transport was stopped',
};

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves true as soon as `link` shares a session with a peer; false after `timeoutMs` or on `signal`. */
function waitForPeers(link: Link, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  if (link.numPeers > 0) return Promise.resolve(true);
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onPeers = (n: number) => {
      if (n > 0) finish(true);
    };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (joined: boolean) => {
      clearTimeout(timer);
      link.off('peers', onPeers);
      signal.removeEventListener('abort', onAbort);
      resolve(joined);
    };
    link.on('peers', onPeers);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const plural = (n: number) => `${n} peer${n === 1 ? '' : 's'}`;

/** `phaselock: interrupted (SIGINT) before the tempo was set`; exit 1. */
function interrupted(cmd: OneShot, io: CommandIo): number {
  const reason: unknown = io.signal.reason;
  io.err(`phaselock: interrupted (${typeof reason === 'string' ? reason : 'aborted'}) before ${JOB[cmd.kind]}`);
  return 1;
}

export async function runOneShot(cmd: OneShot, io: CommandIo = stdio): Promise<number> {
  if (io.signal.aborted) return interrupted(cmd, io);
  const acts = cmd.kind === 'tempo' || cmd.kind === 'play' || cmd.kind === 'stop';
  const link = new Link({
    // Start/stop sync on: `status` only listens (it never commits a transport change).
    startStopSync: cmd.kind !== 'tempo', interfaces: cmd.interfaces, yieldTies: true,
  });
  if (process.env.PHASELOCK_DEBUG) link.on('warning', (e) => io.err(`phaselock: warning: ${e.message}`));
  link.enable();
  try {
    const joined = await waitForPeers(link, cmd.timeoutMs, io.signal);
    if (io.signal.aborted) return interrupted(cmd, io);
    if (!joined && acts) {
      const why = cmd.kind === 'tempo' && 'by' in cmd.change ? ' to change the tempo of' : '';
      io.err(`phaselock: no Link session found${why} within ${cmd.timeoutMs / 1000} s ` +
        '(is a Link app running and enabled on this network? see --interface, --timeout)');
      return 1;
    }
    if (!acts) {
      if (joined) await pause(SETTLE_MS, io.signal);
      if (io.signal.aborted) return interrupted(cmd, io);
      report(cmd, link, io);
      return 0;
    }
    act(cmd, link, io);
    await pause(LINGER_MS, io.signal); // a signal now only cuts the repeat short: the job is done
    return 0;
  } finally {
    await link.close(); // resolves once the ByeBye is out
  }
}

/**
 * Prints the status or the number of peers. Alone there is no session: nothing to report but
 * that (our own timeline's 120 bpm would be made up), `null` for the session's values in JSON.
 * The transport is `unknown` until the session's start/stop state has been heard (hut.ts
 * `transportOf`): a peer that just joined is not told the session's transport until it changes.
 */
function report(cmd: OneShot, link: Link, io: CommandIo): void {
  const status = captureStatus(link, cmd.quantum);
  if (cmd.kind === 'peers') {
    io.out(cmd.json ? JSON.stringify({ numPeers: status.numPeers }) : String(status.numPeers));
    return;
  }
  const alone = status.numPeers === 0;
  if (cmd.json) {
    const line = formatJsonStatus(status, 'status');
    io.out(alone ? JSON.stringify({ ...JSON.parse(line), isPlaying: null, tempo: null, beat: null, phase: null }) : line);
  } else if (alone) {
    io.out(`peers       0\nsession     none: no Link peer answered within ${cmd.timeoutMs / 1000} s (see --interface, --timeout)`);
  } else {
    io.out(formatStatusText(status));
  }
}

function act(cmd: OneShot, link: Link, io: CommandIo): void {
  const now = link.clock.micros();
  const s = link.captureAppSessionState();
  const peers = plural(link.numPeers);
  switch (cmd.kind) {
    case 'tempo': {
      const bpm = targetTempo(s.tempo, cmd.change, io);
      s.setTempo(bpm, now);
      link.commitAppSessionState(s);
      io.out(`tempo ${s.tempo.toFixed(2)} bpm (${peers})`);
      return;
    }
    case 'play':
      if (cmd.quantized) s.setIsPlayingAndRequestBeatAtTime(true, now, 0, cmd.quantum);
      else s.setIsPlaying(true, now);
      link.commitAppSessionState(s);
      if (cmd.quantized) {
        const wait = Math.max(0, s.timeAtBeat(0, cmd.quantum) - now) / 1e6;
        io.out(`playing, beat 0 in ${wait.toFixed(2)} s (${peers})`);
      } else {
        io.out(`playing (${peers})`);
      }
      return;
    case 'stop':
      s.setIsPlaying(false, now);
      link.commitAppSessionState(s);
      io.out(`stopped (${peers})`);
      return;
    default:
      return;
  }
}

/** The tempo to set: `change.to`, or the session's `current` tempo changed `by`, clamped to Link's range (with a note). */
function targetTempo(current: number, change: TempoChange, io: CommandIo): number {
  if ('to' in change) return change.to;
  const wanted = current + change.by;
  const bpm = clampBpm(wanted);
  if (bpm !== wanted) {
    io.err(`phaselock: ${current.toFixed(2)} ${change.by < 0 ? '-' : '+'} ${Math.abs(change.by)} bpm is outside Link's range; ` +
      `clamped to ${bpm} bpm`);
  }
  return bpm;
}
