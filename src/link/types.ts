/**
 * Value types shared by the Link codecs and state machines.
 * @module
 */

/** An 8-byte node / session identifier as 16 lowercase hex digits (byte order = string order). */
export type NodeId = string;

/**
 * A timeline (link-wire-spec 02 §6): `microsPerBeat` (the wire's tempo field), `beatOrigin` in micro-beats,
 * `timeOrigin` in µs (ghost time on the wire, host time in an application timeline).
 */
export interface Timeline {
  readonly microsPerBeat: number;
  readonly beatOrigin: number;
  readonly timeOrigin: number;
}

/** Start/stop state as gossiped (spec 02 §8): beats in µb, timestamp in ghost µs. */
export interface StartStopState {
  readonly isPlaying: boolean;
  readonly beats: number;
  readonly timestamp: number;
}

/** A UDP endpoint; IPv6 addresses are written in their usual text form. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export function nodeIdFromBytes(bytes: Uint8Array): NodeId {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function nodeIdToBytes(id: NodeId): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(id)) throw new RangeError(`a node id is 16 lowercase hex digits, got '${id}'`);
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = parseInt(id.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The default (all-zero) start/stop state: relayed but never surfaced (spec 02 §8 rule 3). */
export const DEFAULT_START_STOP: StartStopState = Object.freeze({ isPlaying: false, beats: 0, timestamp: 0 });

export function sameTimeline(a: Timeline, b: Timeline): boolean {
  return a.microsPerBeat === b.microsPerBeat && a.beatOrigin === b.beatOrigin && a.timeOrigin === b.timeOrigin;
}

export function sameStartStop(a: StartStopState, b: StartStopState): boolean {
  return a.isPlaying === b.isPlaying && a.beats === b.beats && a.timestamp === b.timestamp;
}
