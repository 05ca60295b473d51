/**
 * The injected runtime of every L1 state machine: clock, timers, UDP and randomness.
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
}
