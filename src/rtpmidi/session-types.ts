/**
 * The types of an RTP-MIDI session (session.ts): options, events, counters, and the internal
 * interfaces between a session and its endpoint.
 * @module
 */
import type { PhaselockError } from '../core/errors.ts';
import type { UdpRemote } from '../core/runtime.ts';
import type { MidiInputEvent } from '../midi/input.ts';
import type { ClockSync, ClockSyncOptions } from './clock-sync.ts';
import type { PlayoutOptions } from './jitter-buffer.ts';
import type { RtpMidiPacket } from './rtp-codec.ts';
import type { RtpReceiveStats } from './rtp-receiver.ts';
import type { AppleMidiCommand } from './session-codec.ts';
import type { JournalMode } from './session-journal.ts';
import type { RtpMidiSession } from './session.ts';

/** The commands a session handles itself (the endpoint handles IN/OK/NO). */
export type SessionCommand = Extract<AppleMidiCommand, { kind: 'BY' | 'CK' | 'RS' }>;

export type RtpMidiSessionState = 'open' | 'reconnecting' | 'closed';

export interface RtpMidiSessionEvents {
  /** A MIDI message from the peer (at arrival, or at its playout time with a jitter buffer). */
  message: [MidiInputEvent];
  /** The clock estimate changed. */
  sync: [ClockSync];
  /** The session ended: 'closed' (by us), 'bye' (by the peer), 'timeout' (the peer went silent), 'replaced', 'rejected'. */
  close: [reason: string];
  warning: [PhaselockError];
  /** 'reconnecting' when an initiator lost its peer and invites it again, 'open' once it is back. */
  state: [RtpMidiSessionState];
}

/** Per-session settings (given to the endpoint, or per invitation). */
export interface RtpMidiSessionOptions {
  /** Send MIDI this long before its time (µs, default 10 ms): also what can no longer be withdrawn. */
  sendAheadMicros?: number;
  /** Deliver incoming MIDI at its sender time + depth instead of at arrival. */
  playout?: PlayoutOptions;
  /** Recovery journal (default 'full'; 'one-channel' or 'off' for rtpmidid, see applemidi-observed.md). */
  journal?: JournalMode;
  /** End the session when nothing came from the peer for this long (µs, default 60 s). */
  silenceTimeoutMicros?: number;
  /** Send receiver feedback (RS) this long after a packet arrived (µs, default 1 s). */
  feedbackIntervalMicros?: number;
  /** Clock sync cadence (the initiator's). */
  clockSync?: ClockSyncOptions;
  /** Initiator: the peer is lost after this many CK0 in a row went unanswered (default 3). */
  missedSyncLimit?: number;
  /** RTP marker bit on packets with MIDI (RFC 6295 §2.1; default true, rtpmidid sends false). */
  marker?: boolean;
  /** Largest sysex reassembled from segments (bytes, default 1 MiB). */
  maxSysexBytes?: number;
  /** First guard packet (journal only) after a burst (µs, default 50 ms; 0: none); three more follow at 2×, 4×, 8× that interval. */
  guardMicros?: number;
}

/** The peer, as the invitation handshake found it. */
export interface SessionPeer {
  address: string;
  controlPort: number;
  dataPort: number;
  ssrc: number;
  name: string;
  /** The initiator token of the handshake (ours when we invited). */
  token: number;
}

/** Counters of a session. */
export interface RtpMidiSessionStats extends RtpReceiveStats {
  /** RTP-MIDI packets sent (guard packets included). */
  packetsSent: number;
  /** Messages dropped because the session was not open (reconnecting). */
  dropped: number;
}

/** What a session needs of its endpoint (internal). */
export interface SessionWire {
  send(port: 'control' | 'data', bytes: Uint8Array, to: UdpRemote): void;
  /** The initiator lost its peer: true when the endpoint invites it again (then `reestablish`). */
  lost(session: RtpMidiSession): boolean;
  /** The session ended (remove it). */
  ended(session: RtpMidiSession): void;
}

/** What the endpoint drives a session with (internal: handed over through `SessionInit.bind`). */
export interface SessionControl {
  command(cmd: SessionCommand, receivedAtMicros: number): void;
  rtp(packet: RtpMidiPacket, receivedAtMicros: number): void;
  reestablish(peer: SessionPeer): void;
  end(reason: string, bye: boolean): void;
  peer(): SessionPeer;
  readonly localSsrc: number;
}

export interface SessionInit {
  role: 'initiator' | 'responder';
  localSsrc: number;
  peer: SessionPeer;
  options: RtpMidiSessionOptions;
  wire: SessionWire;
  bind(control: SessionControl): void;
}
