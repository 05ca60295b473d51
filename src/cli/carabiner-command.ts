/**
 * `phaselock carabiner`: joins Link and serves the Carabiner protocol until `io.signal` aborts
 * (SIGINT, SIGTERM, SIGHUP, the parent's death, a closed stdout: src/cli/shutdown.ts),
 * printing Carabiner's status line (`Link bpm: 120 Peers: 0 Connections: 0`, plus the
 * transport in words while start/stop sync is on) unless --daemon.
 * @module
 */
import { CARABINER_COMPAT_VERSION } from '../carabiner/protocol.ts';
import { Link } from '../node/link/link.ts';
import { CarabinerServer } from './carabiner-server.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { transportOf } from './tui/hut.ts';

/** `phaselock carabiner`'s options, parsed (src/cli/commands/carabiner.ts). */
export interface CarabinerConfig {
  port: number;
  host: string;
  bpm: number;
  startStopSync: boolean;
  daemon: boolean;
  /** Interface names or IPv4 addresses; undefined = every IPv4 interface. */
  interfaces: string[] | undefined;
}

/**
 * How often the status line is looked at besides the events: start/stop sync is toggled by
 * clients, and a start/stop state heard while stopped makes an unknown transport known,
 * neither with an event.
 */
const STATUS_POLL_MS = 500;

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The human-readable status line: Carabiner's, plus `Transport: playing|stopped|unknown` while
 * start/stop sync is on (the protocol's `:playing` stays a boolean, as its README says).
 */
export function carabinerStatusLine(link: Link, connections: number): string {
  const line = `Link bpm: ${round2(link.captureAppSessionState().tempo)} Peers: ${link.numPeers} Connections: ${connections}`;
  return link.startStopSyncEnabled ? `${line} Transport: ${transportOf(link)}` : line;
}

export async function runCarabiner(cfg: CarabinerConfig, io: CommandIo): Promise<number> {
  const link = new Link({ bpm: cfg.bpm, startStopSync: cfg.startStopSync, interfaces: cfg.interfaces, yieldTies: true });
  link.on('warning', (e) => io.err(`phaselock: warning: ${e.message}`));
  const stdout = process.stdout;
  const tty = stdout.isTTY === true;
  let connections = 0;
  let lastLine = '';
  const statusLine = () => {
    if (cfg.daemon) return;
    const line = carabinerStatusLine(link, connections);
    if (line === lastLine) return;
    lastLine = line;
    // On a terminal the line is rewritten in place, as Carabiner does; in a log, one line per change.
    if (stdout.writable && !stdout.destroyed) stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };

  let server: CarabinerServer;
  try {
    server = await CarabinerServer.listen({
      link,
      host: cfg.host,
      port: cfg.port,
      onConnections: (n) => {
        connections = n;
        statusLine();
      },
      onError: (err) => io.err(`phaselock: carabiner: ${err.message}`),
      // Clients dropped, refused or reset: routine for a server, worth seeing when debugging.
      ...(process.env.PHASELOCK_DEBUG ? { onWarning: (e: Error) => io.err(`phaselock: ${e.message}`) } : {}),
    });
  } catch (err) {
    io.err(`phaselock: cannot listen on ${cfg.host}:${cfg.port}: ${(err as Error).message}`);
    await link.close();
    return 1;
  }
  const where = server.address.family === 'IPv6' ? `[${server.address.address}]` : server.address.address;
  io.out(`Starting phaselock carabiner (Carabiner ${CARABINER_COMPAT_VERSION} protocol) on port tcp://${where}:${server.port}`);
  link.on('peers', statusLine).on('tempo', statusLine).on('playing', statusLine);
  link.enable();
  statusLine();
  const poll = cfg.daemon ? undefined : setInterval(statusLine, STATUS_POLL_MS);

  // Also when the status lines' reader goes away: main's watch aborts on EPIPE.
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (onAbort = resolve));
  if (io.signal.aborted) onAbort();
  else io.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await stopped;
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    clearInterval(poll);
    await server.close();
    await link.close(); // resolves once the ByeBye is out
    // The status line was rewritten in place: end it, so the shell prompt starts on its own line.
    if (tty && !cfg.daemon && stdout.writable && !stdout.destroyed) stdout.write('\n');
  }
  return 0;
}
