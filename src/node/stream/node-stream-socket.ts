/**
 * A `StreamSocket` over a `net.Socket` (L2). The socket runs with `allowHalfOpen`, so the
 * owner decides when to end its side after the peer's (`onEnd`); every Node event becomes one
 * handler call, never from inside a call into the socket, never after `onClose`, and a handler
 * that throws is reported and the connection destroyed instead of crashing the process.
 *
 * Limits: a write that would leave more than `maxBufferedBytes` unsent destroys the connection
 * with an `E_SOCKET` error (a peer that does not read cannot fill our memory); `end()` destroys
 * a connection still open `endTimeoutMicros` after it was called (a peer that neither reads
 * nor closes cannot hold it, or a server's close, forever).
 * @module
 */
import type net from 'node:net';
import { PhaselockError, toError } from '../../core/errors.ts';
import type { StreamAddress, StreamHandlers, StreamSocket } from '../../core/runtime.ts';
import { callbackEnded } from '../link/loop-probe.ts';

export interface NodeSocketLimits {
  maxBufferedBytes: number;
  endTimeoutMicros: number;
}

export class NodeStreamSocket implements StreamSocket {
  handlers: StreamHandlers = { onData: () => undefined };
  private ended = false;
  private isClosed = false;
  private endTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly whenClosed: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    readonly remote: StreamAddress,
    private readonly limits: NodeSocketLimits,
  ) {
    let resolveClosed!: () => void;
    this.whenClosed = new Promise<void>((resolve) => (resolveClosed = resolve));
    socket.on('data', (chunk: Buffer) => this.call(() => this.handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))));
    socket.on('end', () => this.call(() => {
      if (this.handlers.onEnd) this.handlers.onEnd();
      else void this.end();
    }));
    socket.on('drain', () => this.call(() => this.handlers.onDrain?.()));
    socket.on('error', (err) => this.call(() => this.handlers.onError?.(wrap(err))));
    socket.on('close', () => {
      this.isClosed = true;
      if (this.endTimer) clearTimeout(this.endTimer);
      this.call(() => this.handlers.onClose?.());
      resolveClosed();
    });
  }

  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  get maxBufferedBytes(): number {
    return this.limits.maxBufferedBytes;
  }

  get writable(): boolean {
    return !this.ended && !this.isClosed && !this.socket.destroyed && this.socket.writable;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(data: Uint8Array | string): boolean {
    if (!this.writable) return false;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const pending = this.socket.writableLength + bytes.byteLength;
    if (pending > this.limits.maxBufferedBytes) {
      // Reported on the next tick through 'error' (never from inside write), then 'close'.
      this.socket.destroy(new PhaselockError('E_SOCKET',
        `connection dropped: the peer is not reading (${pending} bytes would wait, limit ${this.limits.maxBufferedBytes})`));
      return false;
    }
    // Errors of the write itself arrive as the socket's 'error' event.
    return this.socket.write(bytes);
  }

  end(): Promise<void> {
    if (!this.isClosed && !this.ended) {
      this.ended = true;
      this.socket.end();
      this.endTimer = setTimeout(() => this.socket.destroy(), this.limits.endTimeoutMicros / 1000);
      this.endTimer.unref?.();
    }
    return this.whenClosed;
  }

  destroy(): void {
    this.ended = true;
    this.socket.destroy();
  }

  /** Runs a handler after the socket closed only for onClose; one that throws destroys the connection. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.socket.destroy();
      try {
        this.handlers.onError?.(toError(err));
      } catch {
        // An onError that throws too: nothing left to tell.
      }
    } finally {
      callbackEnded();
    }
  }
}

/** Node's socket errors as `E_SOCKET` (their `code`, e.g. ECONNRESET, stays on the cause). */
export function wrap(err: Error): Error {
  if (err instanceof PhaselockError) return err;
  return new PhaselockError('E_SOCKET', err.message, { cause: err });
}

/** The address of a net.Socket's peer: TCP host and port, or the unix path it belongs to. */
export function remoteOf(socket: net.Socket, unixPath: string | undefined): StreamAddress {
  if (unixPath !== undefined) return { path: unixPath };
  return { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
}
