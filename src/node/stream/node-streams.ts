/**
 * The runtime's stream port on Node (L2): TCP and unix-domain sockets through node:net, behind
 * `StreamNetwork` (src/core/runtime.ts). L1 code (the Carabiner server, mpv's IPC client, the
 * bridge) listens and connects through it and never imports node:net.
 *
 * Limits (documented in `NodeStreamsOptions`): output per connection is capped (default 1 MiB
 * unsent; beyond it the connection is destroyed with an `E_SOCKET` error: a slow or hostile peer
 * cannot fill our memory — Node's `writableLength` has no limit of its own); `end()` and a
 * server's `close()` give a peer 2 s to take what is owed and close its side, then destroy;
 * connecting gives up after 10 s. Input is handed over as it arrives (at most one 64 KiB read
 * per callback): the owner's framer bounds what it keeps.
 * @module
 */
import net from 'node:net';
import { PhaselockError } from '../../core/errors.ts';
import type {
  StreamAddress, StreamHandlers, StreamListenOptions, StreamNetwork, StreamServer,
  StreamServerHandlers, StreamSocket,
} from '../../core/runtime.ts';
import { formatStreamAddress, isUnixAddress } from '../../core/stream-address.ts';
import { NodeStreamSocket, remoteOf, wrap, type NodeSocketLimits } from './node-stream-socket.ts';

export interface NodeStreamsOptions {
  /**
   * Unsent output a connection may hold, in bytes (default 1 MiB); a write beyond it destroys
   * the connection with an `E_SOCKET` error. Per listen/connect, `maxBufferedBytes` overrides it.
   */
  maxBufferedBytes?: number;
  /** After `end()`, a connection still open this long is destroyed (default 2 s). */
  endTimeoutMicros?: number;
  /** Default connect timeout (10 s). */
  connectTimeoutMicros?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;
export const DEFAULT_END_TIMEOUT_MICROS = 2_000_000;
export const DEFAULT_CONNECT_TIMEOUT_MICROS = 10_000_000;

class NodeStreamServer implements StreamServer {
  readonly sockets = new Set<NodeStreamSocket>();
  private closing: Promise<void> | undefined;

  constructor(private readonly server: net.Server, readonly address: StreamAddress) {}

  get connections(): number {
    return this.sockets.size;
  }

  close(): Promise<void> {
    // net.Server.close calls back once its connection count is 0, which can be before their
    // owners heard `onClose`: wait for both. Ending them (with the end timeout as a backstop)
    // makes sure they close.
    this.closing ??= Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      ...[...this.sockets].map((s) => s.end()),
    ]).then(() => undefined);
    return this.closing;
  }
}

/**
 * The Node stream port.
 * @example
 * const streams = nodeStreams();
 * const server = await streams.listen({ host: '127.0.0.1', port: 0 }, {
 *   onConnection: (socket) => ({ onData: (d) => socket.write(d), onEnd: () => void socket.end() }),
 * });
 */
export function nodeStreams(options: NodeStreamsOptions = {}): StreamNetwork {
  const defaults = {
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES),
    endTimeoutMicros: positive('endTimeoutMicros', options.endTimeoutMicros ?? DEFAULT_END_TIMEOUT_MICROS),
    connectTimeoutMicros: positive('connectTimeoutMicros', options.connectTimeoutMicros ?? DEFAULT_CONNECT_TIMEOUT_MICROS),
  };
  const limitsFor = (o: { maxBufferedBytes?: number }): NodeSocketLimits => ({
    maxBufferedBytes: o.maxBufferedBytes === undefined ? defaults.maxBufferedBytes : positive('maxBufferedBytes', o.maxBufferedBytes),
    endTimeoutMicros: defaults.endTimeoutMicros,
  });
  return {
    listen: (address, handlers, o = {}) => listen(address, handlers, o, limitsFor(o)),
    connect: (address, handlers, o = {}) =>
      connect(address, handlers, limitsFor(o), o.timeoutMicros === undefined ? defaults.connectTimeoutMicros : positive('timeoutMicros', o.timeoutMicros)),
  };
}

function listen(address: StreamAddress, handlers: StreamServerHandlers, options: StreamListenOptions, limits: NodeSocketLimits): Promise<StreamServer> {
  const unixPath = isUnixAddress(address) ? address.path : undefined;
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true });
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  let handle: NodeStreamServer | undefined;
  server.on('connection', (socket) => {
    if (!handle) return socket.destroy();
    accept(handle, socket, handlers, limits, unixPath);
  });
  return new Promise<StreamServer>((resolve, reject) => {
    const failed = (err: Error) => reject(new PhaselockError('E_SOCKET', `cannot listen on ${formatStreamAddress(address)}: ${err.message}`, { cause: err }));
    server.once('error', failed);
    const where = isUnixAddress(address) ? { path: address.path } : { host: address.host, port: address.port, exclusive: true };
    server.listen(where, () => {
      server.off('error', failed);
      server.on('error', (err) => handlers.onError?.(wrap(err)));
      handle = new NodeStreamServer(server, boundAddress(server, address));
      resolve(handle);
    });
  });
}

function accept(server: NodeStreamServer, socket: net.Socket, handlers: StreamServerHandlers, limits: NodeSocketLimits, unixPath: string | undefined): void {
  // Counted out before its owner hears `onClose`, so `connections` is already right there.
  socket.once('close', () => server.sockets.delete(s));
  const s = new NodeStreamSocket(socket, remoteOf(socket, unixPath), limits);
  server.sockets.add(s);
  try {
    s.handlers = handlers.onConnection(s);
  } catch (err) {
    socket.destroy();
    handlers.onError?.(wrap(err instanceof Error ? err : new Error(String(err))));
  }
}

function connect(address: StreamAddress, handlers: StreamHandlers, limits: NodeSocketLimits, timeoutMicros: number): Promise<StreamSocket> {
  const unixPath = isUnixAddress(address) ? address.path : undefined;
  return new Promise<StreamSocket>((resolve, reject) => {
    const socket = isUnixAddress(address)
      ? net.connect({ path: address.path, allowHalfOpen: true })
      : net.connect({ host: address.host, port: address.port, allowHalfOpen: true, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new PhaselockError('E_TIMEOUT', `connect to ${formatStreamAddress(address)}: no answer within ${timeoutMicros / 1e6} s`));
    }, timeoutMicros / 1000);
    const failed = (err: Error) => {
      clearTimeout(timer);
      reject(new PhaselockError('E_SOCKET', `cannot connect to ${formatStreamAddress(address)}: ${err.message}`, { cause: err }));
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', failed);
      const s = new NodeStreamSocket(socket, unixPath !== undefined ? { path: unixPath } : remoteOf(socket, undefined), limits);
      s.handlers = handlers;
      resolve(s);
    });
  });
}

function boundAddress(server: net.Server, asked: StreamAddress): StreamAddress {
  if (isUnixAddress(asked)) return { path: asked.path };
  const a = server.address();
  return a !== null && typeof a === 'object' ? { host: a.address, port: a.port } : asked;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  return value;
}
