/**
 * The injected runtime of every L1 state machine: clock, timers, UDP, streams and randomness.
 * `src/node` provides the real one, `phaselock/testing` a virtual one.
 * @module
 */

/** Host time source: integer microseconds from one monotonic clock. */
export interface Clock {
  micros(): number;
}

export interface TimerHandle {
  cancel(): void;
}

/** Protocol timers, kept apart from the host Clock (an audio clock may replace the latter). */
export interface Timers {
  /** Calls `fn` once after `delayMicros` (≥ 0). */
  setTimeout(fn: () => void, delayMicros: number): TimerHandle;
}

/**
 * "Call this function at that host instant" (for outputs that must be called at the instant).
 * Plain Timers are one implementation (`timerPreciseTimers` in `phaselock/sched`: exact on
 * VirtualTime, ±1–2 ms on an event loop); the Node runtime offers a precise one.
 */
export interface PreciseTimers {
  /** Calls `fn` once, as close as the implementation can to host time `atMicros` (never before). */
  callAt(fn: () => void, atMicros: number): TimerHandle;
}

export interface UdpRemote {
  address: string;
  port: number;
}

export interface UdpSocket {
  /** Sends one datagram; never throws: errors are reported through the socket's `onError`. */
  send(data: Uint8Array, port: number, address: string): void;
  /** Closes once what was sent has gone out; the promise (if any) resolves then. */
  close(): void | Promise<void>;
}

export interface UdpOpenOptions {
  /** Local interface address to bind (and, for multicast, to join on). */
  interfaceAddress: string;
  /** 0 (default) = ephemeral port. */
  port?: number;
  /** Join this group on `interfaceAddress` and receive datagrams sent to it on `port`. */
  multicastGroup?: string;
  /** Enable multicast loopback for sends from this socket (only loopback gateways, spec 01 §2). */
  multicastLoopback?: boolean;
  /** The socket is bound (called after `openUdp` has returned, never from inside it). */
  onListening(port: number): void;
  /** `receivedAtMicros`: host time stamped as early as the runtime can (for clock measurement). */
  onMessage(data: Uint8Array, from: UdpRemote, receivedAtMicros?: number): void;
  onError(err: Error): void;
}

export interface InterfaceAddress {
  name: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  internal: boolean;
  /** CIDR prefix length. */
  prefixLength: number;
}

export interface Network {
  openUdp(options: UdpOpenOptions): UdpSocket;
  interfaces(): InterfaceAddress[];
  /**
   * How late (µs) this runtime reads a datagram's receive time after it arrived, and how long
   * after the clock read before `send` the datagram leaves. Clock measurement corrects for both
   * (default 0).
   */
  readonly latency?: { receiveMicros: number; sendMicros: number };
}

export interface Random {
  bytes(n: number): Uint8Array;
  /** Uniform in [0, 1). */
  float(): number;
}

export interface Runtime {
  clock: Clock;
  timers: Timers;
  network: Network;
  random: Random;
  /** Precise timers on `clock`, when the runtime has better ones than `timers` (Node does). */
  preciseTimers?: PreciseTimers;
  /** TCP and unix-domain stream sockets, when the runtime has them (Node does; a browser does not). */
  streams?: StreamNetwork;
}

// ------------------------------------------------------------------------------------------
// Streams: byte streams over TCP and unix-domain sockets (Carabiner, mpv's JSON IPC, the bridge).

/** A TCP endpoint. `host` is an IP literal or a name; `port` 0 in `listen` picks a free port. */
export interface TcpAddress {
  host: string;
  port: number;
}

/** A unix-domain socket, by its path in the file system. */
export interface UnixAddress {
  path: string;
}

export type StreamAddress = TcpAddress | UnixAddress;

/**
 * What a stream socket tells its owner; every callback is optional but `onData`. Called from the
 * runtime's event loop, never from inside a call into the socket (`write`, `end`, `destroy`), and
 * never after `onClose`. A callback that throws is reported through `onError` and the socket is
 * destroyed (a bug in the owner must not take the process down).
 */
export interface StreamHandlers {
  /** Bytes received, in order. The array is the owner's to keep. */
  onData(data: Uint8Array): void;
  /**
   * The peer ended its side (half-close): no more data will come; we may still write, then
   * `end()`. Without this handler our side is ended at once (after what was written).
   */
  onEnd?(): void;
  /** `bufferedBytes` fell back below the high-water mark after `write` returned false. */
  onDrain?(): void;
  /** The connection failed (reset, broken pipe, output over `maxBufferedBytes`, …); `onClose` follows. */
  onError?(err: Error): void;
  /** The socket is closed for good: the last callback. */
  onClose?(): void;
}

export interface StreamSocket {
  /** The other end: a TCP address, or the socket path (both ends of a unix socket report it). */
  readonly remote: StreamAddress;
  /** Bytes written and not yet handed to the operating system. */
  readonly bufferedBytes: number;
  /** The output cap: a write that would buffer more destroys the socket (an `E_SOCKET` error). */
  readonly maxBufferedBytes: number;
  /** True until `end()` or `destroy()` was called or the socket closed. */
  readonly writable: boolean;
  /** True once `onClose` was delivered. */
  readonly closed: boolean;
  /**
   * Queues bytes (a string goes out as UTF-8; an array may be sent later, so leave it unchanged
   * after the call). Returns false when the caller should wait for
   * `onDrain` before writing more (backpressure), and for a write that was dropped because the
   * socket is no longer writable. Never throws. A write that would take `bufferedBytes` beyond
   * `maxBufferedBytes` (a peer that does not read) destroys the socket with an `E_SOCKET`
   * error through `onError`.
   */
  write(data: Uint8Array | string): boolean;
  /**
   * Ends our side once everything written has been flushed; the socket closes when the peer has
   * ended its side too. Resolves once the socket is closed: at the latest after the runtime's end
   * timeout, when it is destroyed (a peer that neither reads nor closes cannot hold it open).
   * Idempotent; never rejects.
   */
  end(): Promise<void>;
  /** Closes at once, dropping what was not flushed. Idempotent. */
  destroy(): void;
}

export interface StreamServerHandlers {
  /**
   * A peer connected: return the handlers for its socket (called before any of its data is
   * delivered). A callback that throws destroys that connection and is reported to `onError`.
   */
  onConnection(socket: StreamSocket): StreamHandlers;
  /** A failure of the listener itself after it started (accept errors, …), or of a connection callback. */
  onError?(err: Error): void;
}

export interface StreamServer {
  /** Where it listens (the port chosen when 0 was asked for). */
  readonly address: StreamAddress;
  /** Connections accepted and not yet closed. */
  readonly connections: number;
  /**
   * Stops accepting, ends every open connection (what was written to it is flushed first, as by
   * `end()`) and resolves once the listener and every connection are closed. Idempotent.
   */
  close(): Promise<void>;
}

export interface StreamOptions {
  /** Output cap per connection, in bytes (default: the runtime's, 1 MiB on Node). */
  maxBufferedBytes?: number;
}

export interface StreamListenOptions extends StreamOptions {
  /**
   * A hard cap on open connections: beyond it a connection is closed by the runtime at once,
   * before `onConnection` (a backstop against connection floods; protocols with a polite refusal
   * enforce their own, lower limit). Default none.
   */
  maxConnections?: number;
}

export interface StreamConnectOptions extends StreamOptions {
  /** Give up connecting after this long (default: the runtime's, 10 s on Node). */
  timeoutMicros?: number;
}

/**
 * The stream port of the runtime: listen for and open byte-stream connections. Operations
 * that fail reject their promise with a `PhaselockError` (`E_SOCKET`, `E_TIMEOUT`) whose
 * `cause` is the runtime's error; once a socket exists, its failures go to its handlers.
 */
export interface StreamNetwork {
  /** Starts listening; rejects if the address cannot be bound (in use, no permission, …). */
  listen(address: StreamAddress, handlers: StreamServerHandlers, options?: StreamListenOptions): Promise<StreamServer>;
  /** Connects; rejects if the peer cannot be reached (refused, no such socket, timeout). */
  connect(address: StreamAddress, handlers: StreamHandlers, options?: StreamConnectOptions): Promise<StreamSocket>;
}

