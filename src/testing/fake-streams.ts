/**
 * An in-memory `StreamNetwork` on VirtualTime, so L1 code that listens or connects (the
 * Carabiner server, an mpv client, the bridge) is tested without sockets or sleeping: listen and
 * connect pairs on TCP addresses or unix paths, latency, backpressure through a bounded window,
 * the same output cap and end timeout as the Node runtime, and faults — `reset` (ECONNRESET on
 * both ends), `halfClose` (a peer that ends its side and never closes) and `slowReader` (a peer
 * that reads N bytes/s, or nothing).
 * @example
 * const vt = new VirtualTime();
 * const streams = new FakeStreams(vt);
 * const server = await streams.listen({ host: '127.0.0.1', port: 0 }, {
 *   onConnection: (socket) => ({ onData: (d) => socket.write(d) }), // echo
 * });
 * const got: Uint8Array[] = [];
 * const client = await streams.connect(server.address, { onData: (d) => got.push(d) });
 * client.write('hi\n');
 * vt.advance(1000); // got: ['hi\n']
 * @module
 */
import { PhaselockError } from '../core/errors.ts';
import type {
  StreamAddress, StreamConnectOptions, StreamHandlers, StreamListenOptions, StreamNetwork, StreamServer,
  StreamServerHandlers, StreamSocket,
} from '../core/runtime.ts';
import { formatStreamAddress, isUnixAddress } from '../core/stream-address.ts';
import { FakeStreamSocket, type FakeLinkConfig } from './fake-stream-socket.ts';
import type { VirtualTime } from './virtual-time.ts';

export { FakeStreamSocket } from './fake-stream-socket.ts';

export interface FakeStreamsOptions {
  /** One-way latency of every chunk and FIN, µs (default 50). */
  latencyMicros?: number;
  /** Bytes a receiver holds before its reader drains them (its "kernel buffers"; default 64 KiB). */
  windowBytes?: number;
  /** Default output cap per socket (default 1 MiB, as the Node runtime). */
  maxBufferedBytes?: number;
  /** `write` returns false at this many queued bytes (default 16 KiB, as Node). */
  highWaterMark?: number;
  /** `end()` destroys a socket still open this long after (default 2 s, as the Node runtime). */
  endTimeoutMicros?: number;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

class FakeServer implements StreamServer {
  readonly sockets = new Set<FakeStreamSocket>();
  private closing: Promise<void> | undefined;

  constructor(
    readonly address: StreamAddress,
    readonly handlers: StreamServerHandlers,
    readonly options: StreamListenOptions,
    private readonly unregister: () => void,
  ) {}

  get connections(): number {
    return this.sockets.size;
  }

  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unregister();
      await Promise.all([...this.sockets].map((s) => s.end()));
    })();
    return this.closing;
  }
}

export class FakeStreams implements StreamNetwork {
  private readonly servers = new Map<string, FakeServer>();
  private readonly open = new Set<FakeStreamSocket>();
  private nextPort = 40_000;
  private readonly latencyMicros: number;
  private readonly windowBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly highWaterMark: number;
  private readonly endTimeoutMicros: number;

  constructor(readonly time: VirtualTime, options: FakeStreamsOptions = {}) {
    this.latencyMicros = options.latencyMicros ?? 50;
    this.windowBytes = options.windowBytes ?? 64 * 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.highWaterMark = options.highWaterMark ?? 16 * 1024;
    this.endTimeoutMicros = options.endTimeoutMicros ?? 2_000_000;
  }

  listen(address: StreamAddress, handlers: StreamServerHandlers, options: StreamListenOptions = {}): Promise<StreamServer> {
    let bound = address;
    if (!isUnixAddress(address) && address.port === 0) {
      while (this.servers.has(String(this.nextPort))) this.nextPort++;
      bound = { host: address.host, port: this.nextPort++ };
    }
    const key = isUnixAddress(bound) ? `unix:${bound.path}` : String(bound.port);
    if (this.servers.has(key)) return Promise.reject(socketError('EADDRINUSE', `listen EADDRINUSE ${formatStreamAddress(bound)}`));
    const server = new FakeServer(bound, handlers, options, () => this.servers.delete(key));
    this.servers.set(key, server);
    return Promise.resolve(server);
  }

  connect(address: StreamAddress, handlers: StreamHandlers, options: StreamConnectOptions = {}): Promise<StreamSocket> {
    const server = this.find(address);
    if (!server) {
      const code = isUnixAddress(address) ? 'ENOENT' : 'ECONNREFUSED';
      return Promise.reject(socketError(code, `connect ${code} ${formatStreamAddress(address)}`));
    }
    const config: FakeLinkConfig = {
      time: this.time,
      latencyMicros: this.latencyMicros,
      windowBytes: this.windowBytes,
      highWaterMark: this.highWaterMark,
      endTimeoutMicros: this.endTimeoutMicros,
      onClosed: (s) => {
        this.open.delete(s);
        server.sockets.delete(s);
      },
    };
    const clientAddress = isUnixAddress(address) ? address : { host: '127.0.0.1', port: this.nextPort++ };
    const client = new FakeStreamSocket(server.address, options.maxBufferedBytes ?? this.maxBufferedBytes, config);
    const accepted = new FakeStreamSocket(clientAddress, server.options.maxBufferedBytes ?? this.maxBufferedBytes, config);
    client.peer = accepted;
    accepted.peer = client;
    client.handlers = handlers;
    this.open.add(client).add(accepted);
    // The accept happens one latency later, before any of the client's data arrives there.
    this.time.setTimeout(() => this.accept(server, accepted), this.latencyMicros);
    return Promise.resolve(client);
  }

  /** Every socket not yet closed (both ends of every connection). */
  get sockets(): readonly FakeStreamSocket[] {
    return [...this.open];
  }

  /** Bytes held anywhere in the network: output queues, in flight, unread (a memory bound to assert on). */
  get heldBytes(): number {
    let n = 0;
    for (const s of this.open) n += s.heldBytes;
    return n;
  }

  /** The other end of `socket`'s connection. */
  peerOf(socket: StreamSocket): FakeStreamSocket {
    return fake(socket).peer;
  }

  /** Fault: the connection is reset; both ends get ECONNRESET, then close. */
  reset(socket: StreamSocket): void {
    fake(socket).reset();
  }

  /** Fault: `socket` ends its side (FIN after what it queued) and then never closes. */
  halfClose(socket: StreamSocket): void {
    fake(socket).halfClose();
  }

  /** Fault: `socket` reads at most `bytesPerSecond` (0 = stops reading; Infinity = back to normal). */
  slowReader(socket: StreamSocket, bytesPerSecond: number): void {
    fake(socket).setReadRate(bytesPerSecond);
  }

  private accept(server: FakeServer, socket: FakeStreamSocket): void {
    if (socket.closed) return;
    const max = server.options.maxConnections;
    if (server.isClosing || (max !== undefined && server.sockets.size >= max)) {
      socket.destroy(); // refused by the runtime before the application saw it
      return;
    }
    server.sockets.add(socket);
    try {
      socket.handlers = server.handlers.onConnection(socket);
    } catch (err) {
      socket.destroy();
      server.handlers.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private find(address: StreamAddress): FakeServer | undefined {
    if (isUnixAddress(address)) return this.servers.get(`unix:${address.path}`);
    const server = this.servers.get(String(address.port));
    if (!server || isUnixAddress(server.address)) return undefined;
    const host = server.address.host;
    const reachable = host === address.host || WILDCARD.has(host) || (LOOPBACK.has(host) && LOOPBACK.has(address.host));
    return reachable ? server : undefined;
  }
}

function fake(socket: StreamSocket): FakeStreamSocket {
  if (!(socket instanceof FakeStreamSocket)) throw new TypeError('not a FakeStreams socket');
  return socket;
}

function socketError(code: string, message: string): PhaselockError {
  return new PhaselockError('E_SOCKET', message, { cause: Object.assign(new Error(message), { code }) });
}
