/**
 * phaselock: musical time synchronization for TypeScript/Node.js — an Ableton Link peer with
 * Link's public vocabulary (`Link`, `SessionState`, `captureAppSessionState`, …).
 * @module
 */
export { Link, type LinkOptions } from './node/link.ts';
export { LinkPeer, type LinkEvents, type LinkLogger, type LinkPeerOptions } from './link/link-peer.ts';
export { SessionState, type SessionStateInit } from './link/session-state.ts';
export { PhaselockError, DecodeError, type PhaselockErrorCode } from './core/errors.ts';
export type { Clock, Runtime, Timers } from './core/runtime.ts';
export { hrClock } from './node/node-runtime.ts';
