/**
 * One end of an in-memory stream connection (used by `FakeStreams`): bytes travel to the peer
 * after a latency on VirtualTime, through a window the peer's reader must drain (its "kernel
 * buffers"); what does not fit waits in our output queue (`bufferedBytes`) — so a peer that reads
 * slowly or not at all produces backpressure and, past the cap, the same `E_SOCKET` destroy as
 * the Node runtime. Half-close as TCP with `allowHalfOpen`: each side ends its own direction; the
 * socket closes once both have.
 * @module
 */
import { PhaselockError, toError } from '../core/errors.ts';
import type { StreamAddress, StreamHandlers, StreamSocket, TimerHandle } from '../core/runtime.ts';
import type { VirtualTime } from './virtual-time.ts';

/** How one fake connection behaves (FakeStreams fills it from its options). */
export interface FakeLinkConfig {
  time: VirtualTime;
  latencyMicros: number;
  windowBytes: number;
  highWaterMark: number;
  endTimeoutMicros: number;
  /** A socket closed: the network forgets it. */
  onClosed(socket: FakeStreamSocket): void;
}

/** How often a slow reader reads (µs). */
const READ_TICK_MICROS = 10_000;
const encoder = new TextEncoder();

export class FakeStreamSocket implements StreamSocket {
  peer!: FakeStreamSocket;
  handlers: StreamHandlers = { onData: () => undefined };
  private readonly out: Uint8Array[] = [];
  private outBytes = 0;
  /** Sent and not yet arrived at the peer. */
  private inFlightBytes = 0;
  /** Arrived and not yet read (a slow reader). */
  private readonly unread: Uint8Array[] = [];
  private unreadBytes = 0;
  private readBytesPerSecond = Infinity;
  private readTimer: TimerHandle | undefined;
  private writeEnded = false;
  private finSent = false;
  private finArrived = false;
  private readEnded = false;
  private needDrain = false;
  private isClosed = false;
  private endTimer: TimerHandle | undefined;
  private resolveClosed!: () => void;
  private readonly whenClosed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    readonly remote: StreamAddress,
    readonly maxBufferedBytes: number,
    private readonly config: FakeLinkConfig,
  ) {}

  get bufferedBytes(): number {
    return this.outBytes;
  }

  /** Every byte this end holds: its output queue, what it has in flight, and what it has not read. */
  get heldBytes(): number {
    return this.outBytes + this.inFlightBytes + this.unreadBytes;
  }

  get writable(): boolean {
    return !this.writeEnded && !this.isClosed;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(data: Uint8Array | string): boolean {
    if (!this.writable) return false;
    const bytes = typeof data === 'string' ? encoder.encode(data) : data.slice();
    if (this.outBytes + bytes.length > this.maxBufferedBytes) {
      this.fail(new PhaselockError('E_SOCKET',
        `connection dropped: the peer is not reading (${this.outBytes + bytes.length} bytes would wait, limit ${this.maxBufferedBytes})`));
      return false;
    }
    if (bytes.length > 0) {
      this.out.push(bytes);
      this.outBytes += bytes.length;
    }
    this.pump();
    const ok = this.outBytes < this.config.highWaterMark;
    if (!ok) this.needDrain = true;
    return ok;
  }

  end(): Promise<void> {
    if (!this.isClosed && !this.writeEnded) {
      this.halfClose();
      this.endTimer = this.config.time.setTimeout(() => this.destroy(), this.config.endTimeoutMicros);
    }
    return this.whenClosed;
  }

  /** Ends our direction (FIN after what is queued) without a deadline for the peer. */
  halfClose(): void {
    if (this.isClosed || this.writeEnded) return;
    this.writeEnded = true;
    this.pump();
  }

  destroy(): void {
    if (this.isClosed) return;
    this.dropBuffers();
    // The peer sees our FIN after what was already on its way; what it sends later is answered by a reset.
    if (!this.finSent) this.sendFin();
    this.closeNow();
  }

  /** Both ends fail at once with ECONNRESET (a fault injected by the test). */
  reset(): void {
    for (const s of [this, this.peer]) {
      if (!s.isClosed) s.fail(new PhaselockError('E_SOCKET', 'read ECONNRESET', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }));
    }
  }

  /** Read at most this many bytes per second from now on (0 = stop reading; Infinity = read everything at once). */
  setReadRate(bytesPerSecond: number): void {
    this.readBytesPerSecond = Math.max(0, bytesPerSecond);
    this.readTimer?.cancel();
    this.readTimer = undefined;
    this.scheduleRead();
  }

  /** Called by the peer's pump: `bytes` arrive here after the latency. */
  arrive(bytes: Uint8Array): void {
    this.peer.inFlightBytes -= bytes.length;
    if (this.isClosed) {
      // TCP answers data for a closed socket with a reset.
      if (!this.peer.isClosed) this.peer.fail(new PhaselockError('E_SOCKET', 'write EPIPE: the peer closed the connection'));
      return;
    }
    this.unread.push(bytes);
    this.unreadBytes += bytes.length;
    this.scheduleRead();
  }

  /** Called by the peer's pump: its FIN arrives here after its data. */
  arriveFin(): void {
    if (this.isClosed) return;
    this.finArrived = true;
    this.scheduleRead();
  }

  /** Sends what the window allows; the FIN once everything is out. */
  pump(): void {
    const { time, latencyMicros, windowBytes } = this.config;
    const peer = this.peer;
    while (this.out.length > 0) {
      const room = windowBytes - peer.unreadBytes - this.inFlightBytes;
      if (room <= 0) break;
      let chunk = this.out[0]!;
      if (chunk.length > room) {
        this.out[0] = chunk.subarray(room);
        chunk = chunk.subarray(0, room);
      } else {
        this.out.shift();
      }
      this.outBytes -= chunk.length;
      this.inFlightBytes += chunk.length;
      time.setTimeout(() => peer.arrive(chunk), latencyMicros);
    }
    if (this.needDrain && this.outBytes < this.config.highWaterMark) {
      this.needDrain = false;
      time.setTimeout(() => { if (!this.isClosed) this.call(() => this.handlers.onDrain?.()); }, 0);
    }
    if (this.writeEnded && this.outBytes === 0 && !this.finSent) this.sendFin();
  }

  private sendFin(): void {
    this.finSent = true;
    const peer = this.peer;
    this.config.time.setTimeout(() => peer.arriveFin(), this.config.latencyMicros);
    this.maybeClose();
  }

  private scheduleRead(): void {
    if (this.readTimer || this.isClosed) return;
    if (this.readBytesPerSecond === 0 && this.unreadBytes > 0) return;
    const delay = this.readBytesPerSecond === Infinity ? 0 : READ_TICK_MICROS;
    this.readTimer = this.config.time.setTimeout(() => {
      this.readTimer = undefined;
      this.read();
    }, delay);
  }

  /** Delivers what the reader takes this tick, then the FIN once everything is read. */
  private read(): void {
    if (this.isClosed) return;
    const rate = this.readBytesPerSecond;
    let budget = rate === Infinity ? Infinity : rate === 0 ? 0 : Math.max(1, Math.floor((rate * READ_TICK_MICROS) / 1e6));
    while (this.unread.length > 0 && budget > 0 && !this.isClosed) {
      let chunk = this.unread[0]!;
      if (chunk.length > budget) {
        this.unread[0] = chunk.subarray(budget);
        chunk = chunk.slice(0, budget);
      } else {
        this.unread.shift();
      }
      budget -= chunk.length;
      this.unreadBytes -= chunk.length;
      this.call(() => this.handlers.onData(chunk));
    }
    if (this.isClosed) return;
    this.peer.pump(); // the window has room again
    if (this.unreadBytes > 0) {
      this.scheduleRead();
    } else if (this.finArrived && !this.readEnded) {
      this.readEnded = true;
      this.call(() => {
        if (this.handlers.onEnd) this.handlers.onEnd();
        else void this.end();
      });
      this.maybeClose();
    }
  }

  private maybeClose(): void {
    if (!this.isClosed && this.readEnded && this.finSent) this.closeNow();
  }

  private fail(err: Error): void {
    if (this.isClosed) return;
    this.dropBuffers();
    this.finSent = true;
    this.isClosed = true;
    this.cancelTimers();
    this.config.time.setTimeout(() => {
      this.call(() => this.handlers.onError?.(err));
      this.finish();
    }, 0);
  }

  private closeNow(): void {
    this.isClosed = true;
    this.cancelTimers();
    this.config.time.setTimeout(() => this.finish(), 0);
  }

  private finish(): void {
    this.config.onClosed(this);
    this.call(() => this.handlers.onClose?.());
    this.resolveClosed();
  }

  private dropBuffers(): void {
    this.out.length = 0;
    this.outBytes = 0;
    this.unread.length = 0;
    this.unreadBytes = 0;
  }

  private cancelTimers(): void {
    this.endTimer?.cancel();
    this.readTimer?.cancel();
    this.endTimer = undefined;
    this.readTimer = undefined;
  }

  /** Runs a handler; one that throws is reported and the socket destroyed (as the Node runtime does). */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!this.isClosed) this.destroy();
      try {
        this.handlers.onError?.(toError(err));
      } catch {
        // An onError that throws too: nothing left to tell.
      }
    }
  }
}
