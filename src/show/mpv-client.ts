/**
 * `MpvClient` (L1): mpv's JSON IPC (`mpv --input-ipc-server=PATH`) over the runtime's stream
 * port — requests with ids and timeouts, typed events, property observation, reconnect.
 *
 * - Requests: `command(...)` / `request([...], { timeoutMicros })` send
 *   `{"command":[…],"request_id":N}`; the reply with that id resolves with its `data`, or
 *   rejects with `MpvCommandError` (E_PROTOCOL, mpv's error text) — `E_TIMEOUT` when none comes
 *   in time. At most `maxPendingRequests` wait at once (one more rejects with E_STATE).
 * - Events: every event line is an `event`; the ones a show uses are typed events of their own
 *   (`property-change`, `start-file`, `end-file`, `file-loaded`, `seek`, `playback-restart`,
 *   `idle`, `shutdown`, `client-message`).
 * - `observeProperty(name, fn)`: `observe_property` with an id of ours; `fn` gets the value at
 *   once (mpv sends it) and on every change, undefined while the property is unavailable. The
 *   returned observation's `dispose()` sends `unobserve_property`.
 * - Connection loss (mpv quit, crashed, restarted): the requests waiting reject with
 *   `E_UNAVAILABLE`, `state` goes `disconnected`, and the client reconnects to the same socket
 *   with backoff (50 ms doubling to 2 s, until `close()`); on reconnection every observation is
 *   made again (its `fn` hears the current value) before `state` goes `connected`. **Requests
 *   made while disconnected reject at once with `E_UNAVAILABLE`** rather than wait: a command
 *   queued across an mpv restart would act on a player that has lost its state (a seek into a
 *   file no longer loaded, a stale pause) — the owner re-applies what it wants on `connected`.
 * - Hostile or broken input never throws and never ends the connection: lines over
 *   `maxLineLength` (1 MiB), lines that are not JSON, values that are neither reply nor event,
 *   replies to ids that are not waiting — each is a rate-limited `warning` and is dropped. A
 *   reply that comes after its request timed out is dropped quietly.
 *
 * Lifecycle (docs/architecture.md §3): the constructor only wires; `open()` connects; `close()`
 * rejects what waits with E_CLOSED, ends the connection and resolves once it is closed.
 * @example
 * await using mpv = await new MpvClient(nodeRuntime(), { socket: '/run/show/mpv.sock' }).open();
 * mpv.observeProperty('time-pos', (seconds) => console.log(seconds));
 * await mpv.command('loadfile', '/srv/show/intro.mp4');
 * await mpv.setProperty('pause', false);
 * @module
 */
import { nonNegative } from '../core/checks.ts';
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, toError, type PhaselockErrorCode } from '../core/errors.ts';
import { DEFAULT_MAX_JSON_LINE_LENGTH, type JsonFrame } from '../core/line-framer.ts';
import type { Clock, StreamAddress } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import {
  count, positiveMicros, propertyName, toAddress,
  type MpvClientEvents, type MpvClientOptions, type MpvClientState, type MpvRequestOptions, type MpvRuntime,
} from './mpv-client-types.ts';
import { MpvConnection } from './mpv-connection.ts';
import { PendingRequests } from './mpv-pending.ts';
import { encodeMpvCommand, MpvObservers, type MpvObservation } from './mpv-observers.ts';
import {
  classifyMpvMessage, describeCommand, endFileOf, excerpt, isPropertyValue, propertyChangeOf, startFileOf,
  type MpvEvent, type MpvPropertyName, type MpvPropertyTypes,
} from './mpv-protocol.ts';

export type { MpvObservation };
export type { MpvClientEvents, MpvClientOptions, MpvClientState, MpvReconnectOptions, MpvRequestOptions, MpvRuntime } from './mpv-client-types.ts';

type PlainEvent = 'file-loaded' | 'seek' | 'playback-restart' | 'idle' | 'shutdown';
const PLAIN_EVENTS: ReadonlySet<string> = new Set<PlainEvent>(['file-loaded', 'seek', 'playback-restart', 'idle', 'shutdown']);

const WARNINGS_PER_SECOND = 20;

export class MpvClient extends Emitter<MpvClientEvents> {
  /** Where mpv listens. */
  readonly address: StreamAddress;
  private readonly clock: Clock;
  private readonly connection: MpvConnection;
  private readonly pending: PendingRequests;
  private readonly observers: MpvObservers;
  private readonly warnings = new WarningLimiter(WARNINGS_PER_SECOND);
  private readonly requestTimeoutMicros: number;
  private stateValue: Exclude<MpvClientState, 'closed'> = 'idle';
  private opening: Promise<this> | undefined;
  private closing: Promise<void> | undefined;

  /** Wires only: nothing connects before `open()`. */
  constructor(runtime: MpvRuntime, options: MpvClientOptions) {
    super();
    if (!runtime.streams) throw new TypeError('MpvClient: the runtime has no stream port (runtime.streams)');
    this.clock = runtime.clock;
    this.address = toAddress(options.socket);
    this.requestTimeoutMicros = positiveMicros('requestTimeoutMicros', options.requestTimeoutMicros ?? 5_000_000);
    const open = options.openTimeoutMicros ?? 0;
    const r = options.reconnect ?? {};
    this.connection = new MpvConnection({ clock: runtime.clock, timers: runtime.timers, streams: runtime.streams }, {
      address: this.address,
      connectTimeoutMicros: positiveMicros('connectTimeoutMicros', options.connectTimeoutMicros ?? 2_000_000),
      openTimeoutMicros: open === Infinity ? Infinity : nonNegative('openTimeoutMicros', open),
      reconnect: r === false ? undefined : {
        initialMicros: positiveMicros('reconnect.initialDelayMicros', r.initialDelayMicros ?? 50_000),
        maxMicros: positiveMicros('reconnect.maxDelayMicros', r.maxDelayMicros ?? 2_000_000),
      },
      maxLineLength: count('maxLineLength', options.maxLineLength ?? DEFAULT_MAX_JSON_LINE_LENGTH),
    }, {
      connected: () => this.onConnected(),
      frame: (frame) => this.onFrame(frame),
      lost: (err, reconnecting) => this.onLost(err, reconnecting),
    });
    this.pending = new PendingRequests(runtime.timers, count('maxPendingRequests', options.maxPendingRequests ?? 256));
    this.observers = new MpvObservers(count('maxObservers', options.maxObservers ?? 256), {
      send: (command) => this.send(command),
      connected: () => this.connection.connected && !this.closing,
      warn: (code, message) => this.warn(code, message),
    });
  }

  get state(): MpvClientState {
    return this.closing ? 'closed' : this.stateValue;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** Requests waiting for mpv's reply. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /**
   * Connects (retrying for `openTimeoutMicros`); resolves with this once connected. Rejects
   * with E_UNAVAILABLE when no mpv answers at the socket (the cause says why: ENOENT,
   * ECONNREFUSED, …; `open()` may be called again), E_CLOSED once closed. Idempotent.
   */
  open(): Promise<this> {
    if (this.closing) return Promise.reject(closedError('open'));
    this.stateValue = this.stateValue === 'idle' ? 'connecting' : this.stateValue;
    this.opening ??= this.connection.open().then(() => this, (err: unknown) => {
      this.opening = undefined;
      if (this.stateValue === 'connecting') this.stateValue = 'idle';
      throw err;
    });
    return this.opening;
  }

  /**
   * Sends `[name, ...args]`; resolves with the reply's data (undefined when mpv sends none).
   * Rejects with `MpvCommandError` (E_PROTOCOL) on mpv's error, E_TIMEOUT, E_UNAVAILABLE
   * (disconnected, or the connection was lost before the reply), E_STATE (before `open()`,
   * or too many waiting), E_CLOSED. Throws TypeError for a command JSON cannot carry.
   * @example await mpv.command('seek', 12.5, 'absolute');
   */
  command(name: string, ...args: unknown[]): Promise<unknown> {
    return this.request([name, ...args]);
  }

  /** `command` with options (a timeout of its own). */
  request(command: readonly unknown[], options: MpvRequestOptions = {}): Promise<unknown> {
    const text = encodeMpvCommand(command);
    const timeout = options.timeoutMicros === undefined ? this.requestTimeoutMicros : positiveMicros('timeoutMicros', options.timeoutMicros);
    return this.send(command, text, timeout);
  }

  /**
   * A property's value, checked against its known type (`MpvPropertyTypes`; E_PROTOCOL when it
   * does not match). mpv's "property unavailable" (no file loaded yet) is an `MpvCommandError`.
   */
  getProperty<K extends MpvPropertyName>(name: K, options?: MpvRequestOptions): Promise<MpvPropertyTypes[K]>;
  getProperty(name: string, options?: MpvRequestOptions): Promise<unknown>;
  getProperty(name: string, options?: MpvRequestOptions): Promise<unknown> {
    propertyName(name);
    return this.request(['get_property', name], options).then((data) => {
      if (isPropertyValue(name, data)) return data;
      throw new PhaselockError('E_PROTOCOL', `mpv: property ${name} has an unexpected value ${excerpt(String(JSON.stringify(data)))}`);
    });
  }

  /** Sets a property; resolves once mpv has applied it. */
  setProperty<K extends MpvPropertyName>(name: K, value: MpvPropertyTypes[K], options?: MpvRequestOptions): Promise<void>;
  setProperty(name: string, value: unknown, options?: MpvRequestOptions): Promise<void>;
  setProperty(name: string, value: unknown, options?: MpvRequestOptions): Promise<void> {
    propertyName(name);
    return this.request(['set_property', name, value], options).then(() => undefined);
  }

  /**
   * Observes a property: `fn(value, name)` now (mpv sends the current value) and on every
   * change, again after each reconnection; undefined while it is unavailable. May be called
   * before `open()`. Throws E_STATE past `maxObservers`, E_CLOSED once closed.
   * @example
   * using pos = mpv.observeProperty('time-pos', (s) => { if (s !== undefined) show.at(s); });
   */
  observeProperty<K extends MpvPropertyName>(name: K, fn: (value: MpvPropertyTypes[K] | undefined, name: K) => void): MpvObservation;
  observeProperty(name: string, fn: (value: unknown, name: string) => void): MpvObservation;
  observeProperty(name: string, fn: (value: any, name: any) => void): MpvObservation {
    propertyName(name);
    if (typeof fn !== 'function') throw new TypeError('observeProperty: fn must be a function');
    if (this.closing) throw closedError('observeProperty');
    return this.observers.add(name, fn);
  }

  /**
   * Rejects what waits with E_CLOSED, ends the connection and resolves once it is closed (mpv
   * drops our observations itself). Idempotent; never rejects.
   */
  close(): Promise<void> {
    // The state changes on the next microtask: `closing` is set first, so a listener of what
    // the shutdown emits that calls close() again gets this promise.
    this.closing ??= Promise.resolve().then(() => this.shutDown());
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected override onListenerError(err: unknown): void {
    this.warn('E_STATE', `mpv: an event listener threw: ${toError(err).message}`);
  }

  private async shutDown(): Promise<void> {
    const wasConnected = this.connection.connected;
    const ending = this.connection.close();
    this.pending.rejectAll((command) => closedError(describeCommand(command)));
    this.observers.clear();
    if (wasConnected) this.emit('state', 'disconnected');
    await ending;
    this.emit('close');
  }

  private send(command: readonly unknown[], text = JSON.stringify(command), timeoutMicros = this.requestTimeoutMicros): Promise<unknown> {
    if (this.closing) return Promise.reject(closedError(describeCommand(command)));
    if (!this.connection.writable) {
      return Promise.reject(this.stateValue === 'idle' || this.stateValue === 'connecting'
        ? new PhaselockError('E_STATE', `mpv: ${describeCommand(command)}: not connected yet (await open())`)
        : new PhaselockError('E_UNAVAILABLE', `mpv: ${describeCommand(command)}: not connected to mpv at ${this.connection.where} (reconnecting)`));
    }
    let added: { id: number; reply: Promise<unknown> };
    try {
      added = this.pending.add(command, timeoutMicros);
    } catch (err) {
      return Promise.reject(err);
    }
    this.connection.write(`{"command":${text},"request_id":${added.id}}\n`);
    return added.reply;
  }

  // ------------------------------------------------------------------ connection events

  private onConnected(): void {
    this.stateValue = 'connected';
    this.observers.observeAll();
    this.emit('state', 'connected');
  }

  private onLost(err: Error | undefined, reconnecting: boolean): void {
    this.pending.rejectAll((command) => new PhaselockError('E_UNAVAILABLE', `mpv: ${describeCommand(command)}: the connection to mpv was lost before it replied`));
    if (this.closing) return;
    this.stateValue = 'disconnected';
    this.warn('E_SOCKET', `mpv: connection to ${this.connection.where} lost${err ? ` (${err.message})` : ''}${reconnecting ? '; reconnecting' : ''}`);
    this.emit('state', 'disconnected');
    if (!reconnecting) void this.close();
  }

  // ------------------------------------------------------------------ receive path (never throws)

  private onFrame(frame: JsonFrame): void {
    if (this.closing) return;
    try {
      this.handle(frame);
    } catch (err) {
      this.warn('E_STATE', `mpv: a line could not be handled: ${toError(err).message}`);
    }
  }

  private handle(frame: JsonFrame): void {
    if (frame.kind === 'error') {
      this.warn('E_PROTOCOL', `mpv sent a bad line: ${frame.message}`);
      return;
    }
    const message = classifyMpvMessage(frame.value);
    if (message.kind === 'invalid') {
      this.warn('E_PROTOCOL', `mpv sent an unexpected line: ${message.reason}`);
    } else if (message.kind === 'reply') {
      if (this.pending.settle(message) === 'unknown') {
        this.warn('E_PROTOCOL', `mpv replied to request_id ${message.requestId}, which is not waiting`);
      }
    } else {
      this.dispatch(message.event);
    }
  }

  private dispatch(e: MpvEvent): void {
    switch (e.event) {
      case 'property-change': {
        const change = propertyChangeOf(e);
        if (!change) {
          this.warn('E_PROTOCOL', 'mpv sent a property-change without a valid id and name');
          return;
        }
        this.observers.deliver(change);
        this.emit('property-change', change);
        break;
      }
      case 'start-file': this.emit('start-file', startFileOf(e)); break;
      case 'end-file': this.emit('end-file', endFileOf(e)); break;
      case 'client-message': {
        const args = Array.isArray(e.args) ? e.args.filter((a): a is string => typeof a === 'string') : [];
        this.emit('client-message', args);
        break;
      }
      default:
        if (PLAIN_EVENTS.has(e.event)) this.emit(e.event as PlainEvent);
    }
    this.emit('event', e);
  }

  private warn(code: PhaselockErrorCode, message: string): void {
    if (this.listenerCount('warning') === 0) return;
    const text = this.warnings.admit(message, this.clock.micros());
    if (text !== undefined) this.emit('warning', new PhaselockError(code, text));
  }
}

function closedError(what: string): PhaselockError {
  return new PhaselockError('E_CLOSED', `mpv: ${what}: the client was closed`);
}
