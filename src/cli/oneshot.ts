/**
 * The scriptable one-shot commands: `status`, `peers`, `tempo`, `play`, `stop`. Each joins,
 * acts as soon as it is in the session, prints the result and leaves (byebye).
 * @module
 */
import { Link } from '../node/link/link.ts';
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

export type OneShot = OneShotConfig & (
  | { kind: 'status' }
  | { kind: 'peers' }
  | { kind: 'tempo'; bpm: number }
  | { kind: 'play'; quantized: boolean }
  | { kind: 'stop' }
);

/** After the first peer: time for the other peers of the session to show up too. */
export const SETTLE_MS = 250;
/** After acting: stay one announcement period so a lost datagram is repeated. */
export const LINGER_MS = 300;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves true as soon as `link` shares a session with a peer, false after `timeoutMs`. */
function waitForPeers(link: Link, timeoutMs: number): Promise<boolean> {
  if (link.numPeers > 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onPeers = (n: number) => {
      if (n > 0) finish(true);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    const finish = (joined: boolean) => {
      clearTimeout(timer);
      link.off('peers', onPeers);
      resolve(joined);
    };
    link.on('peers', onPeers);
  });
}

const plural = (n: number) => `${n} peer${n === 1 ? '' : 's'}`;

export async function runOneShot(cmd: OneShot, io: CommandIo = stdio): Promise<number> {
  const acts = cmd.kind === 'tempo' || cmd.kind === 'play' || cmd.kind === 'stop';
  const link = new Link({
    // Start/stop sync on: `status` only listens (it never commits a transport change).
    startStopSync: cmd.kind !== 'tempo', interfaces: cmd.interfaces, yieldTies: true,
  });
  if (process.env.PHASELOCK_DEBUG) link.on('warning', (e) => io.err(`phaselock: warning: ${e.message}`));
  let sawStartStop = false;
  link.on('playing', () => (sawStartStop = true));
  link.enable();
  try {
    const joined = await waitForPeers(link, cmd.timeoutMs);
    if (!joined && acts) {
      io.err(`phaselock: no Link session found within ${cmd.timeoutMs / 1000} s ` +
        '(is a Link app running and enabled on this network? see --interface, --timeout)');
      return 1;
    }
    if (!acts) {
      if (joined) await sleep(SETTLE_MS);
      report(cmd, link, io, sawStartStop || link.numPeers === 0);
      return 0;
    }
    act(cmd, link, io);
    await sleep(LINGER_MS);
    return 0;
  } finally {
    await link.close(); // resolves once the ByeBye is out
  }
}

/** `transportKnown`: alone, or a start/stop change arrived while we listened. */
function report(cmd: OneShot, link: Link, io: CommandIo, transportKnown: boolean): void {
  const status = captureStatus(link, cmd.quantum);
  if (cmd.kind === 'peers') io.out(cmd.json ? JSON.stringify({ numPeers: status.numPeers }) : String(status.numPeers));
  else io.out(cmd.json ? formatJsonStatus(status, 'status', { transportKnown }) : formatStatusText(status, { transportKnown }));
}

function act(cmd: OneShot, link: Link, io: CommandIo): void {
  const now = link.clock.micros();
  const s = link.captureAppSessionState();
  const peers = plural(link.numPeers);
  switch (cmd.kind) {
    case 'tempo':
      s.setTempo(cmd.bpm, now);
      link.commitAppSessionState(s);
      io.out(`tempo ${s.tempo.toFixed(2)} bpm (${peers})`);
      return;
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
