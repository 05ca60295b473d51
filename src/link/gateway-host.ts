/**
 * What a gateway needs from the Link peer that owns it, and the gateway's constants
 * (link-wire-spec 01 §4–§7).
 * @module
 */
import type { RateLimit } from '../core/rate-limit.ts';
import type { UdpRemote } from '../core/runtime.ts';
import type { PeerState } from './discovery-codec.ts';
import type { Gateway } from './gateway.ts';
import type { MeasurementMessage } from './measurement-codec.ts';
import type { GatewayPeer } from './peer-table.ts';
import type { NodeId } from './types.ts';

export { MAX_PEERS_PER_GATEWAY, MAX_TTL_SECONDS, type GatewayPeer } from './peer-table.ts';
export const TTL_SECONDS = 5;
export const ALIVE_PERIOD_MICROS = 250_000;
export const MIN_SPACING_MICROS = 50_000;
export const PRUNE_PADDING_MICROS = 1_000_000;
/**
 * Responses per source address and in total. A real peer sends 4 Alives/s plus one per state
 * change (≤ 20/s at the 50 ms spacing), and a host may run several peers.
 */
export const RESPONSE_LIMITS: { perSource: RateLimit; total: RateLimit } = {
  perSource: { burst: 64, perSecond: 32 },
  total: { burst: 256, perSecond: 128 },
};


export type PeerGoneReason = 'byebye' | 'timeout' | 'evicted' | 'closed' | 'vanished';

/** What a gateway needs from the Link peer that owns it. */
export interface GatewayHost {
  readonly nodeId: NodeId;
  readonly sessionId: NodeId;
  /** Current state to announce, without endpoints (the gateway adds its own). */
  peerState(): PeerState;
  /** Our ghost transform, `ghost = host + ghostOffset`, for pongs. */
  readonly ghostOffset: number;
  /** Whether `from` is one of our own sockets (our multicast loops back on loopback gateways). */
  isOwnEndpoint(from: UdpRemote): boolean;
  onPeerState(gw: Gateway, peer: GatewayPeer): void;
  onPeerGone(gw: Gateway, nodeId: NodeId, reason: PeerGoneReason): void;
  /** Routes a pong; true when a measurement in progress expected it from `from`. */
  onPong(gw: Gateway, pong: MeasurementMessage, from: UdpRemote, receivedAtMicros: number): boolean;
  /** Someone else announces our node id (spec 00 §2: ids are random; a clash or a forgery). */
  onDuplicateId(gw: Gateway, from: UdpRemote): void;
  warn(code: string, message: string): void;
  debug(message: string): void;
}

