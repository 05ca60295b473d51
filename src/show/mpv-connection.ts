/**
 * The connection under an `MpvClient` (L1): one stream at a time to mpv's socket on the
 * runtime's stream port, JSON-line framing of what arrives, the first connection retried for
 * `openTimeoutMicros`, and after a loss a new one with backoff (doubling from `initial` to
 * `max`) until closed. A connection that lived through the longest backoff starts the backoff
 * afresh; one that keeps dying at once (something that accepts and hangs up) keeps it growing,
 * so nothing spins.
 * @module
 */
import { PhaselockError, toError } from '../core/errors.ts';
import { JsonLineFramer, type JsonFrame } from '../core/line-framer.ts';
import type { Clock, StreamAddress, StreamNetwork, StreamSocket, Timers } from '../core/runtime.ts';
import { formatStreamAddress } from '../core/stream-address.ts';

export interface MpvConnectionSettings {
  address: StreamAddress;
  connectTimeoutMicros: number;
  openTimeoutMicros: number;
  /** Backoff after a loss; undefined: no reconnection. */
  reconnect: { initialMicros: number; maxMicros: number } | undefined;
  maxLineLength: number;
}

export interface MpvConnectionHandlers {
  /** A connection is up (the first, or a new one after a loss). */
  connected(): void;
  /** What arrived on the current connection, line by line. Must not throw. */
  frame(frame: JsonFrame): void;
  /** The connection was lost (never called for `close()`); `reconnecting`: a new one is being sought. */
  lost(err: Error | undefined, reconnecting: boolean): void;
}

interface Link {
  socket: StreamSocket | undefined;
  framer: JsonLineFramer;
  alive: boolean;
  connectedAtMicros: number;
  error: Error | undefined;
}

export class MpvConnection {
  private link: Link | undefined;
  private delayMicros: number;
  private wake: (() => void) | undefined;
  private isClosed = false;

  constructor(
    private readonly runtime: { clock: Clock; timers: Timers; streams: StreamNetwork },
    private readonly settings: MpvConnectionSettings,
    private readonly handlers: MpvConnectionHandlers,
  ) {
    this.delayMicros = this.initialDelay;
  }

  get connected(): boolean {
    return this.link !== undefined;
  }

  /** `unix:/run/mpv.sock`, for messages. */
  get where(): string {
    return formatStreamAddress(this.settings.address);
  }

  /**
   * The first connection, retried with the backoff for `openTimeoutMicros`. Rejects with
   * E_UNAVAILABLE (the last attempt's error as the cause), E_CLOSED when closed meanwhile.
   */
  async open(): Promise<void> {
    const deadline = this.runtime.clock.micros() + this.settings.openTimeoutMicros;
    this.delayMicros = this.initialDelay;
    for (;;) {
      try {
        await this.attempt();
        this.delayMicros = this.initialDelay;
        return;
      } catch (err) {
        if (this.isClosed) throw closedError();
        const left = deadline - this.runtime.clock.micros();
        if (left <= 0) throw new PhaselockError('E_UNAVAILABLE', `no mpv at ${this.where}: ${toError(err).message}`, { cause: err });
        await this.sleep(Math.min(this.nextDelay(), left));
        if (this.isClosed) throw closedError();
      }
    }
  }

  /** A connection is up and takes lines. */
  get writable(): boolean {
    return this.link?.socket?.writable === true;
  }

  /** Queues a line; false when there is no connection to write to. */
  write(text: string): boolean {
    const socket = this.link?.socket;
    if (!socket?.writable) return false;
    socket.write(text); // false there is backpressure only: the line is queued
    return true;
  }

  /** Stops retrying, ends the connection; resolves once it is closed. Idempotent. */
  async close(): Promise<void> {
    this.isClosed = true;
    this.wake?.();
    const link = this.link;
    this.link = undefined;
    if (!link) return;
    link.alive = false;
    await link.socket?.end();
  }

  /** One attempt: a connection installed and announced, or a rejection. */
  private async attempt(): Promise<void> {
    const link: Link = { socket: undefined, framer: new JsonLineFramer(this.settings.maxLineLength), alive: true, connectedAtMicros: 0, error: undefined };
    const socket = await this.runtime.streams.connect(this.settings.address, {
      onData: (bytes) => this.receive(link, bytes),
      // No onEnd: mpv's EOF ends our side at once, then onClose.
      onError: (err) => { link.error = err; },
      onClose: () => this.lost(link),
    }, { timeoutMicros: this.settings.connectTimeoutMicros });
    link.socket = socket;
    if (this.isClosed || !link.alive) {
      socket.destroy();
      throw this.isClosed ? closedError() : new PhaselockError('E_SOCKET', `connection to ${this.where} closed at once`, { cause: link.error });
    }
    link.connectedAtMicros = this.runtime.clock.micros();
    this.link = link;
    this.handlers.connected();
  }

  private receive(link: Link, bytes: Uint8Array): void {
    if (!link.alive) return;
    for (const frame of link.framer.push(bytes)) {
      if (!link.alive) return; // closed by what the previous line caused
      this.handlers.frame(frame);
    }
  }

  private lost(link: Link): void {
    if (!link.alive) return;
    link.alive = false;
    if (this.link !== link) return; // not installed yet: attempt() sees it
    this.link = undefined;
    const backoff = this.settings.reconnect;
    if (backoff && this.runtime.clock.micros() - link.connectedAtMicros >= backoff.maxMicros) this.delayMicros = this.initialDelay;
    this.handlers.lost(link.error, backoff !== undefined && !this.isClosed);
    if (backoff && !this.isClosed) void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    while (!this.isClosed && !this.link) {
      await this.sleep(this.nextDelay());
      if (this.isClosed) return;
      try {
        await this.attempt();
      } catch {
        // Retried after the next, longer delay; the loss was reported once.
      }
    }
  }

  private sleep(micros: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.runtime.timers.setTimeout(() => { this.wake = undefined; resolve(); }, micros);
      this.wake = () => { timer.cancel(); this.wake = undefined; resolve(); };
    });
  }

  private nextDelay(): number {
    const d = this.delayMicros;
    this.delayMicros = Math.min(d * 2, this.settings.reconnect?.maxMicros ?? 2_000_000);
    return d;
  }

  private get initialDelay(): number {
    return this.settings.reconnect?.initialMicros ?? 50_000;
  }
}

function closedError(): PhaselockError {
  return new PhaselockError('E_CLOSED', 'mpv: open: the client was closed');
}
