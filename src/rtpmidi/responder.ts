/**
 * The responder's side of the AppleMIDI handshake (Apple's "MIDI Network Driver Protocol",
 * "Session Initiation"), for `RtpMidiEndpoint` (L1). An IN on either port asks `accept` and is
 * answered OK (our SSRC for the session to be, the token echoed, our name) or NO; the IN on the
 * other port, matched by its token, completes the session. A repeated IN (our OK was lost) is
 * answered again, without asking twice.
 *
 * Everything a stranger can make us hold or send is bounded: replies are rate-limited per source
 * address and in all; unfinished invitations are at most `maxSessions` with the sessions, at most
 * 4 from one address, and forgotten after 15 s.
 * @module
 */
import { toError, type PhaselockErrorCode } from '../core/errors.ts';
import { KeyedBuckets } from '../core/rate-limit.ts';
import type { Clock, TimerHandle, Timers, UdpRemote } from '../core/runtime.ts';
import { APPLEMIDI_VERSION, type AppleMidiCommand } from './session-codec.ts';
import type { RtpMidiSession, SessionControl, SessionPeer } from './session.ts';

export type Port = 'control' | 'data';
export type Handshake = Extract<AppleMidiCommand, { kind: 'IN' | 'OK' | 'NO' }>;

export interface RtpMidiInvitationInfo {
  name: string;
  address: string;
  /** The port the invitation came from (the initiator's control port, or its data port). */
  port: number;
  ssrc: number;
}

export interface ResponderHooks {
  clock: Clock;
  timers: Timers;
  maxSessions: number;
  accept: ((invitation: RtpMidiInvitationInfo) => boolean) | undefined;
  /** False while the endpoint is not open (or closing): invitations get NO. */
  open(): boolean;
  sessions(): Iterable<[RtpMidiSession, SessionControl]>;
  sessionCount(): number;
  newSsrc(): number;
  answer(kind: 'OK' | 'NO', port: Port, token: number, to: UdpRemote, ssrc: number): void;
  establish(peer: SessionPeer, localSsrc: number): void;
  warn(code: PhaselockErrorCode, message: string): void;
}

interface Pending {
  token: number;
  ssrc: number;
  /** Our SSRC in the session to be (sent in both OKs). */
  localSsrc: number;
  name: string;
  address: string;
  controlPort?: number;
  dataPort?: number;
  expiry: TimerHandle;
}

const PENDING_MICROS = 15_000_000;
/**
 * Replies (OK/NO) to invitations, per source address and in all: an invitation is two INs, so a
 * host may set up 12 sessions at once and 5 a second after that (a patchbay reconnecting
 * everything, several apps on one machine), while a flood gets a trickle.
 */
export const REPLIES_PER_SOURCE = { burst: 24, perSecond: 10 } as const;
export const REPLIES_IN_ALL = { burst: 60, perSecond: 30 } as const;
/** Unfinished invitations (only one port answered) from one address at most. */
const MAX_PENDING_PER_ADDRESS = 4;

export class Responder {
  /** Invitations answered on one port, waiting for the other. */
  readonly pending = new Map<number, Pending>();
  private readonly replies: KeyedBuckets;

  constructor(private readonly h: ResponderHooks) {
    this.replies = new KeyedBuckets(REPLIES_PER_SOURCE, REPLIES_IN_ALL, 256, h.clock.micros());
  }

  /** Our SSRCs promised in OKs of unfinished invitations. */
  *localSsrcs(): Iterable<number> {
    for (const p of this.pending.values()) yield p.localSsrc;
  }

  /** Forgets every unfinished invitation. */
  clear(): void {
    for (const p of this.pending.values()) p.expiry.cancel();
    this.pending.clear();
  }

  /** An IN on `port`. */
  invitation(port: Port, cmd: Handshake, from: UdpRemote): void {
    if (!this.replies.take(from.address, this.h.clock.micros())) {
      this.h.warn('E_PROTOCOL', `ignored an invitation from ${fmt(from)}: too many from there`);
      return;
    }
    if (cmd.version !== APPLEMIDI_VERSION) {
      this.h.warn('E_PROTOCOL', `refused an invitation from ${fmt(from)}: protocol version ${cmd.version} (we speak ${APPLEMIDI_VERSION})`);
      this.h.answer('NO', port, cmd.token, from, 0);
      return;
    }
    for (const [, control] of this.h.sessions()) {
      const peer = control.peer();
      if (peer.token === cmd.token && peer.address === from.address && peer.ssrc === cmd.ssrc) {
        this.h.answer('OK', port, cmd.token, from, control.localSsrc); // a repeat: our OK was lost
        return;
      }
    }
    const known = this.pending.get(cmd.token);
    if (known && known.address === from.address && known.ssrc === cmd.ssrc) {
      this.h.answer('OK', port, cmd.token, from, known.localSsrc);
      if (port === 'control') known.controlPort = from.port;
      else known.dataPort = from.port;
      if (known.controlPort !== undefined && known.dataPort !== undefined) this.accepted(known);
      return;
    }
    if (!this.admit(cmd, from)) {
      this.h.answer('NO', port, cmd.token, from, 0);
      return;
    }
    const p: Pending = {
      token: cmd.token, ssrc: cmd.ssrc, localSsrc: this.h.newSsrc(), name: cmd.name, address: from.address,
      expiry: this.h.timers.setTimeout(() => this.pending.delete(cmd.token), PENDING_MICROS),
    };
    if (port === 'control') p.controlPort = from.port;
    else p.dataPort = from.port;
    this.pending.set(cmd.token, p);
    this.h.answer('OK', port, cmd.token, from, p.localSsrc);
  }

  /** A BY for an invitation still unfinished (the initiator gave up): true when it was one. */
  cancel(token: number, address: string): boolean {
    const p = this.pending.get(token);
    if (!p || p.address !== address) return false;
    p.expiry.cancel();
    this.pending.delete(token);
    return true;
  }

  /** Whether a new invitation may become a session: open, room left, a fresh token, `accept`. */
  private admit(cmd: Handshake, from: UdpRemote): boolean {
    if (!this.h.open()) return false;
    if (this.pending.has(cmd.token)) {
      this.h.warn('E_PROTOCOL', `refused an invitation from ${fmt(from)}: its token is another invitation's`);
      return false;
    }
    const max = this.h.maxSessions;
    if (this.h.sessionCount() + this.pending.size >= max) {
      this.h.warn('E_PROTOCOL', `refused an invitation from '${cmd.name}' at ${fmt(from)}: ${max} sessions already (maxSessions)`);
      return false;
    }
    let fromThere = 0;
    for (const p of this.pending.values()) if (p.address === from.address) fromThere++;
    if (fromThere >= MAX_PENDING_PER_ADDRESS) {
      this.h.warn('E_PROTOCOL', `refused an invitation from '${cmd.name}' at ${fmt(from)}: ${fromThere} invitations from there are unfinished`);
      return false;
    }
    let ok: boolean;
    try {
      ok = this.h.accept?.({ name: cmd.name, address: from.address, port: from.port, ssrc: cmd.ssrc }) ?? true;
    } catch (err) {
      this.h.warn('E_STATE', `accept threw (taken as no): ${toError(err).message}`);
      ok = false;
    }
    if (ok !== true) this.h.warn('E_PROTOCOL', `refused an invitation from '${cmd.name}' at ${fmt(from)}: not accepted`);
    return ok === true;
  }

  /**
   * Both ports answered: the session starts. An older session this peer invited from the same
   * ports ends ('replaced'): the initiator restarted without a BY reaching us. (A session we
   * invited it to stays: each side may invite the other.)
   */
  private accepted(p: Pending): void {
    p.expiry.cancel();
    this.pending.delete(p.token);
    for (const [session, control] of [...this.h.sessions()]) {
      const old = control.peer();
      if (session.role === 'responder' && old.address === p.address && old.controlPort === p.controlPort) control.end('replaced', false);
    }
    const peer = { address: p.address, controlPort: p.controlPort as number, dataPort: p.dataPort as number, ssrc: p.ssrc, name: p.name, token: p.token };
    this.h.establish(peer, p.localSsrc);
  }
}

const fmt = (r: UdpRemote) => `${r.address}:${r.port}`;
