/**
 * The TCP side of `phaselock carabiner`: a net.Server whose every connection is a
 * `CarabinerSession` (src/carabiner/session.ts). Binds 127.0.0.1 unless told otherwise.
 * Robustness: per-connection memory is bounded (line cap in the session's framer, and a
 * connection whose unread output passes `maxPendingBytes` is dropped); a client vanishing
 * mid-line, resetting or half-closing affects only itself.
 * @module
 */
import net from 'node:net';
import { CarabinerSession, type CarabinerLink } from '../carabiner/session.ts';
import { nodeTimers } from '../node/link/node-runtime.ts';

export interface CarabinerServerOptions {
  link: CarabinerLink;
  /** Default 127.0.0.1 (Carabiner is for programs on the same host). */
  host?: string;
  /** Default 17000; 0 picks a free port. */
  port?: number;
  /** Connections beyond this are refused (default 256). */
  maxConnections?: number;
  /** Unread response bytes after which a client is dropped (default 1 MiB). */
  maxPendingBytes?: number;
  /** See CarabinerSessionOptions.idleFlushMicros. */
  idleFlushMicros?: number;
  version?: string;
  /** Called whenever the number of open connections changes. */
  onConnections?(count: number): void;
  /** Unexpected errors (a bug in a session, a failing socket). */
  onError?(err: Error): void;
}

export class CarabinerServer {
  private readonly sockets = new Set<net.Socket>();
  private closing: Promise<void> | undefined;

  private constructor(private readonly server: net.Server, private readonly options: CarabinerServerOptions) {}

  /** Starts listening; rejects on EADDRINUSE, EACCES, … */
  static async listen(options: CarabinerServerOptions): Promise<CarabinerServer> {
    const server = net.createServer({ noDelay: true });
    const self = new CarabinerServer(server, options);
    server.maxConnections = options.maxConnections ?? 256;
    server.on('connection', (socket) => self.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 17000, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => options.onError?.(err));
    return self;
  }

  get address(): net.AddressInfo {
    return this.server.address() as net.AddressInfo;
  }

  get port(): number {
    return this.address.port;
  }

  get connections(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    const maxPending = this.options.maxPendingBytes ?? 1 << 20;
    socket.setEncoding('utf8');
    this.sockets.add(socket);
    this.options.onConnections?.(this.sockets.size);
    let session: CarabinerSession | undefined;
    const drop = (err?: Error) => {
      if (err) this.options.onError?.(err);
      session?.close();
      socket.destroy();
    };
    socket.on('error', () => session?.close()); // ECONNRESET & co: 'close' follows
    socket.on('close', () => {
      session?.close();
      if (this.sockets.delete(socket)) this.options.onConnections?.(this.sockets.size);
    });
    // Read side ended: a partial line is dropped (the session never runs half a command);
    // responses already queued still go out before our side ends (allowHalfOpen is false).
    socket.on('end', () => session?.close());
    try {
      session = new CarabinerSession({
        link: this.options.link,
        timers: nodeTimers,
        ...(this.options.idleFlushMicros !== undefined ? { idleFlushMicros: this.options.idleFlushMicros } : {}),
        ...(this.options.version !== undefined ? { version: this.options.version } : {}),
        send: (text) => {
          if (socket.destroyed || !socket.writable) return;
          // A client that does not read must not grow our memory without bound.
          if (socket.writableLength > maxPending) drop();
          else socket.write(text);
        },
      });
    } catch (err) {
      drop(err as Error);
      return;
    }
    const s = session;
    socket.on('data', (chunk: string) => {
      try {
        s.receive(chunk);
      } catch (err) {
        drop(err as Error);
      }
    });
  }

  /** Stops listening and drops every client. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }
}
