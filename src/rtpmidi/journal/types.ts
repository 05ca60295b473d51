/**
 * The recovery journal as a typed value (RFC 6295 §5, Appendices A and B).
 *
 * Every `s` field is the RFC's S bit ("single-packet loss"): 1 (true) by default, 0 (false)
 * when the element codes a command of packet I-1, the packet sent just before the one that
 * carries the journal; every structure that contains an S=0 element has S=0 too
 * (RFC 6295 §4). A receiver that lost exactly packet I-1 may skip everything with S=1.
 *
 * Chapters this codec does not interpret are kept as bytes so that decode → encode is
 * lossless: chapter M (its own LENGTH field delimits it), the chapters after the last
 * interpreted one in a channel journal (E, T, A) and in the system journal (F, X), and
 * system chapters D and V in front of chapter Q.
 * Pure (L0).
 * @module
 */

/** Recovery journal header (RFC 6295 §5, Figure 8) and what follows it. */
export interface Journal {
  /** S: false when something in the journal codes packet I-1. */
  s: boolean;
  /** H: the stream uses the enhanced Chapter C encoding. */
  enhancedC: boolean;
  /** Checkpoint Packet Seqnum: the journal covers packets from this one to I-1. */
  checkpointSeq: number;
  /** System journal (Y=1), RFC 6295 §5.2. */
  system?: SystemJournal;
  /** Channel journals (A=1, TOTCHAN = length - 1), 1..16 of them, RFC 6295 §5.1. */
  channels: ChannelJournal[];
}

/** Channel journal (RFC 6295 §5.1, Figure 9): header S, CHAN, H, LENGTH and the chapter TOC. */
export interface ChannelJournal {
  s: boolean;
  /** MIDI channel 0..15 (the status nibble). */
  channel: number;
  /** H: chapter C of this channel uses the enhanced encoding. */
  enhancedC: boolean;
  /** Chapter P, program change (RFC 6295 A.2). */
  program?: ChapterP;
  /** Chapter C, control change (RFC 6295 A.3). */
  controllers?: ChapterC;
  /** Chapter M, parameter system, kept as its bytes (RFC 6295 A.4; delimited by its LENGTH). */
  parameterBytes?: Uint8Array;
  /** Chapter W, pitch wheel (RFC 6295 A.5). */
  pitch?: ChapterW;
  /** Chapter N, note off / note on (RFC 6295 A.6). */
  notes?: ChapterN;
  /** Chapters after the last interpreted one, as bytes: `toc` holds their TOC bits. */
  tail?: RawChapters;
}

/** Chapters kept uninterpreted: their presence bits and their bytes, in order. */
export interface RawChapters {
  /** The header/TOC bits of the chapters in `bytes` (same bit positions as on the wire). */
  toc: number;
  bytes: Uint8Array;
}

/** Chapter P (Figure A.2.1): |S|PROGRAM|B|BANK-MSB|X|BANK-LSB|. */
export interface ChapterP {
  s: boolean;
  program: number;
  /** B: the bank fields code the Control Change 0 / 32 values in force at the program change. */
  bankValid: boolean;
  bankMsb: number;
  /** X: the X bit of the BANK-LSB octet, carried as is. */
  x: boolean;
  bankLsb: number;
}

/** Chapter C (Figure A.3.1): |S|LEN| and LEN+1 controller logs. */
export interface ChapterC {
  s: boolean;
  logs: ControllerLog[];
}

/**
 * A controller log (Figure A.3.2): |S|NUMBER|A|VALUE| with A=0 (value tool), or
 * |S|NUMBER|A|T|ALT| with A=1: T=0 toggle tool, T=1 count tool.
 */
export type ControllerLog =
  | { s: boolean; number: number; tool: 'value'; value: number }
  | { s: boolean; number: number; tool: 'toggle' | 'count'; alt: number };

/** Chapter W (Figure A.5.1): |S|FIRST|R|SECOND| — the pitch wheel's two data octets. */
export interface ChapterW {
  s: boolean;
  /** First data octet (LSB). */
  first: number;
  r: boolean;
  /** Second data octet (MSB). */
  second: number;
}

/** Chapter N (Figure A.6.1): |B|LEN|LOW|HIGH|, note logs, OFFBITS. */
export interface ChapterN {
  /** B: the S bit of the OFFBITS structure (false: a NoteOff of packet I-1 is coded). */
  b: boolean;
  /** Note logs, oldest first: the most recent note-on of each note in the checkpoint history. */
  logs: NoteLog[];
  /** Notes whose most recent command in the checkpoint history is a note-off (OFFBITS), ascending. */
  offNotes: number[];
}

/** A note log: |S|NOTENUM|Y|VELOCITY|. */
export interface NoteLog {
  s: boolean;
  note: number;
  /** Y: the sender recommends playing the note-on (it is recent). */
  y: boolean;
  velocity: number;
}

/** System journal (RFC 6295 §5.2, Figure 10): |S|D|V|Q|F|X|LENGTH|. */
export interface SystemJournal {
  s: boolean;
  /** Chapter D (simple system commands), as bytes; only delimited when it holds B/G/H fields alone. */
  simpleBytes?: Uint8Array;
  /** Chapter V (active sense), as its one octet. */
  activeSenseBytes?: Uint8Array;
  /** Chapter Q, sequencer state (RFC 6295 B.3). */
  sequencer?: ChapterQ;
  /** Chapters after the last interpreted one (F, X; or everything after an undelimited D). */
  tail?: RawChapters;
}

/**
 * Chapter Q (Figures B.3.1/B.3.2): |S|N|D|C|T|TOP|, CLOCK when C=1, TIMETOOLS when T=1.
 * `position` is the 19-bit song position (TOP:CLOCK) in MIDI clocks since the start of the
 * song (6 clocks per MIDI beat), present when C=1; absent it means position 0.
 */
export interface ChapterQ {
  s: boolean;
  /** N: the sequencer is running (the most recent of Start/Continue/Stop was not Stop). */
  running: boolean;
  /** D: the D header bit, carried as is (this sender: Start/Continue not yet followed by a clock). */
  d: boolean;
  /** 19-bit song position in MIDI clocks (C=1). */
  position?: number;
  /** 24-bit TIMETOOLS field (T=1), carried as is. */
  timeTools?: number;
}

export const CHANNEL_TOC = { P: 0x80, C: 0x40, M: 0x20, W: 0x10, N: 0x08, E: 0x04, T: 0x02, A: 0x01 } as const;
/** Flag bits of the system journal's first octet. */
export const SYSTEM_TOC = { D: 0x40, V: 0x20, Q: 0x10, F: 0x08, X: 0x04 } as const;
/** Song position modulus of chapter Q (TOP:CLOCK is 19 bits). */
export const POSITION_MOD = 1 << 19;
