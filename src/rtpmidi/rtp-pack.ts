/**
 * Packing a batch of timed MIDI messages into RTP-MIDI command lists that each fit a packet
 * (RFC 6295 §3): whole messages per packet, a sysex too large for one split into segments
 * (sysex.ts). L0, pure.
 * @module
 */
import { checkCommandData, deltaLength, MAX_DELTA_TICKS, MAX_MIDI_LIST_LENGTH, type RtpMidiCommand } from './rtp-codec.ts';
import { splitSysex } from './sysex.ts';

const SYSEX_START = 0xf0;
const SYSEX_END = 0xf7;

/** Smallest `maxPayloadBytes` packCommands accepts: a long header, a 4-byte delta and a 6-byte segment. */
export const MIN_PACK_PAYLOAD_BYTES = 12;

/**
 * Splits a batch of messages into the command lists of consecutive packets, each command section
 * (header + MIDI list, without the RTP header and the journal) at most `maxPayloadBytes` long.
 *
 * `offsetTicks` counts from one base time, the RTP timestamp every packet of the batch is meant to
 * carry: the first command of each packet has `deltaTicks` = its `offsetTicks`, the others count
 * from their predecessor. Messages are taken in `offsetTicks` order (a stable sort: equal offsets
 * keep their order). A message goes whole into the current packet, else into a new one; only a
 * sysex (F0 … F7) too large for a whole packet is split into RFC 6295 segments (splitSysex), one
 * packet per segment, the last one shared with what follows. No running status is assumed when
 * sizing, so encoding with `runningStatus` only makes packets smaller.
 *
 * Throws RangeError for a message that is not one complete MIDI message or sysex segment, an
 * offset that is not an integer in [0, MAX_DELTA_TICKS], or `maxPayloadBytes` below
 * MIN_PACK_PAYLOAD_BYTES. Pure.
 */
export function packCommands(messages: ReadonlyArray<{ offsetTicks: number; data: Uint8Array }>, maxPayloadBytes: number): RtpMidiCommand[][] {
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < MIN_PACK_PAYLOAD_BYTES) {
    throw new RangeError(`maxPayloadBytes must be an integer >= ${MIN_PACK_PAYLOAD_BYTES}, got ${maxPayloadBytes}`);
  }
  // A long header is assumed throughout (one byte of slack when the list ends up short).
  const listBudget = Math.min(maxPayloadBytes - 2, MAX_MIDI_LIST_LENGTH);
  const sorted = messages.map((m, i) => ({ m, i })).sort((a, b) => a.m.offsetTicks - b.m.offsetTicks || a.i - b.i);
  const packets: RtpMidiCommand[][] = [];
  let current: RtpMidiCommand[] = [];
  let used = 0;
  let previousOffset = 0;
  const flush = () => {
    if (current.length > 0) packets.push(current);
    current = [];
    used = 0;
  };
  const add = (offsetTicks: number, data: Uint8Array) => {
    const deltaTicks = current.length === 0 ? offsetTicks : offsetTicks - previousOffset;
    current.push({ deltaTicks, data });
    used += (current.length === 1 && deltaTicks === 0 ? 0 : deltaLength(deltaTicks)) + data.length;
    previousOffset = offsetTicks;
  };
  for (const { m, i } of sorted) {
    const offset = m.offsetTicks;
    if (!Number.isInteger(offset) || offset < 0 || offset > MAX_DELTA_TICKS) {
      throw new RangeError(`messages[${i}].offsetTicks must be an integer in [0, ${MAX_DELTA_TICKS}], got ${offset}`);
    }
    checkCommandData(m.data, `messages[${i}].data`);
    const cost = (delta: number) => deltaLength(delta) + m.data.length;
    if (current.length > 0 && used + cost(offset - previousOffset) <= listBudget) {
      add(offset, m.data);
      continue;
    }
    flush();
    if (cost(offset) <= listBudget) {
      add(offset, m.data);
      continue;
    }
    const isCompleteSysex = m.data[0] === SYSEX_START && m.data[m.data.length - 1] === SYSEX_END;
    if (!isCompleteSysex) {
      throw new RangeError(`messages[${i}]: a ${m.data.length}-byte sysex segment does not fit ${maxPayloadBytes} bytes; pass the whole F0 … F7 message`);
    }
    for (const segment of splitSysex(m.data, listBudget - deltaLength(offset))) {
      flush();
      add(offset, segment);
    }
  }
  flush();
  return packets;
}
