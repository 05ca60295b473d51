/**
 * A gateway's Alive and Response, encoded once per state (L0): an idle peer sends the same
 * Alive 4 times a second and the same Response to every Alive it hears, and at that rate the
 * code never gets optimized, so not encoding it again is most of an idle peer's CPU
 * (bench/link-interop.ts). Throws what `encodeDiscovery` throws.
 * @module
 */
import { encodeDiscovery, MessageType, type PeerState } from './discovery-codec.ts';
import type { Endpoint, NodeId } from './types.ts';

interface Cached {
  ttl: number;
  nodeId: NodeId;
  port: number;
  state: PeerState;
  bytes: Uint8Array;
}

export class DiscoveryEncoder {
  /** By message type: the last Alive and Response and what they encode. */
  private readonly cache: Array<Cached | undefined> = [];

  /** The message; `state` is compared by the identity of its parts (timelines are replaced, never mutated). */
  encode(type: number, ttl: number, nodeId: NodeId, state: PeerState | undefined, measurement: Endpoint): Uint8Array {
    if (type === MessageType.ByeBye || !state) return encodeDiscovery({ type, ttl, groupId: 0, nodeId });
    const c = this.cache[type];
    if (c && c.ttl === ttl && c.nodeId === nodeId && c.port === measurement.port &&
      c.state.timeline === state.timeline && c.state.sessionId === state.sessionId && c.state.startStop === state.startStop) {
      return c.bytes;
    }
    const bytes = encodeDiscovery({ type, ttl, groupId: 0, nodeId, state: { ...state, measurementV4: measurement } });
    this.cache[type] = { ttl, nodeId, port: measurement.port, state, bytes };
    return bytes;
  }
}
