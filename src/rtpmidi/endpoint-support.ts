/**
 * Parts of `RtpMidiEndpoint` (L1): binding the control/data port pair, checking options, and
 * inviting a lost peer again with backoff.
 * @module
 */
import { PhaselockError, toError } from '../core/errors.ts';
import type { Network, TimerHandle, Timers, UdpRemote, UdpSocket } from '../core/runtime.ts';
import type { RtpMidiSession, SessionPeer } from './session.ts';

type Port = 'control' | 'data';

export interface PortPairHandlers {
  onMessage(port: Port, data: Uint8Array, from: UdpRemote, receivedAtMicros: number | undefined): void;
  /** A socket error after binding. */
  onError(port: Port, err: Error): void;
}

/** Attempts at a free pair when any port will do (another program may hold N+1). */
const PAIR_ATTEMPTS = 8;

/**
 * Binds control port `port` and data port `port + 1` on `address`; with `port` 0, a free pair:
 * the control port the system picks, then the next one, again with another control port when
 * that one is taken. Rejects E_SOCKET (the runtime's error as `cause`).
 */
export async function bindPortPair(network: Network, address: string, port: number, h: PortPairHandlers): Promise<{ sockets: Record<Port, UdpSocket>; port: number }> {
  const attempts = port === 0 ? PAIR_ATTEMPTS : 1;
  let failure: unknown;
  for (let i = 0; i < attempts; i++) {
    const control = await bindOne(network, address, port, 'control', h);
    if (control.port + 1 <= 65535) {
      try {
        const data = await bindOne(network, address, control.port + 1, 'data', h);
        return { sockets: { control: control.socket, data: data.socket }, port: control.port };
      } catch (err) {
        failure = err;
      }
    } else {
      failure = new PhaselockError('E_SOCKET', 'control port 65535 leaves no room for the data port');
    }
    await control.socket.close();
  }
  const why = failure instanceof PhaselockError ? failure.message : toError(failure).message;
  throw new PhaselockError('E_SOCKET', `could not bind an RTP-MIDI port pair on ${address}${port ? ` at ${port}/${port + 1}` : ''}: ${why}`, { cause: failure });
}

function bindOne(network: Network, address: string, port: number, which: Port, h: PortPairHandlers): Promise<{ socket: UdpSocket; port: number }> {
  return new Promise((resolve, reject) => {
    let listening = false;
    let failed = false;
    const socket = network.openUdp({
      interfaceAddress: address,
      port,
      onListening: (bound) => {
        if (failed) return;
        listening = true;
        resolve({ socket, port: bound });
      },
      onMessage: (data, from, at) => {
        if (listening) h.onMessage(which, data, from, at);
      },
      onError: (err) => {
        if (listening) {
          h.onError(which, err);
          return;
        }
        if (failed) return;
        failed = true;
        void Promise.resolve(socket.close()).catch(() => undefined);
        reject(new PhaselockError('E_SOCKET', `${which} port ${port || '(any)'}: ${err.message}`, { cause: err }));
      },
    });
  });
}

export function checkEndpointOptions(o: { name?: unknown; port?: unknown; address?: unknown; maxSessions?: unknown; accept?: unknown; journal?: unknown }): void {
  if (typeof o !== 'object' || o === null) throw new TypeError('RtpMidiEndpoint options must be an object');
  if (typeof o.name !== 'string') throw new TypeError('name must be a string');
  if (o.name.includes('\u0000')) throw new RangeError('name must not contain NUL');
  if (new TextEncoder().encode(o.name).length > 255) throw new RangeError('name must be at most 255 bytes of UTF-8');
  if (o.port !== undefined && (!Number.isInteger(o.port) || (o.port as number) < 0 || (o.port as number) > 65534)) {
    throw new RangeError(`port must be an integer in [0, 65534] (0: any), got ${String(o.port)}`);
  }
  if (o.address !== undefined && typeof o.address !== 'string') throw new TypeError('address must be a string');
  if (o.maxSessions !== undefined && (!Number.isInteger(o.maxSessions) || (o.maxSessions as number) < 1 || (o.maxSessions as number) > 1024)) {
    throw new RangeError(`maxSessions must be an integer in [1, 1024], got ${String(o.maxSessions)}`);
  }
  if (o.accept !== undefined && typeof o.accept !== 'function') throw new TypeError('accept must be a function');
  if (o.journal !== undefined && o.journal !== 'full' && o.journal !== 'one-channel' && o.journal !== 'off') {
    throw new RangeError(`journal must be 'full', 'one-channel' or 'off', got ${String(o.journal)}`);
  }
}

export interface ReinviteOptions {
  /** Invitations at most (each one up to 12 INs per port; default 5). */
  attempts?: number;
  /** Wait before the first; doubled for each next one (µs, default 1 s). */
  backoffMicros?: number;
  /** The wait at most (µs, default 30 s). */
  maxBackoffMicros?: number;
}

export interface ReinviteHooks {
  /** Invites the session's peer again (its address and control port, our SSRC in it). */
  invite(session: RtpMidiSession): Promise<SessionPeer>;
  restore(session: RtpMidiSession, peer: SessionPeer): void;
  /** The peer accepted after the session ended here: tell it (BY). */
  abandon(session: RtpMidiSession, peer: SessionPeer): void;
  giveUp(session: RtpMidiSession, reason: string): void;
  warn(message: string): void;
}

interface Attempting {
  attempt: number;
  timer: TimerHandle | undefined;
}

/** Invites lost peers again: backoff, bounded attempts; NO ends the session ('rejected'). */
export class Reinviter {
  private readonly active = new Map<RtpMidiSession, Attempting>();
  private closed = false;

  constructor(private readonly timers: Timers, private readonly hooks: ReinviteHooks) {}

  /** Starts inviting `session`'s peer again; false when re-inviting is off (the session ends). */
  lost(session: RtpMidiSession, options: ReinviteOptions | false | undefined): boolean {
    if (this.closed || options === false) return false;
    if (!this.active.has(session)) {
      const state: Attempting = { attempt: 0, timer: undefined };
      this.active.set(session, state);
      this.schedule(session, state, options ?? {});
    }
    return true;
  }

  forget(session: RtpMidiSession): void {
    this.active.get(session)?.timer?.cancel();
    this.active.delete(session);
  }

  close(): void {
    this.closed = true;
    for (const s of this.active.values()) s.timer?.cancel();
    this.active.clear();
  }

  private schedule(session: RtpMidiSession, state: Attempting, o: ReinviteOptions): void {
    const delay = Math.min((o.backoffMicros ?? 1_000_000) * 2 ** state.attempt, o.maxBackoffMicros ?? 30_000_000);
    state.timer = this.timers.setTimeout(() => this.attempt(session, state, o), delay);
  }

  private attempt(session: RtpMidiSession, state: Attempting, o: ReinviteOptions): void {
    state.timer = undefined;
    state.attempt++;
    this.hooks.invite(session).then(
      (peer) => {
        if (this.active.get(session) !== state) {
          this.hooks.abandon(session, peer);
          return;
        }
        this.active.delete(session);
        this.hooks.restore(session, peer);
      },
      (err: unknown) => {
        if (this.active.get(session) !== state) return;
        const code = err instanceof PhaselockError ? err.code : undefined;
        if (code === 'E_PROTOCOL' || state.attempt >= (o.attempts ?? 5)) {
          this.active.delete(session);
          this.hooks.warn(`gave up inviting '${session.remoteName}' again: ${toError(err).message}`);
          this.hooks.giveUp(session, code === 'E_PROTOCOL' ? 'rejected' : 'timeout');
          return;
        }
        this.schedule(session, state, o);
      },
    );
  }
}
