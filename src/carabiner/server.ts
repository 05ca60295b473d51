/**
 * The Carabiner server (L1): listens on the runtime's stream port and serves every connection
 * with a `CarabinerSession` (session.ts) on one timeline source (phaselock's `Link`).
 *
 * Lifecycle (DESIGN §5): the constructor only wires; `listen()` binds; `close()` stops
 * accepting, hands every client what it is owed (a status line still due, whole lines only),
 * ends each connection once that is flushed and resolves when every socket is closed (a client
 * that neither reads nor closes is cut after the stream port's end timeout, 2 s on Node). The
 * server closes by itself when its timeline source closes. A closed server throws E_CLOSED.
 *
 * Robustness against clients (a stranger can connect): per-connection memory is bounded (the
 * session's line cap; the stream port's output cap `maxPendingBytes`, past which a client that
 * does not read is dropped); a client past `maxConnections` gets one `too-many-connections N`
 * line and EOF; a client vanishing mid-line, resetting or half-closing affects only itself
 * (a half-closed client still gets the answers to what it sent, then EOF).
 * @module
 */
import { PhaselockError, toError } from '../core/errors.ts';
import type { StreamHandlers, StreamNetwork, StreamServer, StreamSocket, TcpAddress, Timers } from '../core/runtime.ts';
import { formatStreamAddress, isUnixAddress } from '../core/stream-address.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import { formatTooManyConnections } from './protocol.ts';
import { CarabinerSession, type CarabinerLink } from './session.ts';

export interface CarabinerServerOptions {
  /** The stream port (`runtime.streams`; `FakeStreams` in tests). */
  streams: StreamNetwork;
  /** The timeline served (phaselock's `Link`). */
  link: CarabinerLink;
  /** Timers for the sessions' quiet-pause flush (default `link.timers`). */
  timers?: Timers;
  /** Default 127.0.0.1 (Carabiner is for programs on the same host). */
  host?: string;
  /** Default 17000; 0 picks a free port. */
  port?: number;
  /**
   * Clients served at once (default 256); one more gets `too-many-connections N` and EOF. A
   * flood of more than 64 further connections at once is closed bare by the stream port.
   */
  maxConnections?: number;
  /** Unsent response bytes after which a client that does not read is dropped (default 1 MiB). */
  maxPendingBytes?: number;
  /** See CarabinerSessionOptions.idleFlushMicros. */
  idleFlushMicros?: number;
  version?: string;
  /** Called whenever the number of clients served changes. */
  onConnections?(count: number): void;
  /** Unexpected errors (a bug in a session, a failing listener). */
  onError?(err: Error): void;
  /** What clients did to us (dropped for not reading, refused over the limit, reset), at most 10 a second. */
  onWarning?(err: PhaselockError): void;
}

/** Connections beyond the limit that may still be waiting for their refusal line; past that, the port closes them bare. */
const REFUSAL_SLACK = 64;

interface Client {
  socket: StreamSocket;
  session: CarabinerSession;
}

/**
 * Serves the Carabiner protocol on a stream port.
 * @example
 * const runtime = nodeRuntime();
 * await using link = new Link({ runtime });
 * await using server = await new CarabinerServer({ streams: runtime.streams!, link, port: 17000 }).listen();
 * link.enable();
 */
export class CarabinerServer {
  private readonly clients = new Set<Client>();
  private readonly maxConnections: number;
  private readonly warnings = new WarningLimiter(10);
  private handle: StreamServer | undefined;
  private listening: Promise<this> | undefined;
  private closing: Promise<void> | undefined;
  private readonly onSourceClose = (): void => void this.close();

  /** Wires only: nothing listens before `listen()`. */
  constructor(private readonly options: CarabinerServerOptions) {
    const max = options.maxConnections ?? 256;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxConnections must be an integer >= 1, got ${max}`);
    this.maxConnections = max;
  }

  /**
   * Binds and starts serving; resolves with this. Rejects with `E_SOCKET` when the address
   * cannot be bound (in use, no permission), `E_CLOSED` once closed. Idempotent.
   */
  listen(): Promise<this> {
    if (this.closing) return Promise.reject(closedError('listen'));
    if (this.options.link.closed) return Promise.reject(new PhaselockError('E_CLOSED', 'CarabinerServer.listen: the timeline source is closed'));
    this.listening ??= this.bind();
    return this.listening;
  }

  /** Where it listens. Throws E_STATE before `listen()` resolved. */
  get address(): TcpAddress {
    const a = this.handle?.address;
    if (!a || isUnixAddress(a)) throw new PhaselockError('E_STATE', 'CarabinerServer.address: not listening');
    return a;
  }

  get port(): number {
    return this.address.port;
  }

  /** Clients being served (not counting refused ones). */
  get connections(): number {
    return this.clients.size;
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Stops accepting; every client gets what it is owed (a status line still due), then EOF.
   * Resolves once every connection is closed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async bind(): Promise<this> {
    const { streams, host = '127.0.0.1', port = 17000, maxPendingBytes } = this.options;
    const handle = await streams.listen({ host, port }, {
      onConnection: (socket) => this.accept(socket),
      onError: (err) => this.options.onError?.(err),
    }, {
      maxConnections: this.maxConnections + REFUSAL_SLACK,
      ...(maxPendingBytes !== undefined ? { maxBufferedBytes: maxPendingBytes } : {}),
    });
    this.handle = handle;
    if (this.closing) {
      await handle.close();
      throw closedError('listen');
    }
    this.options.link.on('close', this.onSourceClose);
    return this;
  }

  private async shutDown(): Promise<void> {
    this.options.link.off('close', this.onSourceClose);
    await this.listening?.catch(() => undefined);
    // Sessions first: what they owe is written before the port ends each connection.
    await Promise.all([...this.clients].map((c) => c.session.close()));
    await this.handle?.close();
  }

  private accept(socket: StreamSocket): StreamHandlers {
    if (this.closing || this.clients.size >= this.maxConnections) return this.refuse(socket);
    const client: Client = { socket, session: this.makeSession(socket) };
    this.clients.add(client);
    this.options.onConnections?.(this.clients.size);
    try {
      client.session.open(); // the greeting
    } catch (err) {
      this.drop(client, err);
    }
    return {
      onData: (bytes) => {
        if (client.session.isClosed) return;
        try {
          client.session.receive(bytes);
        } catch (err) {
          this.drop(client, err);
        }
      },
      // Read side ended: a partial line is dropped (never half a command); what was answered
      // is flushed, then our side ends.
      onEnd: () => {
        void client.session.close();
        void socket.end();
      },
      onError: (err) => this.warn(`client ${formatStreamAddress(socket.remote)}: ${err.message}`),
      onClose: () => {
        void client.session.close();
        if (this.clients.delete(client)) this.options.onConnections?.(this.clients.size);
      },
    };
  }

  private makeSession(socket: StreamSocket): CarabinerSession {
    const { link, timers = link.timers, idleFlushMicros, version } = this.options;
    const session: CarabinerSession = new CarabinerSession({
      link,
      timers,
      send: (text) => void socket.write(text),
      onError: (err) => {
        this.options.onError?.(err);
        void session.close();
        socket.destroy();
      },
      ...(idleFlushMicros !== undefined ? { idleFlushMicros } : {}),
      ...(version !== undefined ? { version } : {}),
    });
    return session;
  }

  /** One line saying why, then EOF; whatever the client sends meanwhile is discarded. */
  private refuse(socket: StreamSocket): StreamHandlers {
    socket.write(`${formatTooManyConnections(this.maxConnections)}\n`);
    void socket.end();
    if (!this.closing) this.warn(`client ${formatStreamAddress(socket.remote)} refused: ${this.maxConnections} clients already connected`);
    return { onData: () => undefined };
  }

  /** A bug in a session: report it, drop that client only. */
  private drop(client: Client, err: unknown): void {
    this.options.onError?.(toError(err));
    void client.session.close();
    client.socket.destroy();
  }

  private warn(message: string): void {
    if (!this.options.onWarning) return;
    const text = this.warnings.admit(message, this.options.link.clock.micros());
    if (text !== undefined) this.options.onWarning(new PhaselockError('E_SOCKET', `carabiner: ${text}`));
  }
}

function closedError(what: string): PhaselockError {
  return new PhaselockError('E_CLOSED', `CarabinerServer.${what}: this server was closed`);
}
