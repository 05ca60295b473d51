/**
 * The peer table of one gateway (link-wire-spec 01 §7), bounded and fair under floods (L0:
 * time is passed in). Anyone on the LAN can send Alives with made-up node ids, so the table is
 * not first come, first served:
 *
 * - **Ranks.** A peer of our own session ranks 3; one whose measurement endpoint answered our
 *   pings ranks 2 ("proven"); one heard more than once ranks 1; one heard once ranks 0.
 *   When the table is full a newcomer takes the place of the lowest-ranked entry (the oldest
 *   of those) if it ranks at least as high; so junk evicts junk, never a real peer.
 * - **Coming back counts.** Ids heard once are remembered (a bounded list, oldest out) even
 *   when they found no place: a real peer repeats itself every 250 ms, random junk never does,
 *   so a real newcomer arrives with rank 1 on its second message and displaces junk.
 * - **New ids per source** are rate-limited (a burst, then a steady rate), so one flooding host
 *   cannot even churn the table; forged sources are left to the ranks.
 * - **Ttl is capped** at {@link MAX_TTL_SECONDS} (Link sends 5): junk announcing 255 s is
 *   gone within seconds.
 * - **An id belongs to one endpoint.** A message with a known id from another source endpoint
 *   is refused while the owner keeps speaking (no flip-flopping entry); a ByeBye only counts
 *   from the owner. A peer that really moved (a reopened socket) is accepted once its old
 *   endpoint has been silent for {@link INCUMBENT_MICROS}.
 * @module
 */
import { KeyedBuckets } from '../core/rate-limit.ts';
import type { UdpRemote } from '../core/runtime.ts';
import type { PeerState } from './discovery-codec.ts';
import type { Endpoint, NodeId } from './types.ts';

/** Peers tracked per gateway at most. */
export const MAX_PEERS_PER_GATEWAY = 256;
/** The header ttl honoured at most, in seconds (Link sends 5). */
export const MAX_TTL_SECONDS = 10;
/** Node ids remembered after being heard once. */
export const RECENT_IDS = 4096;
/** A known id from a new endpoint is an impostor while its owner spoke within this time. */
export const INCUMBENT_MICROS = 1_000_000;
/** New node ids admitted per source address: a burst, then this many per second. */
export const NEW_IDS_PER_SOURCE = { burst: 64, perSecond: 16 } as const;

export const Rank = { Once: 0, Repeat: 1, Proven: 2, Session: 3 } as const;

export interface GatewayPeer {
  nodeId: NodeId;
  state: PeerState;
  expiresAt: number;
  /** Source of the peer's discovery datagrams: the entry belongs to this endpoint. */
  from: UdpRemote;
  heardAt: number;
  sightings: number;
  /** Its measurement endpoint answered our pings. */
  proven: boolean;
  /** The last datagram's bytes after the type byte (latin1), to recognise a repeat cheaply. */
  frame?: string;
}

export type Offer =
  | { kind: 'added' | 'updated'; peer: GatewayPeer; evicted?: GatewayPeer }
  | { kind: 'impostor'; owner: UdpRemote }
  | { kind: 'full' | 'limited' };

const endpointKey = (e: { address: string; port: number }) => `${e.address}|${e.port}`;
const sameEndpoint = (a: UdpRemote, b: UdpRemote) => a.address === b.address && a.port === b.port;

export class PeerTable {
  readonly peers = new Map<NodeId, GatewayPeer>();
  /** The same entries by source endpoint. */
  private readonly byEndpoint = new Map<string, GatewayPeer>();
  /** Entries of rank 0 in arrival order (the first candidates for eviction). */
  private readonly once = new Map<NodeId, GatewayPeer>();
  private readonly recent = new Map<NodeId, true>();
  private readonly provenEndpoints = new Map<string, true>();
  private readonly newIds: KeyedBuckets;

  constructor(
    /** Our current session id (peers of it rank highest). */
    private readonly sessionId: () => NodeId,
    nowMicros: number,
    private readonly capacity = MAX_PEERS_PER_GATEWAY,
  ) {
    this.newIds = new KeyedBuckets(NEW_IDS_PER_SOURCE, { burst: Infinity, perSecond: Infinity }, 1024, nowMicros);
  }

  get size(): number {
    return this.peers.size;
  }

  rank(p: GatewayPeer): number {
    if (p.state.sessionId !== undefined && p.state.sessionId === this.sessionId()) return Rank.Session;
    if (p.proven) return Rank.Proven;
    return p.sightings > 1 ? Rank.Repeat : Rank.Once;
  }

  /** A state message (Alive or Response) from `from` naming `nodeId`. */
  offer(nodeId: NodeId, ttl: number, state: PeerState, from: UdpRemote, now: number): Offer {
    const expiresAt = now + Math.min(ttl, MAX_TTL_SECONDS) * 1_000_000;
    const known = this.peers.get(nodeId);
    if (known) {
      if (!sameEndpoint(known.from, from)) {
        if (now - known.heardAt < INCUMBENT_MICROS) return { kind: 'impostor', owner: known.from };
        this.byEndpoint.delete(endpointKey(known.from));
        known.from = from;
        this.byEndpoint.set(endpointKey(from), known);
      }
      known.state = state;
      known.expiresAt = expiresAt;
      known.heardAt = now;
      known.sightings++;
      known.proven ||= this.isProven(state.measurementV4);
      this.once.delete(nodeId);
      return { kind: 'updated', peer: known };
    }
    const returning = this.recent.has(nodeId);
    const peer: GatewayPeer = {
      nodeId, state, from, expiresAt, heardAt: now, sightings: returning ? 2 : 1, proven: this.isProven(state.measurementV4),
    };
    if (!returning) {
      this.remember(nodeId);
      if (!this.newIds.take(from.address, now)) return { kind: 'limited' };
    }
    let evicted: GatewayPeer | undefined;
    if (this.peers.size >= this.capacity) {
      evicted = this.victim(this.rank(peer));
      if (!evicted) return { kind: 'full' };
      this.delete(evicted.nodeId);
      this.remember(evicted.nodeId); // if it was real, it comes back as a repeat
    }
    this.recent.delete(nodeId);
    this.peers.set(nodeId, peer);
    this.byEndpoint.set(endpointKey(from), peer);
    if (this.rank(peer) === Rank.Once) this.once.set(nodeId, peer);
    return evicted ? { kind: 'added', peer, evicted } : { kind: 'added', peer };
  }

  /** The entry whose datagrams come from `from`, if any. */
  fromEndpoint(from: UdpRemote): GatewayPeer | undefined {
    return this.byEndpoint.get(endpointKey(from));
  }

  /** `peer` repeated its last message: only its deadline moves. */
  refresh(peer: GatewayPeer, ttl: number, now: number): void {
    peer.expiresAt = now + Math.min(ttl, MAX_TTL_SECONDS) * 1_000_000;
    peer.heardAt = now;
    peer.sightings++;
    this.once.delete(peer.nodeId);
  }

  /** A ByeBye: removes `nodeId` only when it comes from the entry's own endpoint. */
  bye(nodeId: NodeId, from: UdpRemote): boolean {
    const p = this.peers.get(nodeId);
    if (!p || !sameEndpoint(p.from, from)) return false;
    this.delete(nodeId);
    return true;
  }

  /** Removes and returns every entry whose deadline has passed. */
  expire(now: number): GatewayPeer[] {
    const gone: GatewayPeer[] = [];
    for (const p of this.peers.values()) if (p.expiresAt <= now) gone.push(p);
    for (const p of gone) this.delete(p.nodeId);
    return gone;
  }

  earliestExpiry(): number {
    let earliest = Infinity;
    for (const p of this.peers.values()) if (p.expiresAt < earliest) earliest = p.expiresAt;
    return earliest;
  }

  /** `endpoint` answered our pings: peers advertising it rank as proven from now on. */
  markProven(endpoint: Endpoint): void {
    const key = endpointKey(endpoint);
    if (this.provenEndpoints.has(key)) return; // every pong of a measurement calls this
    this.provenEndpoints.delete(key);
    this.provenEndpoints.set(key, true);
    if (this.provenEndpoints.size > this.capacity) this.provenEndpoints.delete(this.provenEndpoints.keys().next().value as string);
    for (const p of this.peers.values()) {
      const m = p.state.measurementV4;
      if (m && endpointKey(m) === key) {
        p.proven = true;
        this.once.delete(p.nodeId);
      }
    }
  }

  /** Removes every entry and returns their ids. */
  clear(): NodeId[] {
    const ids = [...this.peers.keys()];
    this.peers.clear();
    this.once.clear();
    this.byEndpoint.clear();
    return ids;
  }

  private isProven(ep: Endpoint | undefined): boolean {
    return ep !== undefined && this.provenEndpoints.has(endpointKey(ep));
  }

  private remember(nodeId: NodeId): void {
    this.recent.set(nodeId, true);
    if (this.recent.size > RECENT_IDS) this.recent.delete(this.recent.keys().next().value as NodeId);
  }

  /** The entry to evict for a newcomer of rank `rank`: lowest rank, oldest first; none if all rank higher. */
  private victim(rank: number): GatewayPeer | undefined {
    for (const [id, p] of this.once) {
      if (this.rank(p) === Rank.Once) return p;
      this.once.delete(id); // it rose (joined our session, proven): no longer a first candidate
    }
    let best: GatewayPeer | undefined;
    let bestRank = Infinity;
    for (const p of this.peers.values()) {
      const r = this.rank(p);
      if (r < bestRank || (r === bestRank && best !== undefined && p.heardAt < best.heardAt)) {
        best = p;
        bestRank = r;
      }
    }
    return best !== undefined && bestRank <= rank ? best : undefined;
  }

  private delete(nodeId: NodeId): void {
    const p = this.peers.get(nodeId);
    if (p && this.byEndpoint.get(endpointKey(p.from)) === p) this.byEndpoint.delete(endpointKey(p.from));
    this.peers.delete(nodeId);
    this.once.delete(nodeId);
  }
}
