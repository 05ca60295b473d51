/**
 * The send half of an RTP-MIDI session (L1): turns batches of timed messages (from `RtpOutput`)
 * into RTP-MIDI packets on our session clock (RFC 6295 §2–§3): the RTP timestamp is the first
 * message's exact time in 100 µs units (10 kHz), the others follow as delta times; sequence
 * numbers start at a random value and count packets; a sysex too large for a packet is sent as
 * segments. With the recovery journal on, every packet carries the journal of what was sent since
 * the receiver's last checkpoint (RS), and *guard* packets (no commands, only the journal)
 * follow the last packet of a burst at growing intervals, so the loss of the last packet (a
 * note-off before a pause, the Stop at the end of a song) is repaired too (RFC 4696, "guard
 * packets").
 * @module
 */
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';

/** Guard packets after a burst (see `armGuard`). */
const GUARD_PACKETS = 4;
import { sessionTicks } from './clock-sync.ts';
import { encodeRtpMidi, MAX_DELTA_TICKS, RTP_MIDI_PAYLOAD_TYPE, type RtpMidiCommand } from './rtp-codec.ts';
import { packCommands } from './rtp-pack.ts';
import type { TimedMessage } from './rtp-output.ts';

/** What the sender needs of the journal (`JournalSender` in journal/). */
export interface JournalHistory {
  record(data: Uint8Array, seq: number): void;
  checkpoint(seq: number): void;
  encode(): Uint8Array | undefined;
}

export interface RtpSenderOptions {
  ssrc: number;
  /** First sequence number (random). */
  firstSequence: number;
  /** RTP marker bit on packets with commands (RFC 6295 §2.1: 1; rtpmidid sends 0). Default true. */
  marker?: boolean;
  /** Guard packet after the last packet of a burst (µs; 0: none). Default 50 ms. */
  guardMicros?: number;
}

/** Command section budget per packet: with the RTP header and a journal, well inside a 1500-byte MTU. */
export const MAX_COMMAND_SECTION_BYTES = 1200;

export class RtpSender {
  private seq: number;
  private readonly marker: boolean;
  private readonly guardMicros: number;
  private guard: TimerHandle | undefined;
  /** Guards sent since the last burst. */
  private guardLevel = 0;
  private lastSendAt = 0;
  /** Packets sent. */
  packets = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly journal: JournalHistory | undefined,
    private readonly write: (packet: Uint8Array) => void,
    private readonly onError: (message: string) => void,
    private readonly options: RtpSenderOptions,
  ) {
    this.seq = options.firstSequence & 0xffff;
    this.marker = options.marker ?? true;
    this.guardMicros = options.guardMicros ?? 50_000;
  }

  /** Sends a batch of messages (time order) as few packets as fit. Never throws. */
  send(batch: readonly TimedMessage[]): void {
    let start = 0;
    while (start < batch.length) {
      // One RTP timestamp per group: the first message's time; later ones within the delta range.
      const base = sessionTicks((batch[start] as TimedMessage).timeMicros);
      let end = start + 1;
      while (end < batch.length && sessionTicks((batch[end] as TimedMessage).timeMicros) - base <= MAX_DELTA_TICKS) end++;
      const group = batch.slice(start, end).map((m) => ({ offsetTicks: sessionTicks(m.timeMicros) - base, data: m.data }));
      start = end;
      let lists: RtpMidiCommand[][];
      try {
        lists = packCommands(group, MAX_COMMAND_SECTION_BYTES);
      } catch (err) {
        this.onError(`messages not sent: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      for (const commands of lists) this.packet(base, commands);
    }
    this.armGuard();
  }

  /**
   * Receiver feedback (RS): the peer has everything up to `seq`. Returns false (and changes
   * nothing) for a number we have not sent lately: none sent yet, or not among the last 2^15.
   */
  checkpoint(seq: number): boolean {
    if (this.packets === 0) return false;
    const newest = (this.seq - 1) & 0xffff;
    if (((newest - seq) & 0xffff) >= 0x8000) return false;
    this.journal?.checkpoint(seq);
    return true;
  }

  /** Stops the guard timer. */
  stop(): void {
    this.guard?.cancel();
    this.guard = undefined;
  }

  /** One packet; with no commands, a guard packet (sent only when there is a journal). */
  private packet(baseTicks: number, commands: RtpMidiCommand[]): void {
    const sequence = this.seq;
    let bytes: Uint8Array;
    try {
      const journal = this.journal?.encode();
      if (commands.length === 0 && !(journal && journal.length >= 3)) return;
      bytes = encodeRtpMidi({
        marker: this.marker && commands.length > 0,
        payloadType: RTP_MIDI_PAYLOAD_TYPE,
        sequence,
        timestamp: baseTicks % 0x1_0000_0000,
        ssrc: this.options.ssrc,
        commands,
        ...(journal && journal.length >= 3 ? { journal } : {}),
        phantom: false,
      });
    } catch (err) {
      this.onError(`packet not sent: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.seq = (this.seq + 1) & 0xffff;
    this.packets++;
    this.write(bytes);
    if (!this.journal) return;
    // The journal of a packet covers what went before it (RFC 6295 §4): record after encoding.
    for (const c of commands) {
      const lead = c.data[0];
      const segment = (lead === 0xf0 || lead === 0xf7) && !(lead === 0xf0 && c.data[c.data.length - 1] === 0xf7);
      if (segment) continue;
      try {
        this.journal.record(c.data, sequence);
      } catch (err) {
        this.onError(`journal: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /**
   * Guard packets after a burst: GUARD_PACKETS of them, at `guardMicros`, then twice, four and
   * eight times that after the one before (50, 150, 350, 750 ms by default), so that losing the
   * last packet of a song and a guard too (p² of the time) still leaves later guards to repair
   * it; a new burst starts the series again. One timer serves a stream of packets: it is not
   * re-armed per packet (that cost as much CPU as the journal), it looks at the last send when
   * it fires and waits out the rest of the quiet interval.
   */
  private armGuard(): void {
    if (!this.journal || this.guardMicros <= 0) return;
    this.lastSendAt = this.clock.micros();
    if (this.guard && this.guardLevel === 0) return;
    this.guard?.cancel();
    this.guardLevel = 0;
    this.scheduleGuard(this.guardMicros);
  }

  private scheduleGuard(delayMicros: number): void {
    this.guard = this.timers.setTimeout(() => {
      this.guard = undefined;
      const quiet = this.clock.micros() - this.lastSendAt;
      if (this.guardLevel === 0 && quiet < this.guardMicros) {
        this.scheduleGuard(this.guardMicros - quiet);
        return;
      }
      this.packet(sessionTicks(this.clock.micros()), []);
      this.guardLevel++;
      if (this.guardLevel < GUARD_PACKETS) this.scheduleGuard(this.guardMicros * 2 ** this.guardLevel);
    }, delayMicros);
  }
}
