/**
 * The initiator's side of the AppleMIDI handshake (Apple's "MIDI Network Driver Protocol",
 * "Session Initiation"): IN on the peer's control port, resent every second up to 12 times until
 * OK or NO; then the same on its data port (control + 1) with the same token. L1, on injected
 * timers; the endpoint routes OK/NO here by token.
 * @module
 */
import { PhaselockError } from '../core/errors.ts';
import type { TimerHandle, Timers } from '../core/runtime.ts';
import { APPLEMIDI_VERSION, encodeAppleMidi } from './session-codec.ts';
import type { SessionPeer } from './session.ts';

export interface InvitationHooks {
  /** Sends bytes from our control or data socket. */
  send(port: 'control' | 'data', bytes: Uint8Array, to: { address: string; port: number }): void;
  /** The handshake finished (removed from the endpoint's table either way). */
  done(invitation: Invitation): void;
}

export interface InvitationOptions {
  /** Interval between INs (µs, default 1 s). */
  retryMicros?: number;
  /** INs per port before giving up (default 12). */
  attempts?: number;
  /** Give up after this long in all (µs; default: when the attempts are spent). */
  timeoutMicros?: number;
}

export class Invitation {
  readonly promise: Promise<SessionPeer>;
  private phase: 'control' | 'data' = 'control';
  private tries = 0;
  private timer: TimerHandle | undefined;
  private deadline: TimerHandle | undefined;
  private remote: { ssrc: number; name: string } | undefined;
  private settled = false;
  private resolve!: (peer: SessionPeer) => void;
  private reject!: (err: PhaselockError) => void;
  private readonly retryMicros: number;
  private readonly attempts: number;
  /** Our SSRC in the session this invitation would make. */
  readonly localSsrc: number;

  constructor(
    private readonly timers: Timers,
    readonly token: number,
    readonly address: string,
    readonly port: number,
    private readonly local: { ssrc: number; name: string },
    private readonly hooks: InvitationHooks,
    options: InvitationOptions = {},
  ) {
    this.localSsrc = local.ssrc;
    this.retryMicros = options.retryMicros ?? 1_000_000;
    this.attempts = options.attempts ?? 12;
    this.promise = new Promise<SessionPeer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (options.timeoutMicros !== undefined) {
      this.deadline = timers.setTimeout(() => this.fail(new PhaselockError('E_TIMEOUT',
        `invitation to ${address}:${port} timed out after ${Math.round(options.timeoutMicros! / 1000)} ms`)), options.timeoutMicros);
    }
  }

  /** Sends the first IN. */
  start(): void {
    this.step();
  }

  /** An OK or NO with our token (`port`: the socket it came in on). */
  reply(kind: 'OK' | 'NO', port: 'control' | 'data', remote: { ssrc: number; name: string }): void {
    if (this.settled) return;
    if (kind === 'NO') {
      this.fail(new PhaselockError('E_PROTOCOL', `invitation rejected by ${remote.name ? `'${remote.name}'` : `${this.address}:${this.port}`}`));
      return;
    }
    if (port !== this.phase) return; // a late duplicate of the control OK
    if (this.phase === 'control') {
      this.remote = { ssrc: remote.ssrc, name: remote.name };
      this.phase = 'data';
      this.tries = 0;
      this.timer?.cancel();
      this.step();
      return;
    }
    const first = this.remote ?? remote;
    this.finish();
    this.resolve({ address: this.address, controlPort: this.port, dataPort: this.port + 1, ssrc: first.ssrc, name: first.name || remote.name, token: this.token });
  }

  /** Gives up with `err` (E_CLOSED when the endpoint closes). */
  fail(err: PhaselockError): void {
    if (this.settled) return;
    this.finish();
    this.reject(err);
  }

  private step(): void {
    this.timer = undefined;
    if (this.settled) return;
    if (this.tries >= this.attempts) {
      this.fail(new PhaselockError('E_TIMEOUT', `no answer from ${this.address}:${this.phase === 'control' ? this.port : this.port + 1} ` +
        `(${this.phase} port) after ${this.attempts} invitations`));
      return;
    }
    this.tries++;
    const bytes = encodeAppleMidi({ kind: 'IN', version: APPLEMIDI_VERSION, token: this.token, ssrc: this.local.ssrc, name: this.local.name });
    this.hooks.send(this.phase, bytes, { address: this.address, port: this.phase === 'control' ? this.port : this.port + 1 });
    this.timer = this.timers.setTimeout(() => this.step(), this.retryMicros);
  }

  private finish(): void {
    this.settled = true;
    this.timer?.cancel();
    this.deadline?.cancel();
    this.timer = this.deadline = undefined;
    this.hooks.done(this);
  }
}
