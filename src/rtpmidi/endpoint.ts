/**
 * `RtpMidiEndpoint` (L1): an AppleMIDI participant on two UDP ports of an injected Runtime —
 * control N and data N+1 (Apple's "MIDI Network Driver Protocol", "Control and MIDI Data Ports").
 *
 * - Responder: an IN on either port asks `accept`; OK (our SSRC, the token echoed, our name) or
 *   NO. The IN on the other port, matched by its token, completes the session (`session` event).
 *   A repeated IN (our OK was lost) is answered again.
 * - Initiator: `invite(host, port)` (invitation.ts), resolving with the session; the session is
 *   invited again when it loses its peer (silence, clock sync unanswered), with backoff.
 * - Routing: BY/CK/RS and RTP-MIDI go to the session whose peer has that SSRC at that address,
 *   sent from one of the peer's two ports (a stranger on the same host cannot speak for it);
 *   anything else is a `warning` (rate-limited) and dropped. Receive paths never throw.
 * - A stranger cannot grow our state: pending invitations and sessions are bounded
 *   (`maxSessions`), replies to IN are rate-limited per source address and in all.
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, toError, type PhaselockErrorCode } from '../core/errors.ts';
import type { Runtime, UdpRemote, UdpSocket } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import { Invitation } from './invitation.ts';
import { decodeRtpMidi } from './rtp-codec.ts';
import { APPLEMIDI_VERSION, decodeAppleMidi, encodeAppleMidi, isAppleMidiCommand, type AppleMidiCommand } from './session-codec.ts';
import { RtpMidiSession, type RtpMidiSessionOptions, type SessionControl, type SessionPeer, type SessionWire } from './session.ts';
import { bindPortPair, checkEndpointOptions, Reinviter, type ReinviteOptions } from './endpoint-support.ts';
import { Responder, type Port, type RtpMidiInvitationInfo } from './responder.ts';

export type { RtpMidiInvitationInfo, ReinviteOptions };

export interface RtpMidiEndpointOptions extends RtpMidiSessionOptions {
  /** Our session name, shown by the peer (UTF-8, no NUL). */
  name: string;
  /** Control port N (data N+1); 0 or absent: a free pair. */
  port?: number;
  /** Bind address (default '0.0.0.0'). */
  address?: string;
  /** Whether to accept an invitation (default: all). Throwing counts as no. */
  accept?: (invitation: RtpMidiInvitationInfo) => boolean;
  /** Sessions at most, pending invitations included (default 16). */
  maxSessions?: number;
  /** Invite an initiator's peer again when it is lost (default 5 attempts with backoff; false: never). */
  reinvite?: ReinviteOptions | false;
}

export interface InviteOptions extends RtpMidiSessionOptions {
  /** Give up after this long (µs; default: after 12 INs on each port, one a second). */
  timeoutMicros?: number;
  reinvite?: ReinviteOptions | false;
}

export interface RtpMidiEndpointEvents {
  /** A session was established (either role). */
  session: [RtpMidiSession];
  warning: [PhaselockError];
}

interface Entry {
  control: SessionControl;
  options: InviteOptions;
}

/** An AppleMIDI command is at most a prefix and a name: anything larger is not one. */
const MAX_COMMAND_BYTES = 1024;
const WARNINGS_PER_SECOND = 20;
const RECENTLY_ENDED_MAX = 64;
const RECENTLY_ENDED_MICROS = 5_000_000;

export class RtpMidiEndpoint extends Emitter<RtpMidiEndpointEvents> {
  readonly name: string;
  private readonly options: RtpMidiEndpointOptions;
  private sockets: Record<Port, UdpSocket> | undefined;
  private boundPort = 0;
  private opening: Promise<this> | undefined;
  private closing: Promise<void> | undefined;
  private readonly entries = new Map<RtpMidiSession, Entry>();
  private readonly responder: Responder;
  private readonly invitations = new Map<number, Invitation>();
  private readonly reinviter: Reinviter;
  private readonly warnings = new WarningLimiter(WARNINGS_PER_SECOND);
  private readonly maxSessions: number;
  /** `ssrc/address` of sessions ended lately → when (bounded, oldest dropped first). */
  private readonly recentlyEnded = new Map<string, number>();
  /** Invitations on their way, by `host:port`. */
  private readonly pendingInvites = new Map<string, Promise<RtpMidiSession>>();
  private readonly wire: SessionWire;

  constructor(private readonly runtime: Runtime, options: RtpMidiEndpointOptions) {
    super();
    checkEndpointOptions(options);
    this.options = { ...options };
    this.name = options.name;
    this.maxSessions = options.maxSessions ?? 16;
    this.responder = new Responder({
      clock: runtime.clock,
      timers: runtime.timers,
      maxSessions: this.maxSessions,
      accept: options.accept,
      open: () => this.sockets !== undefined && !this.closing,
      sessions: () => [...this.entries].map(([session, e]) => [session, e.control] as [RtpMidiSession, SessionControl]),
      sessionCount: () => this.entries.size,
      newSsrc: () => this.newSsrc(),
      answer: (kind, port, token, to, ssrc) => this.sendRaw(port, encodeAppleMidi({ kind, version: APPLEMIDI_VERSION, token, ssrc, name: this.name }), to),
      establish: (peer, localSsrc) => this.establish('responder', peer, localSsrc, {}),
      warn: (code, m) => this.warn(code, m),
    });
    this.wire = {
      send: (port, bytes, to) => this.sendRaw(port, bytes, to),
      lost: (session) => this.reinviter.lost(session, this.entries.get(session)?.options.reinvite ?? this.options.reinvite),
      ended: (session) => this.ended(session),
    };
    this.reinviter = new Reinviter(runtime.timers, {
      invite: (session) => this.handshake(session.remoteAddress, session.remotePort, {}, session.localSsrc).then((r) => r.peer),
      restore: (session, peer) => this.entries.get(session)?.control.reestablish(peer),
      abandon: (session, peer) => {
        const by = encodeAppleMidi({ kind: 'BY', version: APPLEMIDI_VERSION, token: peer.token, ssrc: session.localSsrc });
        this.sendRaw('control', by, { address: peer.address, port: peer.controlPort });
        this.sendRaw('data', by, { address: peer.address, port: peer.dataPort });
      },
      giveUp: (session, reason) => this.entries.get(session)?.control.end(reason, false),
      warn: (m) => this.warn('E_TIMEOUT', m),
    });
  }

  /** Our control port once open (the data port is the next one). */
  get port(): number {
    return this.boundPort;
  }

  /** Sessions established and not ended (reconnecting ones included). */
  get sessions(): readonly RtpMidiSession[] {
    return [...this.entries.keys()];
  }

  /** Binds both ports (a free pair when `port` is 0). Rejects E_SOCKET when they cannot be bound. */
  open(): Promise<this> {
    if (this.closing) return Promise.reject(new PhaselockError('E_CLOSED', 'RtpMidiEndpoint.open: the endpoint was closed'));
    this.opening ??= bindPortPair(this.runtime.network, this.options.address ?? '0.0.0.0', this.options.port ?? 0, {
      onMessage: (port, data, from, at) => this.receive(port, data, from, at ?? this.runtime.clock.micros()),
      onError: (port, err) => this.warn('E_SOCKET', `${port} socket: ${err.message}`),
    }).then(({ sockets, port }) => {
      if (this.closing) {
        void sockets.control.close();
        void sockets.data.close();
        throw new PhaselockError('E_CLOSED', 'RtpMidiEndpoint.open: closed while opening');
      }
      this.sockets = sockets;
      this.boundPort = port;
      return this;
    });
    return this.opening;
  }

  /**
   * Invites the participant at `host:port` (its control port; an IPv4 literal). Resolves with the
   * session once both ports accepted; rejects E_PROTOCOL when the peer said no, E_TIMEOUT after
   * 12 unanswered INs per port (or `timeoutMicros`), E_CLOSED when the endpoint closes first.
   * @example
   * const session = await endpoint.invite('192.168.1.20', 5004);
   * session.send(Uint8Array.of(0xfa)); // Start
   */
  invite(host: string, port: number, options: InviteOptions = {}): Promise<RtpMidiSession> {
    if (typeof host !== 'string' || host.length === 0) throw new TypeError('invite: host must be a non-empty string (an IPv4 address)');
    if (!Number.isInteger(port) || port < 1 || port > 65534) throw new RangeError(`invite: port must be an integer in [1, 65534], got ${port}`);
    if (this.closing) return Promise.reject(new PhaselockError('E_CLOSED', 'RtpMidiEndpoint.invite: the endpoint was closed'));
    if (!this.sockets) return Promise.reject(new PhaselockError('E_STATE', 'RtpMidiEndpoint.invite: open() the endpoint first'));
    if (this.entries.size + this.responder.pending.size >= this.maxSessions) {
      return Promise.reject(new PhaselockError('E_STATE', `RtpMidiEndpoint.invite: ${this.maxSessions} sessions already (maxSessions)`));
    }
    // One session per peer endpoint: a second invitation to it (while the first is open or on
    // its way) gets the same session — the peer would replace the first by the second anyway.
    const key = `${host}:${port}`;
    const open = [...this.entries.keys()].find((s) => s.role === 'initiator' && s.state !== 'closed' && `${s.remoteAddress}:${s.remotePort}` === key);
    if (open) return Promise.resolve(open);
    const pending = this.pendingInvites.get(key);
    if (pending) return pending;
    const invited = this.handshake(host, port, options, this.newSsrc()).then(({ peer, localSsrc }) => {
      if (this.closing) throw new PhaselockError('E_CLOSED', 'RtpMidiEndpoint.invite: the endpoint was closed');
      return this.establish('initiator', peer, localSsrc, options);
    });
    this.pendingInvites.set(key, invited);
    const forget = () => {
      if (this.pendingInvites.get(key) === invited) this.pendingInvites.delete(key);
    };
    invited.then(forget, forget);
    return invited;
  }

  /** Ends every session (BY), rejects pending invitations with E_CLOSED, closes both sockets. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new PhaselockError('E_CLOSED', 'RtpMidiEndpoint closed');
      for (const inv of [...this.invitations.values()]) inv.fail(closed);
      this.reinviter.close();
      this.responder.clear();
      for (const { control } of [...this.entries.values()]) control.end('closed', true);
      await this.opening?.catch(() => undefined);
      const sockets = this.sockets;
      this.sockets = undefined;
      if (sockets) await Promise.all([sockets.control.close(), sockets.data.close()]);
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected override onListenerError(err: unknown): void {
    this.warn('E_STATE', `an event listener threw: ${toError(err).message}`);
  }

  /**
   * A fresh SSRC for a session of ours: one per session, so that two sessions with the same peer
   * (each side inviting the other) stay apart by the SSRC its packets carry.
   */
  private newSsrc(): number {
    const inUse = new Set<number>();
    for (const { control } of this.entries.values()) inUse.add(control.localSsrc);
    for (const ssrc of this.responder.localSsrcs()) inUse.add(ssrc);
    for (const i of this.invitations.values()) inUse.add(i.localSsrc);
    let ssrc = 0;
    do ssrc = new DataView(this.runtime.random.bytes(4).buffer).getUint32(0);
    while (ssrc === 0 || inUse.has(ssrc));
    return ssrc;
  }

  private handshake(host: string, port: number, options: InviteOptions, localSsrc: number): Promise<{ peer: SessionPeer; localSsrc: number }> {
    let token = new DataView(this.runtime.random.bytes(4).buffer).getUint32(0);
    while (this.invitations.has(token)) token = (token + 1) >>> 0;
    const inv = new Invitation(this.runtime.timers, token, host, port, { ssrc: localSsrc, name: this.name }, {
      send: (p, bytes, to) => this.sendRaw(p, bytes, to),
      done: (i) => this.invitations.delete(i.token),
    }, { timeoutMicros: options.timeoutMicros });
    this.invitations.set(token, inv);
    inv.start();
    return inv.promise.then((peer) => ({ peer, localSsrc }));
  }

  private establish(role: 'initiator' | 'responder', peer: SessionPeer, localSsrc: number, options: InviteOptions): RtpMidiSession {
    let control!: SessionControl;
    const session = new RtpMidiSession(this.runtime, {
      role,
      localSsrc,
      peer,
      options: { ...this.options, ...options },
      wire: this.wire,
      bind: (c) => (control = c),
    });
    this.entries.set(session, { control, options });
    this.emit('session', session);
    return session;
  }

  private ended(session: RtpMidiSession): void {
    this.entries.delete(session);
    this.reinviter.forget(session);
    // The peer's BY comes on both ports (rtpmidid needs both): the second one, and packets still
    // in flight, find the session gone. Remember it briefly, so they are dropped without a warning.
    this.recentlyEnded.set(`${session.remoteSsrc}/${session.remoteAddress}`, this.runtime.clock.micros());
    if (this.recentlyEnded.size > RECENTLY_ENDED_MAX) this.recentlyEnded.delete(this.recentlyEnded.keys().next().value!);
  }

  /** Whether `ssrc` from `from` belongs to a session that ended in the last few seconds. */
  private justEnded(ssrc: number, from: UdpRemote): boolean {
    const at = this.recentlyEnded.get(`${ssrc}/${from.address}`);
    return at !== undefined && this.runtime.clock.micros() - at < RECENTLY_ENDED_MICROS;
  }

  private sendRaw(port: Port, bytes: Uint8Array, to: UdpRemote): void {
    this.sockets?.[port].send(bytes, to.port, to.address);
  }

  private receive(port: Port, data: Uint8Array, from: UdpRemote, at: number): void {
    try {
      if (isAppleMidiCommand(data)) {
        if (data.length > MAX_COMMAND_BYTES) {
          this.warn('E_DECODE', `ignored an oversized ${data.length}-byte AppleMIDI datagram from ${fmt(from)}`);
          return;
        }
        this.command(port, decodeAppleMidi(data), from, at);
      } else if (port === 'data') {
        this.rtp(data, from, at);
      } else {
        this.warn('E_DECODE', `ignored a ${data.length}-byte datagram from ${fmt(from)} on the control port: not AppleMIDI (no ffff signature)`);
      }
    } catch (err) {
      this.warn('E_DECODE', `dropped a ${data.length}-byte datagram from ${fmt(from)} on the ${port} port: ${toError(err).message}`);
    }
  }

  private rtp(data: Uint8Array, from: UdpRemote, at: number): void {
    const packet = decodeRtpMidi(data);
    const entry = this.route(packet.ssrc, from);
    if (!entry) {
      if (this.justEnded(packet.ssrc, from)) return;
      this.warn('E_PROTOCOL', `dropped an RTP-MIDI packet from ${fmt(from)}: SSRC ${hex(packet.ssrc)} is in no session of ours`);
      return;
    }
    entry.control.rtp(packet, at);
  }

  private command(port: Port, cmd: AppleMidiCommand, from: UdpRemote, at: number): void {
    switch (cmd.kind) {
      case 'IN':
        this.responder.invitation(port, cmd, from);
        return;
      case 'OK':
      case 'NO': {
        const inv = this.invitations.get(cmd.token);
        if (!inv || inv.address !== from.address) {
          this.warn('E_PROTOCOL', `ignored ${cmd.kind} from ${fmt(from)}: no invitation of ours has token ${hex(cmd.token)}`);
          return;
        }
        inv.reply(cmd.kind, port, { ssrc: cmd.ssrc, name: cmd.name });
        return;
      }
      case 'unknown':
        this.warn('E_PROTOCOL', `ignored unknown AppleMIDI command '${cmd.command}' from ${fmt(from)}`);
        return;
      case 'BY':
        if (this.responder.cancel(cmd.token, from.address)) return;
        break;
    }
    const entry = this.route(cmd.ssrc, from);
    if (!entry) {
      if (this.justEnded(cmd.ssrc, from)) return;
      this.warn('E_PROTOCOL', `ignored ${cmd.kind} from ${fmt(from)}: SSRC ${hex(cmd.ssrc)} is in no session of ours`);
      return;
    }
    entry.control.command(cmd, at);
  }

  /** The session of the peer with `ssrc` at that address, sending from one of its two ports. */
  private route(ssrc: number, from: UdpRemote): Entry | undefined {
    for (const entry of this.entries.values()) {
      const peer = entry.control.peer();
      if (peer.ssrc === ssrc && peer.address === from.address && (from.port === peer.dataPort || from.port === peer.controlPort)) return entry;
    }
    return undefined;
  }

  private warn(code: PhaselockErrorCode, message: string): void {
    const text = this.warnings.admit(message, this.runtime.clock.micros());
    if (text !== undefined && this.listenerCount('warning') > 0) this.emit('warning', new PhaselockError(code, text));
  }
}

const fmt = (r: UdpRemote) => `${r.address}:${r.port}`;
const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
