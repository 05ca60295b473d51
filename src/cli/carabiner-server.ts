/**
 * `phaselock carabiner`'s server on Node: the L1 `CarabinerServer` (src/carabiner/server.ts)
 * composed with the Node stream port and timers. Binds 127.0.0.1 unless told otherwise.
 * @module
 */
import { CarabinerServer as StreamCarabinerServer, type CarabinerServerOptions as StreamCarabinerServerOptions } from '../carabiner/server.ts';
import { nodeTimers } from '../node/host-clock.ts';
import { nodeStreams } from '../node/stream/node-streams.ts';

/** The L1 server's options; the stream port and timers default to Node's. */
export type CarabinerServerOptions = Omit<StreamCarabinerServerOptions, 'streams'> & Partial<Pick<StreamCarabinerServerOptions, 'streams'>>;

/** Where the server listens, in net.AddressInfo's shape. */
export interface CarabinerAddress {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

export class CarabinerServer extends StreamCarabinerServer {
  /** Makes a server on Node's stream port and starts listening; rejects on EADDRINUSE, EACCES, … */
  static async listen(options: CarabinerServerOptions): Promise<CarabinerServer> {
    return new CarabinerServer(options).listen();
  }

  constructor(options: CarabinerServerOptions) {
    super({ streams: nodeStreams(), timers: nodeTimers, ...options });
  }

  /** Where it listens, with the address family (for printing `tcp://[::1]:17000`). */
  override get address(): CarabinerAddress & { host: string } {
    const a = super.address;
    return { host: a.host, address: a.host, family: a.host.includes(':') ? 'IPv6' : 'IPv4', port: a.port };
  }
}
