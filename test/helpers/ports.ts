/**
 * A free UDP port pair (N, N + 1) on a local address, for RTP-MIDI endpoints in tests and
 * benchmarks (control port N, data port N + 1). `even`: N even (the npm `rtpmidi` package picks
 * its socket by the destination port's parity).
 * @module
 */
import dgram from 'node:dgram';

export async function freePortPair(host = '127.0.0.1', options: { even?: boolean } = {}): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = options.even ? 20000 + 2 * Math.floor(Math.random() * 20000) : 20000 + Math.floor(Math.random() * 40000);
    const sockets = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    const bound = await Promise.all(sockets.map((s, k) => new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port + k, host, () => resolve(true));
    })));
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    })));
    if (bound.every(Boolean)) return port;
  }
  throw new Error(`no free port pair on ${host}`);
}
