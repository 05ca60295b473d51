/**
 * One Link gateway: the discovery and measurement sockets of one IPv4 interface, the alive
 * schedule, responses, byebye, the per-gateway peer table with ttl expiry, and the stateless
 * ping responder (link-wire-spec 01 §2–§7, 02 §3–§4.3). Receive paths never throw: every
 * dropped datagram becomes a warning.
 * @module
 */
import { DecodeError, toError } from '../core/errors.ts';
import type { Runtime, TimerHandle, UdpRemote, UdpSocket } from '../core/runtime.ts';
import {
  decodeDiscovery,
  DISCOVERY_PORT,
  encodeDiscovery,
  isDiscoveryFrame,
  MessageType,
  MULTICAST_GROUP_V4,
  type PeerState,
} from './discovery-codec.ts';
import { decodeMeasurement, encodePongEcho, isMeasurementFrame, PING, PONG, type MeasurementMessage } from './measurement-codec.ts';
import type { Endpoint, NodeId } from './types.ts';

export const TTL_SECONDS = 5;
export const ALIVE_PERIOD_MICROS = 250_000;
export const MIN_SPACING_MICROS = 50_000;
export const PRUNE_PADDING_MICROS = 1_000_000;
/** Peers tracked per gateway at most; alives from further unknown peers are dropped. */
export const MAX_PEERS_PER_GATEWAY = 256;

export interface GatewayPeer {
  nodeId: NodeId;
  state: PeerState;
  expiresAt: number;
  /** Source of the peer's discovery datagrams. */
  from: UdpRemote;
}

/** What a gateway needs from the Link peer that owns it. */
export interface GatewayHost {
  readonly nodeId: NodeId;
  /** Current state to announce, without endpoints (the gateway adds its own). */
  peerState(): PeerState;
  /** Current session id and ghost time, for pongs. */
  pongInfo(): { sessionId: NodeId; ghostTime: number };
  onPeerState(gw: Gateway, peer: GatewayPeer): void;
  onPeerGone(gw: Gateway, nodeId: NodeId, reason: 'byebye' | 'timeout' | 'closed'): void;
  onPong(gw: Gateway, pong: MeasurementMessage, from: UdpRemote, receivedAtMicros: number): boolean;
  warn(code: string, message: string): void;
}

export class Gateway {
  readonly address: string;
  readonly peers = new Map<NodeId, GatewayPeer>();
  private unicast: UdpSocket | undefined;
  private multicast: UdpSocket | undefined;
  private measure: UdpSocket | undefined;
  private unicastPort = 0;
  private measurePort = 0;
  private lastAliveAt = -Infinity;
  private aliveTimer: TimerHandle | undefined;
  private pruneTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly rt: Runtime,
    private readonly host: GatewayHost,
    address: string,
    private readonly loopback: boolean,
  ) {
    this.address = address;
  }

  get ready(): boolean {
    return this.unicastPort > 0 && this.measurePort > 0 && !this.closed;
  }

  /** The measurement endpoint advertised as mep4. */
  get measurementEndpoint(): Endpoint {
    return { address: this.address, port: this.measurePort };
  }

  open(): void {
    const net = this.rt.network;
    const onError = (what: string) => (err: Error) => this.host.warn('E_SOCKET', `${what} socket on ${this.address}: ${err.message}`);
    this.unicast = net.openUdp({
      interfaceAddress: this.address,
      multicastLoopback: this.loopback,
      onListening: (port) => { this.unicastPort = port; this.maybeStart(); },
      onMessage: (d, from) => this.onDiscovery(d, from),
      onError: onError('discovery'),
    });
    this.multicast = net.openUdp({
      interfaceAddress: this.address,
      port: DISCOVERY_PORT,
      multicastGroup: MULTICAST_GROUP_V4,
      onListening: () => undefined,
      onMessage: (d, from) => this.onDiscovery(d, from),
      onError: onError('multicast'),
    });
    this.measure = net.openUdp({
      interfaceAddress: this.address,
      onListening: (port) => { this.measurePort = port; this.maybeStart(); },
      onMessage: (d, from, at) => this.onMeasurement(d, from, at),
      onError: onError('measurement'),
    });
  }

  /** Announces a state change now, or as soon as the 50 ms spacing allows. */
  announce(): void {
    if (!this.ready) return;
    const wait = this.lastAliveAt + MIN_SPACING_MICROS - this.rt.clock.micros();
    if (wait <= 0) this.sendAlive();
    else this.armAlive(wait);
  }

  sendPing(data: Uint8Array, to: Endpoint): void {
    this.measure?.send(data, to.port, to.address);
  }

  /** Sends byebye, closes the sockets and forgets every peer. */
  close(): void {
    if (this.closed) return;
    if (this.ready) this.sendMessage(MessageType.ByeBye, 0, MULTICAST_GROUP_V4, DISCOVERY_PORT);
    this.closed = true;
    this.aliveTimer?.cancel();
    this.pruneTimer?.cancel();
    for (const s of [this.unicast, this.multicast, this.measure]) s?.close();
    const ids = [...this.peers.keys()];
    this.peers.clear();
    for (const id of ids) this.host.onPeerGone(this, id, 'closed');
  }

  private maybeStart(): void {
    if (this.ready) this.sendAlive();
  }

  private armAlive(delay: number): void {
    this.aliveTimer?.cancel();
    this.aliveTimer = this.rt.timers.setTimeout(() => this.sendAlive(), delay);
  }

  private sendAlive(): void {
    if (!this.ready) return;
    this.sendMessage(MessageType.Alive, TTL_SECONDS, MULTICAST_GROUP_V4, DISCOVERY_PORT);
    this.lastAliveAt = this.rt.clock.micros();
    this.armAlive(ALIVE_PERIOD_MICROS);
  }

  private sendMessage(type: number, ttl: number, address: string, port: number): void {
    const state = type === MessageType.ByeBye ? undefined : { ...this.host.peerState(), measurementV4: this.measurementEndpoint };
    try {
      this.unicast?.send(encodeDiscovery({ type, ttl, groupId: 0, nodeId: this.host.nodeId, state }), port, address);
    } catch (err) {
      this.host.warn('E_SOCKET', `cannot send discovery message: ${toError(err).message}`);
    }
  }

  private onDiscovery(data: Uint8Array, from: UdpRemote): void {
    if (this.closed) return;
    if (!isDiscoveryFrame(data)) {
      this.host.warn('E_DECODE', `dropped ${data.length}-byte datagram from ${from.address}:${from.port}: not a Link discovery frame`);
      return;
    }
    let msg;
    try {
      msg = decodeDiscovery(data);
    } catch (err) {
      this.host.warn('E_DECODE', `dropped discovery datagram from ${from.address}:${from.port}: ${toError(err).message}`);
      // Alive still gets its response (spec 01 §4.2) when the header parsed.
      if (err instanceof DecodeError && data[8] === MessageType.Alive && !this.isSelf(data)) this.respond(from);
      return;
    }
    if (msg.nodeId === this.host.nodeId) return;
    if (msg.groupId !== 0) {
      this.host.warn('E_PROTOCOL', `dropped discovery message with groupId ${msg.groupId} from ${from.address}`);
      return;
    }
    switch (msg.type) {
      case MessageType.Alive:
      case MessageType.Response:
        this.onState(msg.type, msg.nodeId, msg.ttl, msg.state ?? {}, from);
        break;
      case MessageType.ByeBye:
        if (this.peers.delete(msg.nodeId)) this.host.onPeerGone(this, msg.nodeId, 'byebye');
        break;
      default:
        this.host.warn('E_PROTOCOL', `ignored discovery message of unknown type ${msg.type} from ${from.address}`);
    }
  }

  private isSelf(data: Uint8Array): boolean {
    let id = '';
    for (let i = 12; i < 20; i++) id += (data[i] ?? 0).toString(16).padStart(2, '0');
    return id === this.host.nodeId;
  }

  private onState(type: number, nodeId: NodeId, ttl: number, state: PeerState, from: UdpRemote): void {
    const known = this.peers.has(nodeId);
    if (!known && this.peers.size >= MAX_PEERS_PER_GATEWAY) {
      this.host.warn('E_PROTOCOL', `peer table on ${this.address} is full (${MAX_PEERS_PER_GATEWAY}); ignored new peer ${nodeId}`);
      return;
    }
    if (type === MessageType.Alive) this.respond(from);
    const peer: GatewayPeer = { nodeId, state, from, expiresAt: this.rt.clock.micros() + ttl * 1_000_000 };
    this.peers.set(nodeId, peer);
    this.schedulePrune();
    this.host.onPeerState(this, peer);
  }

  private respond(to: UdpRemote): void {
    if (this.ready) this.sendMessage(MessageType.Response, TTL_SECONDS, to.address, to.port);
  }

  private schedulePrune(): void {
    let earliest = Infinity;
    for (const p of this.peers.values()) earliest = Math.min(earliest, p.expiresAt);
    this.pruneTimer?.cancel();
    this.pruneTimer = undefined;
    if (earliest === Infinity) return;
    const delay = Math.max(0, earliest + PRUNE_PADDING_MICROS - this.rt.clock.micros());
    this.pruneTimer = this.rt.timers.setTimeout(() => this.prune(), delay);
  }

  private prune(): void {
    const now = this.rt.clock.micros();
    for (const [id, p] of [...this.peers]) {
      if (p.expiresAt <= now) {
        this.peers.delete(id);
        this.host.onPeerGone(this, id, 'timeout');
      }
    }
    this.schedulePrune();
  }

  private onMeasurement(data: Uint8Array, from: UdpRemote, receivedAt?: number): void {
    if (this.closed) return;
    if (!isMeasurementFrame(data)) {
      this.host.warn('E_DECODE', `dropped ${data.length}-byte datagram on the measurement socket from ${from.address}:${from.port}`);
      return;
    }
    if (data[8] === PING) {
      // The ghost time of the midpoint between the ping's arrival and the pong's departure, as
      // a responder answering at once would stamp (corrects the runtime's own latencies).
      const lat = this.rt.network.latency;
      const { sessionId, ghostTime } = this.host.pongInfo();
      const now = this.rt.clock.micros();
      const arrival = (receivedAt ?? now) - (lat?.receiveMicros ?? 0);
      const departure = now + (lat?.sendMicros ?? 0);
      const pong = encodePongEcho(data, sessionId, ghostTime - now + Math.round((arrival + departure) / 2));
      if (pong) this.measure?.send(pong, from.port, from.address);
      else this.host.warn('E_PROTOCOL', `ignored oversized ping from ${from.address}:${from.port}`);
      return;
    }
    let msg: MeasurementMessage;
    try {
      msg = decodeMeasurement(data);
    } catch (err) {
      this.host.warn('E_DECODE', `dropped measurement datagram from ${from.address}:${from.port}: ${toError(err).message}`);
      return;
    }
    if (msg.type !== PONG) {
      this.host.warn('E_PROTOCOL', `ignored measurement message of unknown type ${msg.type}`);
      return;
    }
    const arrival = (receivedAt ?? this.rt.clock.micros()) - (this.rt.network.latency?.receiveMicros ?? 0);
    if (!this.host.onPong(this, msg, from, arrival)) {
      this.host.warn('E_PROTOCOL', `ignored pong from ${from.address}:${from.port}: no measurement in progress with it`);
    }
  }
}
