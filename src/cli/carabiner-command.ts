/**
 * `phaselock carabiner`: joins Link and serves the Carabiner protocol until SIGINT/SIGTERM,
 * printing Carabiner's status line (`Link bpm: 120 Peers: 0 Connections: 0`) unless --daemon.
 * @module
 */
import { CARABINER_COMPAT_VERSION } from '../carabiner/protocol.ts';
import { Link } from '../node/link/link.ts';
import { CarabinerServer } from './carabiner-server.ts';

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

const round2 = (x: number) => Math.round(x * 100) / 100;

export async function runCarabiner(cfg: CarabinerConfig): Promise<number> {
  const link = new Link({ bpm: cfg.bpm, startStopSync: cfg.startStopSync, interfaces: cfg.interfaces, yieldTies: true });
  link.on('warning', (e) => process.stderr.write(`phaselock: warning: ${e.message}\n`));
  const tty = process.stdout.isTTY === true;
  let connections = 0;
  let lastLine = '';
  const statusLine = () => {
    if (cfg.daemon) return;
    const line = `Link bpm: ${round2(link.captureAppSessionState().tempo)} Peers: ${link.numPeers} Connections: ${connections}`;
    if (line === lastLine) return;
    lastLine = line;
    // On a terminal the line is rewritten in place, as Carabiner does; in a log, one line per change.
    if (process.stdout.writable) process.stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
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
      onError: (err) => process.stderr.write(`phaselock: carabiner: ${err.message}\n`),
      // Clients dropped, refused or reset: routine for a server, worth seeing when debugging.
      ...(process.env.PHASELOCK_DEBUG ? { onWarning: (e: Error) => process.stderr.write(`phaselock: ${e.message}\n`) } : {}),
    });
  } catch (err) {
    process.stderr.write(`phaselock: cannot listen on ${cfg.host}:${cfg.port}: ${(err as Error).message}\n`);
    await link.close();
    return 1;
  }
  const where = server.address.family === 'IPv6' ? `[${server.address.address}]` : server.address.address;
  process.stdout.write(`Starting phaselock carabiner (Carabiner ${CARABINER_COMPAT_VERSION} protocol) on port tcp://${where}:${server.port}\n`);
  link.on('peers', statusLine).on('tempo', statusLine);
  link.enable();
  statusLine();

  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, stop);
  // Status lines to a closed pipe: stop serving as if signalled (the clients are dropped).
  process.stdout.on('error', stop);
  try {
    await stopped;
  } finally {
    for (const s of signals) process.off(s, stop);
    process.stdout.off('error', stop).on('error', () => undefined);
    await server.close();
    await link.close(); // resolves once the ByeBye is out
    if (tty && !cfg.daemon && process.stdout.writable) process.stdout.write('\n');
  }
  return 0;
}
