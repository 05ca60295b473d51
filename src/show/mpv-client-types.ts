/**
 * The options, events and states of `MpvClient`, and the checks of its arguments.
 * @module
 */
import { nonNegative } from '../core/checks.ts';
import type { PhaselockError } from '../core/errors.ts';
import type { Clock, StreamAddress, StreamNetwork, Timers } from '../core/runtime.ts';
import type { MpvEndFile, MpvEvent, MpvPropertyChange, MpvStartFile } from './mpv-protocol.ts';

/** What the client takes of a `Runtime` (a whole one will do). */
export interface MpvRuntime {
  clock: Clock;
  timers: Timers;
  streams?: StreamNetwork;
}

export interface MpvReconnectOptions {
  /** First wait after a loss (default 50 ms); doubles per failed attempt. */
  initialDelayMicros?: number;
  /** Longest wait between attempts (default 2 s). */
  maxDelayMicros?: number;
}

export interface MpvClientOptions {
  /** mpv's `--input-ipc-server` path (a unix socket), or any stream address (a TCP relay). */
  socket: string | StreamAddress;
  /** Default timeout per request (default 5 s). */
  requestTimeoutMicros?: number;
  /** One connection attempt gives up after this long (default 2 s). */
  connectTimeoutMicros?: number;
  /**
   * How long `open()` keeps trying (with the reconnect backoff) before it rejects with
   * E_UNAVAILABLE: default 0, one attempt (attach to an mpv that runs); Infinity waits for one.
   */
  openTimeoutMicros?: number;
  /** Reconnect after a loss (default on); false: the client closes itself when mpv goes away. */
  reconnect?: MpvReconnectOptions | false;
  /** Requests waiting for a reply at once (default 256). */
  maxPendingRequests?: number;
  /** Observations at once (default 256). */
  maxObservers?: number;
  /** Longest line accepted from mpv, in characters (default 1 MiB). */
  maxLineLength?: number;
}

export interface MpvRequestOptions {
  /** This request's timeout (default the client's `requestTimeoutMicros`). */
  timeoutMicros?: number;
}

/** `idle` until `open()`, then `connecting`, `connected`/`disconnected` (reconnecting), `closed`. */
export type MpvClientState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface MpvClientEvents {
  /** Connected (first time and after every reconnection, observations made again) or lost. */
  state: ['connected' | 'disconnected'];
  /** Every event line from mpv, as sent. */
  event: [MpvEvent];
  'property-change': [MpvPropertyChange];
  'start-file': [MpvStartFile];
  'end-file': [MpvEndFile];
  'file-loaded': [];
  seek: [];
  'playback-restart': [];
  idle: [];
  shutdown: [];
  /** `script-message` arguments sent to clients. */
  'client-message': [string[]];
  warning: [PhaselockError];
  close: [];
}

// ------------------------------------------------------------------------------------------
// Argument checks (TypeError/RangeError at once, naming what is accepted)

export function toAddress(socket: string | StreamAddress): StreamAddress {
  if (typeof socket === 'string') {
    if (socket.length === 0) throw new TypeError('MpvClient: socket must be a path or a stream address');
    return { path: socket };
  }
  if (typeof socket !== 'object' || socket === null) throw new TypeError('MpvClient: socket must be a path or a stream address');
  return socket;
}

export function propertyName(name: unknown): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
    throw new TypeError(`an mpv property name is a string of 1 to 256 characters, got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`);
  }
}

export function positiveMicros(name: string, v: number): number {
  const n = nonNegative(name, v);
  if (n === 0) throw new RangeError(`${name} must be > 0 µs, got 0`);
  return n;
}

export function count(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
  return v;
}
