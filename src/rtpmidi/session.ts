/**
 * `RtpMidiSession` (L1): one AppleMIDI session with one peer, once the invitation handshake is
 * done (endpoint.ts does that): clock sync (clock-sync.ts), MIDI out as a timestamped output
 * (rtp-output.ts → rtp-sender.ts), MIDI in as a `MidiInput` (rtp-receiver.ts, optionally played
 * out through a jitter buffer), receiver feedback (RS) both ways, and the end of the session:
 * BY (ours on close, the peer's), silence (no packet from the peer for 60 s), and for the
 * initiator the peer lost (silence, or clock sync unanswered), after which the endpoint invites
 * it again and the same session object goes on (`state` event: 'reconnecting', then 'open').
 *
 * Ports (Apple's "MIDI Network Driver Protocol"): BY and RS go to the peer's control port; CK and
 * RTP-MIDI to its data port (control + 1). BY goes to both: Apple's peers read it on the control
 * port, rtpmidid ends a peer only after a BY on each port (applemidi-observed.md, "BY").
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, type PhaselockErrorCode } from '../core/errors.ts';
import type { Clock, Runtime, TimerHandle, Timers } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import type { MidiInput, MidiInputEvent } from '../midi/input.ts';
import type { TimestampedOutput } from '../sched/output-dispatcher.ts';
import { ClockSyncer, type CkCommand, type ClockSync } from './clock-sync.ts';
import { JitterBuffer } from './jitter-buffer.ts';
import { createJournal, type SessionJournal } from './session-journal.ts';
import type { RtpMidiPacket } from './rtp-codec.ts';
import { RtpOutput, type TimedMessage } from './rtp-output.ts';
import { RtpReceiver } from './rtp-receiver.ts';
import { RtpSender } from './rtp-sender.ts';
import { APPLEMIDI_VERSION, encodeAppleMidi } from './session-codec.ts';
import type {
  RtpMidiSessionEvents, RtpMidiSessionOptions, RtpMidiSessionState, RtpMidiSessionStats, SessionCommand, SessionInit, SessionPeer, SessionWire,
} from './session-types.ts';

export type * from './session-types.ts';

const WARNINGS_PER_SECOND = 20;

export class RtpMidiSession extends Emitter<RtpMidiSessionEvents> implements MidiInput {
  readonly role: 'initiator' | 'responder';
  /** Our SSRC in this session. */
  readonly localSsrc: number;
  /** The timestamped output: send with exact times ahead, withdraw with `cancelFrom`. */
  readonly output: TimestampedOutput & { readonly pending: number; drain(): Promise<void> };
  private peer: SessionPeer;
  private current: RtpMidiSessionState = 'open';
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly options: RtpMidiSessionOptions;
  private readonly wire: SessionWire;
  private readonly sync: ClockSyncer;
  private readonly out: RtpOutput;
  private readonly playout: JitterBuffer | undefined;
  private sender!: RtpSender;
  private receiver!: RtpReceiver;
  private lastHeard: number;
  private watchdog: TimerHandle | undefined;
  private feedback: TimerHandle | undefined;
  private dropped = 0;
  /** True while `end` delivers what the jitter buffer still held. */
  private closing = false;
  private readonly warnings = new WarningLimiter(WARNINGS_PER_SECOND);
  private readonly silenceTimeout: number;
  private readonly feedbackInterval: number;
  private readonly random: Runtime['random'];

  /** Sessions are made by `RtpMidiEndpoint` (`invite`, or an accepted invitation). */
  constructor(runtime: Runtime, init: SessionInit) {
    super();
    this.clock = runtime.clock;
    this.timers = runtime.timers;
    this.random = runtime.random;
    this.role = init.role;
    this.localSsrc = init.localSsrc;
    this.peer = { ...init.peer };
    this.options = init.options;
    this.wire = init.wire;
    this.silenceTimeout = init.options.silenceTimeoutMicros ?? 60_000_000;
    this.feedbackInterval = init.options.feedbackIntervalMicros ?? 1_000_000;
    this.sync = new ClockSyncer(this.clock, this.timers, this.localSsrc, {
      send: (cmd: CkCommand) => this.sendTo('data', encodeAppleMidi(cmd)),
      onSync: (s) => this.emit('sync', s),
      onMissed: (n) => this.onMissedSync(n),
      warn: (m) => this.warn('E_PROTOCOL', m),
    }, init.options.clockSync);
    this.out = new RtpOutput(this.clock, this.timers, (batch) => this.transmit(batch), { sendAheadMicros: init.options.sendAheadMicros });
    this.output = this.out;
    this.playout = init.options.playout
      ? new JitterBuffer(this.clock, this.timers, (e) => this.deliver(e), init.options.playout, runtime.preciseTimers)
      : undefined;
    this.lastHeard = this.clock.micros();
    this.fresh();
    init.bind({
      command: (cmd, at) => this.onCommand(cmd, at),
      rtp: (packet, at) => this.onRtp(packet, at),
      reestablish: (peer) => this.reestablish(peer),
      end: (reason, bye) => this.end(reason, bye),
      peer: () => this.peer,
      localSsrc: this.localSsrc,
    });
    this.started();
  }

  get state(): RtpMidiSessionState {
    return this.current;
  }

  get remoteName(): string {
    return this.peer.name;
  }

  get remoteSsrc(): number {
    return this.peer.ssrc;
  }

  get remoteAddress(): string {
    return this.peer.address;
  }

  /** The peer's control port (its data port is the next one). */
  get remotePort(): number {
    return this.peer.controlPort;
  }

  /** The latest clock estimate (undefined until the first exchange completed). */
  get clockSync(): ClockSync | undefined {
    return this.sync.current;
  }

  get stats(): RtpMidiSessionStats {
    return { ...this.receiver.stats, packetsSent: this.sender.packets, dropped: this.dropped };
  }

  /**
   * Sends one complete MIDI message (status first; a sysex whole, F0 … F7) for host time
   * `timeMicros` (default now), through `output`: held until `sendAheadMicros` before that time.
   * Throws TypeError/RangeError for bytes that are not one message; dropped once closed.
   * @example
   * session.send(Uint8Array.of(0x90, 60, 100), clock.micros() + 500_000); // C4 in half a second
   */
  send(data: Uint8Array, timeMicros?: number): void {
    this.out.send(data, timeMicros ?? this.clock.micros());
  }

  /**
   * Resolves with the clock estimate once there is one (at once if there is), or with undefined
   * when none came within `timeoutMicros` (default 10 s: the initiator's first exchange takes one
   * round trip, a responder waits for the peer's). Rejects E_CLOSED when the session ends first.
   * @example
   * const session = await endpoint.invite(host, 5004);
   * await session.whenSynced(); // timestamps map to the peer's clock from here on
   */
  whenSynced(timeoutMicros = 10_000_000): Promise<ClockSync | undefined> {
    if (this.current === 'closed') return Promise.reject(new PhaselockError('E_CLOSED', 'whenSynced: the session has ended'));
    const now = this.sync.current;
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const done = () => {
        timer.cancel();
        this.off('sync', onSync);
        this.off('close', onClose);
      };
      const onSync = (s: ClockSync) => { done(); resolve(s); };
      const onClose = () => { done(); reject(new PhaselockError('E_CLOSED', 'whenSynced: the session has ended')); };
      const timer = this.timers.setTimeout(() => { done(); resolve(undefined); }, timeoutMicros);
      this.on('sync', onSync);
      this.on('close', onClose);
    });
  }

  /** Ends the session: what is held goes out, then BY. Emits `close` ('closed'). Idempotent. */
  close(): Promise<void> {
    this.end('closed', true);
    return Promise.resolve();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected override onListenerError(err: unknown): void {
    this.warn('E_STATE', `an event listener threw: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** New journal, sender and receiver: at the start, and when the peer restarted. */
  private fresh(): void {
    this.sender?.stop();
    const journal: SessionJournal = createJournal(this.options.journal ?? 'full');
    const firstSequence = new DataView(this.random.bytes(2).buffer).getUint16(0);
    this.sender = new RtpSender(this.clock, this.timers, journal.sender, (bytes) => this.sendTo('data', bytes),
      (m) => this.warn('E_STATE', m), { ssrc: this.localSsrc, firstSequence, marker: this.options.marker, guardMicros: this.options.guardMicros });
    this.receiver = new RtpReceiver(this.sync, journal.receiver, {
      deliver: (e) => (this.playout ? this.playout.push(e) : this.deliver(e)),
      warn: (m) => this.warn('E_PROTOCOL', m),
    }, this.options.maxSysexBytes);
  }

  private started(): void {
    this.lastHeard = this.clock.micros();
    this.armWatchdog(this.silenceTimeout);
    if (this.role === 'initiator') this.sync.start();
  }

  private reestablish(peer: SessionPeer): void {
    if (this.current === 'closed') return;
    this.peer = { ...peer };
    this.sync.reset();
    this.fresh();
    this.current = 'open';
    this.started();
    this.emit('state', 'open');
  }

  private onCommand(cmd: SessionCommand, at: number): void {
    // Reconnecting: the old peer is gone for us (we sent it BY); the new one comes with `reestablish`.
    if (this.current !== 'open') return;
    this.lastHeard = this.clock.micros();
    switch (cmd.kind) {
      case 'CK':
        this.sync.receive(cmd, at);
        return;
      case 'RS':
        if (!this.sender.checkpoint(cmd.seq)) this.warn('E_PROTOCOL', `ignored RS for seq ${cmd.seq}: not a packet we sent lately`);
        return;
      case 'BY':
        this.end('bye', false);
        return;
    }
  }

  private onRtp(packet: RtpMidiPacket, at: number): void {
    if (this.current !== 'open') return;
    this.lastHeard = this.clock.micros();
    this.receiver.receive(packet, at);
    this.feedback ??= this.timers.setTimeout(() => this.sendFeedback(), this.feedbackInterval);
  }

  /** RS: the newest packet we have, so the sender can trim its journal (Apple's layout). */
  private sendFeedback(): void {
    this.feedback = undefined;
    const seq = this.receiver.lastSequence;
    if (this.current !== 'open' || seq === undefined) return;
    this.sendTo('control', encodeAppleMidi({ kind: 'RS', ssrc: this.localSsrc, seq }));
  }

  private transmit(batch: TimedMessage[]): void {
    if (this.current !== 'open') {
      this.dropped += batch.length;
      return;
    }
    this.sender.send(batch);
  }

  private deliver(event: MidiInputEvent): void {
    if (this.current === 'closed' && !this.closing) return;
    this.emit('message', event);
  }

  private onMissedSync(missed: number): void {
    if (missed >= (this.options.missedSyncLimit ?? 3)) this.peerLost(`no answer to ${missed} clock syncs in a row`);
  }

  /** Silence watchdog: one timer, re-armed lazily for the time left. */
  private armWatchdog(delay: number): void {
    this.watchdog?.cancel();
    this.watchdog = this.timers.setTimeout(() => {
      this.watchdog = undefined;
      const idle = this.clock.micros() - this.lastHeard;
      if (idle < this.silenceTimeout) this.armWatchdog(this.silenceTimeout - idle);
      else this.peerLost(`nothing from the peer for ${Math.round(idle / 1e6)} s`);
    }, Math.max(1, delay));
  }

  /** The peer went away without BY: the initiator invites it again, the responder ends. */
  private peerLost(why: string): void {
    if (this.current !== 'open') return;
    if (this.role === 'initiator' && this.wire.lost(this)) {
      this.warn('E_TIMEOUT', `session with '${this.peer.name}' lost (${why}): inviting it again`);
      this.bye();
      this.current = 'reconnecting';
      this.sync.stop();
      this.sender.stop();
      this.watchdog?.cancel();
      this.watchdog = undefined;
      this.emit('state', 'reconnecting');
      return;
    }
    this.warn('E_TIMEOUT', `session with '${this.peer.name}' ended: ${why}`);
    this.end('timeout', true);
  }

  private end(reason: string, bye: boolean): void {
    if (this.current === 'closed') return;
    const wasOpen = this.current === 'open';
    if (reason === 'closed' && wasOpen) this.out.flush();
    this.out.close();
    if (bye && wasOpen) this.bye();
    this.current = 'closed';
    this.sync.stop();
    this.sender.stop();
    this.watchdog?.cancel();
    this.feedback?.cancel();
    this.watchdog = this.feedback = undefined;
    this.closing = true;
    this.playout?.flush();
    this.closing = false;
    this.emit('close', reason);
    this.wire.ended(this);
  }

  private bye(): void {
    const by = encodeAppleMidi({ kind: 'BY', version: APPLEMIDI_VERSION, token: this.peer.token, ssrc: this.localSsrc });
    this.sendTo('control', by);
    this.sendTo('data', by);
  }

  private sendTo(port: 'control' | 'data', bytes: Uint8Array): void {
    const to = { address: this.peer.address, port: port === 'control' ? this.peer.controlPort : this.peer.dataPort };
    this.wire.send(port, bytes, to);
  }

  private warn(code: PhaselockErrorCode, message: string): void {
    const text = this.warnings.admit(message, this.clock.micros());
    if (text !== undefined && this.listenerCount('warning') > 0) this.emit('warning', new PhaselockError(code, text));
  }
}
