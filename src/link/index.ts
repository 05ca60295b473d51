/**
 * `phaselock/link`: the clean-room Link protocol — wire codecs, timeline and phase maths, and
 * the peer state machine on an injected runtime. Pure and browser-safe except where a
 * runtime is passed in. Source: link-wire-spec (CC-BY-4.0) chapters 0–2.
 * @module
 */
export * from './types.ts';
export * from './payload.ts';
export * from './address.ts';
export * from './discovery-codec.ts';
export * from './measurement-codec.ts';
export * from './timeline.ts';
export * from './phase.ts';
export { SessionState, type SessionStateInit, type SessionStateOrigin } from './session-state.ts';
export { Measurement, median, type MeasurementResult } from './measurement.ts';
export { Gateway, type GatewayHost, type GatewayPeer } from './gateway.ts';
export { LinkPeer, type LinkEvents, type LinkLogger, type LinkPeerOptions } from './link-peer.ts';
export { ByteReader, ByteWriter } from '../core/byte-io.ts';
export { DecodeError, PhaselockError } from '../core/errors.ts';
export { roundHalfAway } from '../core/checks.ts';
