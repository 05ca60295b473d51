/**
 * The receive half of an RTP-MIDI session (L1): sequence tracking and loss detection (RFC 6295
 * §4, RFC 3550 §A.1 in spirit), recovery through the journal when packets went missing, sysex
 * reassembly (bounded), validation of every message with the MIDI parser, and the mapping of the
 * sender's timestamps to our host clock (clock-sync.ts).
 *
 * Order: a packet older than the newest one seen (or a duplicate) is dropped and counted — its
 * content came too late to be played in order, and a journal in a later packet has repaired the
 * state it carried already. A packet past a gap is played after the repair the journal gives.
 * @module
 */
import type { MidiInputEvent } from '../midi/input.ts';
import { MidiParser } from '../midi/parser.ts';
import type { ClockSyncer } from './clock-sync.ts';
import type { RtpMidiPacket } from './rtp-codec.ts';
import { SysexAssembler } from './sysex.ts';

/** What the receiver needs of the journal (`JournalReceiver` in journal/). */
export interface JournalRecovery {
  observe(data: Uint8Array): void;
  recover(journal: Uint8Array, lostFrom: number, lostTo: number): Uint8Array[];
  /** Packet `seq` arrived and was delivered (optional). */
  received?(seq: number): void;
}

export interface RtpReceiverHooks {
  deliver(event: MidiInputEvent): void;
  warn(message: string): void;
}

/** Counters of what arrived on the data port of a session. */
export interface RtpReceiveStats {
  /** Packets accepted in order (a gap before them included). */
  packets: number;
  /** Messages delivered (repairs from the journal included). */
  messages: number;
  /** Packets found missing (sequence gaps). */
  lost: number;
  /** Messages the journal gave back after a gap. */
  recovered: number;
  /** Packets dropped because they came after a newer one (reordered) or twice. */
  late: number;
}

const HALF = 0x8000;
/** A mapped sender time further than this from the arrival is not believed (a clock we misjudged). */
const MAX_SKEW_MICROS = 10_000_000;
const SEQ_MOD = 0x10000;

export class RtpReceiver {
  readonly stats: RtpReceiveStats = { packets: 0, messages: 0, lost: 0, recovered: 0, late: 0 };
  private last: number | undefined;
  private readonly sysex: SysexAssembler;
  private readonly parser: MidiParser;

  constructor(
    private readonly sync: ClockSyncer,
    private readonly journal: JournalRecovery | undefined,
    private readonly hooks: RtpReceiverHooks,
    maxSysexBytes?: number,
  ) {
    this.sysex = new SysexAssembler(maxSysexBytes);
    this.parser = new MidiParser({ onWarning: (w) => this.hooks.warn(`dropped MIDI bytes: ${w.message}`) });
  }

  /** The newest sequence number accepted (for receiver feedback, RS), or undefined. */
  get lastSequence(): number | undefined {
    return this.last;
  }

  /** Forgets the sequence and partial sysex (the sender restarted). */
  reset(): void {
    this.last = undefined;
    this.sysex.reset();
    this.parser.reset();
  }

  /** Handles one packet from the session's peer (SSRC checked by the caller). Never throws. */
  receive(packet: RtpMidiPacket, receivedAtMicros: number): void {
    const seq = packet.sequence;
    let lostFrom: number | undefined;
    if (this.last !== undefined) {
      const ahead = (seq - this.last + SEQ_MOD) % SEQ_MOD;
      if (ahead === 0 || ahead >= HALF) {
        this.stats.late++;
        return;
      }
      if (ahead > 1) {
        lostFrom = (this.last + 1) % SEQ_MOD;
        this.stats.lost += ahead - 1;
      }
    }
    this.last = seq;
    this.stats.packets++;
    const baseTime = this.hostTime(packet.timestamp, receivedAtMicros);
    if (lostFrom !== undefined) this.repair(packet, lostFrom, baseTime, receivedAtMicros);
    let ticks = packet.timestamp;
    for (const command of packet.commands) {
      ticks = (ticks + command.deltaTicks) % 0x1_0000_0000;
      this.command(command.data, this.hostTime(ticks, receivedAtMicros), receivedAtMicros);
    }
    try {
      this.journal?.received?.(seq);
    } catch {
      // A view that cannot take the number keeps its older checkpoint: nothing to repair here.
    }
  }

  /** After a gap: the journal's repair (RFC 6295 §4), or a warning that the state may be wrong. */
  private repair(packet: RtpMidiPacket, lostFrom: number, timeMicros: number, receivedAtMicros: number): void {
    const lostTo = (packet.sequence - 1 + SEQ_MOD) % SEQ_MOD;
    const gap = (lostTo - lostFrom + SEQ_MOD) % SEQ_MOD + 1;
    if (!this.journal || !packet.journal) {
      this.hooks.warn(`${gap} packet(s) lost (seq ${lostFrom}..${lostTo}) and no journal to recover from`);
      return;
    }
    let repairs: Uint8Array[];
    try {
      repairs = this.journal.recover(packet.journal, lostFrom, lostTo);
    } catch (err) {
      this.hooks.warn(`${gap} packet(s) lost and the journal did not decode: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const data of repairs) {
      this.stats.recovered++;
      this.emit(data, timeMicros, receivedAtMicros);
    }
  }

  private command(data: Uint8Array, timeMicros: number, receivedAtMicros: number): void {
    const lead = data[0];
    if (lead === 0xf0 || lead === 0xf7) {
      let whole: Uint8Array | undefined;
      try {
        whole = this.sysex.push(data);
      } catch (err) {
        this.hooks.warn(`dropped sysex: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (whole) this.emit(whole, timeMicros, receivedAtMicros);
      return;
    }
    // The codec returns whole messages; the parser drops what MIDI 1.0 does not define (F4, F5,
    // F9, FD) and anything malformed. The event gets the packet's own copy, never the parser's
    // shared real-time arrays.
    for (const m of this.parser.push(data)) this.emit(m.data.length === data.length ? data : m.data.slice(), timeMicros, receivedAtMicros);
  }

  private emit(data: Uint8Array, timeMicros: number, receivedAtMicros: number): void {
    this.stats.messages++;
    try {
      this.journal?.observe(data);
    } catch (err) {
      this.hooks.warn(`journal state: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.hooks.deliver({ data, timeMicros, receivedAtMicros });
  }

  /** The sender's time of an RTP timestamp on our host clock; the arrival time before clock sync. */
  private hostTime(rtpTicks: number, receivedAtMicros: number): number {
    const mapped = this.sync.remoteToHost(rtpTicks, receivedAtMicros);
    if (mapped === undefined) return receivedAtMicros;
    if (Math.abs(mapped - receivedAtMicros) > MAX_SKEW_MICROS) {
      this.hooks.warn(`RTP timestamp ${rtpTicks} maps ${Math.round((mapped - receivedAtMicros) / 1000)} ms away from its arrival: using the arrival time`);
      return receivedAtMicros;
    }
    return mapped;
  }
}
