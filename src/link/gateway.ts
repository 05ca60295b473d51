/**
 * One Link gateway: the discovery and measurement sockets of one IPv4 interface, the alive
 * schedule, responses, byebye, the per-gateway peer table with ttl expiry, and the stateless
 * ping responder (link-wire-spec 01 §2–§7, 02 §3–§4.3). Receive paths never throw: every
 * dropped datagram becomes a warning. Replies a stranger can trigger (Responses, pongs) are
 * rate-limited per source and in total; the table is bounded and fair (peer-table.ts).
 * @module
 */
import { KeyedBuckets } from '../core/rate-limit.ts';
import { toError } from '../core/errors.ts';
import type { InterfaceAddress, Runtime, TimerHandle, UdpRemote, UdpSocket } from '../core/runtime.ts';
import { ipv4EndpointProblem } from './address.ts';
import {
  decodeDiscovery,
  DISCOVERY_PORT,
  isDiscoveryFrame,
  MessageType,
  MULTICAST_GROUP_V4,
  type PeerState,
} from './discovery-codec.ts';
import { DiscoveryEncoder } from './discovery-encoder.ts';
import { FloodSummary } from './flood-summary.ts';
import { MeasurementPort } from './measurement-port.ts';
import { ALIVE_PERIOD_MICROS, MIN_SPACING_MICROS, PRUNE_PADDING_MICROS, RESPONSE_LIMITS, TTL_SECONDS, type GatewayHost } from './gateway-host.ts';
import { PeerTable, type GatewayPeer } from './peer-table.ts';
import { selfMeasure } from './warm-up.ts';
import type { Endpoint, NodeId } from './types.ts';

export { MAX_PEERS_PER_GATEWAY, MAX_TTL_SECONDS, type GatewayPeer } from './peer-table.ts';
export { PONG_LIMITS } from './measurement-port.ts';
export * from './gateway-host.ts';

/** Bytes to a string, one char per byte, for cheap comparison of whole datagrams. */
const LATIN1 = new TextDecoder('latin1');

export class Gateway {
  readonly address: string;
  private readonly table: PeerTable;
  private unicast: UdpSocket | undefined;
  private multicast: UdpSocket | undefined;
  private measure: UdpSocket | undefined;
  private unicastPort = 0;
  private measurePort = 0;
  private lastAliveAt = -Infinity;
  private aliveTimer: TimerHandle | undefined;
  private pruneTimer: TimerHandle | undefined;
  private pruneAt = Infinity;
  private closed = false;
  private warming = false;
  private started = false;
  private failure: string | undefined;
  private readonly responses: KeyedBuckets;
  private readonly encoder = new DiscoveryEncoder();
  private readonly measurementPort: MeasurementPort;
  private readonly flood: FloodSummary;
  /** endpointProblem's answers (each Alive names an endpoint; most name the same few). */
  private readonly endpointChecks = new Map<string, string | undefined>();

  constructor(
    private readonly rt: Runtime,
    private readonly host: GatewayHost,
    private readonly iface: Pick<InterfaceAddress, 'address' | 'prefixLength' | 'internal'>,
  ) {
    this.address = iface.address;
    const now = rt.clock.micros();
    this.table = new PeerTable(() => host.sessionId, now);
    this.responses = new KeyedBuckets(RESPONSE_LIMITS.perSource, RESPONSE_LIMITS.total, 1024, now);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const gw = this;
    this.measurementPort = new MeasurementPort(rt, {
      get sessionId() { return host.sessionId; },
      get ghostOffset() { return host.ghostOffset; },
      sendPong: (bytes, to) => this.send(this.measure, bytes, to, 'pong'),
      onPong: (pong, from, at) => host.onPong(gw, pong, from, at),
      proven: (from) => this.table.markProven(from),
      limited: () => this.flood.refuse('pongs'),
      warn: (code, m) => host.warn(code, m),
    });
    this.flood = new FloodSummary(rt.timers, (m) => { if (!this.closed) host.warn('E_PROTOCOL', `flood on ${this.address} in the last second: ${m}`); });
  }

  /** Peers heard on this gateway, by node id. */
  get peers(): ReadonlyMap<NodeId, GatewayPeer> {
    return this.table.peers;
  }

  get ready(): boolean {
    return this.unicastPort > 0 && this.measurePort > 0 && !this.closed && this.failure === undefined;
  }

  /** Why the gateway's sockets failed before it became ready (the peer reopens it at the next scan). */
  get failed(): string | undefined {
    return this.failure;
  }

  /** The measurement endpoint advertised as mep4. */
  get measurementEndpoint(): Endpoint {
    return { address: this.address, port: this.measurePort };
  }

  /** The peer's rank in this gateway's table (peer-table.ts). */
  rank(peer: GatewayPeer): number {
    return this.table.rank(peer);
  }

  /** Whether `from` is this gateway's discovery (sending) socket. */
  isOwnEndpoint(from: UdpRemote): boolean {
    return from.address === this.address && (from.port === this.unicastPort || from.port === this.measurePort);
  }

  /** Why a peer's advertised measurement endpoint must not be measured from here, or undefined. */
  endpointProblem(ep: Endpoint): string | undefined {
    const key = `${ep.address}|${ep.port}`;
    if (this.endpointChecks.has(key)) return this.endpointChecks.get(key);
    const problem = ipv4EndpointProblem(ep, this.address, this.loopback ? 8 : this.iface.prefixLength);
    if (this.endpointChecks.size >= 1024) this.endpointChecks.clear(); // forged endpoints must not grow it
    this.endpointChecks.set(key, problem);
    return problem;
  }

  open(): void {
    const net = this.rt.network;
    let multicastUp = false;
    const onError = (what: string, up: () => boolean) => (err: Error) => {
      if (this.closed) return;
      // An error before a socket is up (a failed bind or group join) leaves a gateway that can
      // never work: mark it so the next interface scan replaces it.
      if (!up()) this.failure ??= `${what} socket: ${err.message}`;
      this.host.warn('E_SOCKET', `${what} socket on ${this.address}: ${err.message}`);
    };
    try {
      this.unicast = net.openUdp({
        interfaceAddress: this.address,
        multicastLoopback: this.loopback,
        onListening: (port) => { this.unicastPort = port; this.maybeStart(); },
        onMessage: (d, from) => this.guard(() => this.onDiscovery(d, from)),
        onError: onError('discovery', () => this.unicastPort > 0),
      });
      this.multicast = net.openUdp({
        interfaceAddress: this.address,
        port: DISCOVERY_PORT,
        multicastGroup: MULTICAST_GROUP_V4,
        onListening: () => { multicastUp = true; },
        onMessage: (d, from) => this.guard(() => this.onDiscovery(d, from)),
        onError: onError('multicast', () => multicastUp),
      });
      this.measure = net.openUdp({
        interfaceAddress: this.address,
        onListening: (port) => { this.measurePort = port; this.maybeStart(); },
        onMessage: (d, from, at) => this.guard(() => this.onMeasurement(d, from, at)),
        onError: onError('measurement', () => this.measurePort > 0),
      });
    } catch (err) {
      onError('open', () => false)(toError(err));
    }
  }

  /** Announces a state change now, or as soon as the 50 ms spacing allows. */
  announce(): void {
    if (!this.measuring) return;
    const wait = this.lastAliveAt + MIN_SPACING_MICROS - this.rt.clock.micros();
    if (wait <= 0) this.sendAlive();
    else this.armAlive(wait);
  }

  /** Sends a ping to a peer's measurement endpoint (checked: our subnet, a real port). */
  sendPing(data: Uint8Array, to: Endpoint): void {
    const problem = this.endpointProblem(to);
    if (problem !== undefined) throw new RangeError(`will not ping ${to.address}:${to.port} from ${this.address}: ${problem}`);
    this.send(this.measure, data, to, 'ping');
  }

  /** Sends a ByeBye naming `nodeId`. */
  byeBye(nodeId: NodeId): void {
    if (this.ready) this.sendMessage(MessageType.ByeBye, 0, { address: MULTICAST_GROUP_V4, port: DISCOVERY_PORT }, nodeId);
  }

  /**
   * Our node id changed from `oldId`: an Alive under the new one first, then a ByeBye for the
   * old, so a peer whose only peer we are never sees zero peers (which would reset it).
   */
  renamed(oldId: NodeId): void {
    if (!this.measuring) return;
    this.sendAlive();
    this.byeBye(oldId);
  }

  /** Sends byebye, closes the sockets and forgets every peer. */
  /** Resolves when the sockets have sent what they owed (the ByeBye) and closed. */
  close(reason: 'closed' | 'vanished' = 'closed'): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.byeBye(this.host.nodeId);
    this.closed = true;
    this.aliveTimer?.cancel();
    this.pruneTimer?.cancel();
    this.flood.close();
    const closing: Array<void | Promise<void>> = [];
    for (const s of [this.unicast, this.multicast, this.measure]) {
      try {
        closing.push(s?.close());
      } catch (err) {
        this.host.warn('E_SOCKET', `closing a socket on ${this.address}: ${toError(err).message}`);
      }
    }
    for (const id of this.table.clear()) this.host.onPeerGone(this, id, reason);
    return Promise.all(closing).then(() => undefined, () => undefined);
  }

  /** Loopback gateways enable multicast loopback (spec 01 §2) and span all of 127/8. */
  private get loopback(): boolean {
    return this.iface.internal || this.address.startsWith('127.');
  }

  /** Runs a receive or timer path; whatever it throws becomes a warning, never an exception. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.host.warn('E_STATE', `internal error on gateway ${this.address}: ${toError(err).message}`);
    }
  }

  private send(socket: UdpSocket | undefined, data: Uint8Array, to: UdpRemote, what: string): void {
    try {
      socket?.send(data, to.port, to.address);
    } catch (err) {
      this.host.warn('E_SOCKET', `cannot send ${what} to ${to.address}:${to.port}: ${toError(err).message}`);
    }
  }

  /** Once the sockets are up: warm the measurement path on ourselves (warm-up.ts), then discovery. */
  private maybeStart(): void {
    if (!this.ready || this.warming) return;
    this.warming = true;
    selfMeasure(this.rt, this.address, this.measurementEndpoint, this.host.sessionId, (r) => this.guard(() => {
      if (this.closed) return;
      const own = this.host.ghostOffset;
      this.host.debug(r.ok
        ? `gateway ${this.address} measured itself: offset ${r.intercept - own} µs from its own transform (± ${r.uncertaintyMicros}), round trip min ${r.minRttMicros} / median ${r.medianRttMicros} µs`
        : `gateway ${this.address} could not measure itself (${r.reason}); starting anyway`);
      this.started = true;
      this.sendAlive();
    }));
  }

  /** Discovery runs (after the warm-up): a measurement may be aimed from this gateway. */
  get measuring(): boolean {
    return this.started && this.ready;
  }

  private armAlive(delay: number): void {
    this.aliveTimer?.cancel();
    this.aliveTimer = this.rt.timers.setTimeout(() => this.guard(() => this.sendAlive()), delay);
  }

  private sendAlive(): void {
    if (!this.measuring) return;
    this.sendMessage(MessageType.Alive, TTL_SECONDS, { address: MULTICAST_GROUP_V4, port: DISCOVERY_PORT });
    this.lastAliveAt = this.rt.clock.micros();
    this.armAlive(ALIVE_PERIOD_MICROS);
  }

  private sendMessage(type: number, ttl: number, to: UdpRemote, nodeId = this.host.nodeId): void {
    let bytes: Uint8Array;
    try {
      bytes = this.encoder.encode(type, ttl, nodeId, type === MessageType.ByeBye ? undefined : this.host.peerState(), this.measurementEndpoint);
    } catch (err) {
      this.host.warn('E_STATE', `cannot encode discovery message: ${toError(err).message}`);
      return;
    }
    this.send(this.unicast, bytes, to, 'discovery message');
  }

  private onDiscovery(data: Uint8Array, from: UdpRemote): void {
    if (this.closed) return;
    if (!isDiscoveryFrame(data)) {
      this.host.warn('E_DECODE', `dropped ${data.length}-byte datagram from ${from.address}:${from.port}: not a Link discovery frame`);
      return;
    }
    if (this.host.isOwnEndpoint(from)) return; // our own multicast, looped back
    const type = data[8];
    // A Response goes out before the payload is looked at, stateless (spec 01 §4.2): a full
    // table or a payload that does not parse never silences us towards a newcomer.
    if (type === MessageType.Alive && data[10] === 0 && data[11] === 0 && !this.isOurId(data)) this.respond(from);
    // A peer of our session repeating itself (the steady state: 8 messages a second per peer)
    // only moves its deadline; nothing it says is new.
    const known = this.table.fromEndpoint(from);
    const frame = LATIN1.decode(data.subarray(9));
    if (known && known.frame === frame && known.state.sessionId === this.host.sessionId && (type === MessageType.Alive || type === MessageType.Response)) {
      this.table.refresh(known, data[9]!, this.rt.clock.micros());
      return;
    }
    let msg;
    try {
      msg = decodeDiscovery(data);
    } catch (err) {
      this.host.warn('E_DECODE', `dropped discovery datagram from ${from.address}:${from.port}: ${toError(err).message}`);
      return;
    }
    if (msg.nodeId === this.host.nodeId) {
      if (msg.type !== MessageType.ByeBye) this.host.onDuplicateId(this, from);
      return;
    }
    if (msg.groupId !== 0) {
      this.host.warn('E_PROTOCOL', `dropped discovery message with groupId ${msg.groupId} from ${from.address}`);
      return;
    }
    switch (msg.type) {
      case MessageType.Alive:
      case MessageType.Response:
        this.onState(msg.nodeId, msg.ttl, msg.state ?? {}, from, frame);
        break;
      case MessageType.ByeBye:
        if (this.table.bye(msg.nodeId, from)) this.host.onPeerGone(this, msg.nodeId, 'byebye');
        break;
      default:
        this.host.warn('E_PROTOCOL', `ignored discovery message of unknown type ${msg.type} from ${from.address}`);
    }
  }

  private isOurId(data: Uint8Array): boolean {
    let id = '';
    for (let i = 12; i < 20; i++) id += (data[i] ?? 0).toString(16).padStart(2, '0');
    return id === this.host.nodeId;
  }

  private onState(nodeId: NodeId, ttl: number, state: PeerState, from: UdpRemote, frame: string): void {
    const mep = state.measurementV4;
    if (mep !== undefined) {
      const problem = this.endpointProblem(mep);
      if (problem !== undefined) {
        this.host.warn('E_PROTOCOL', `peer ${nodeId} from ${from.address} advertises measurement endpoint ${mep.address}:${mep.port} (${problem}); it will not be measured`);
        delete state.measurementV4;
      }
    }
    const now = this.rt.clock.micros();
    const r = this.table.offer(nodeId, ttl, state, from, now);
    switch (r.kind) {
      case 'impostor':
        this.host.warn('E_PROTOCOL', `ignored node id ${nodeId} from ${from.address}:${from.port}: it belongs to ${r.owner.address}:${r.owner.port}`);
        return;
      case 'full':
        this.flood.refuse('full');
        return;
      case 'limited':
        this.flood.refuse('newIds');
        return;
      default:
    }
    r.peer.frame = frame;
    if (r.evicted) this.host.onPeerGone(this, r.evicted.nodeId, 'evicted');
    if (r.peer.expiresAt + PRUNE_PADDING_MICROS < this.pruneAt) this.armPrune(r.peer.expiresAt);
    this.host.onPeerState(this, r.peer);
  }

  private respond(to: UdpRemote): void {
    if (!this.ready) return;
    if (!this.responses.take(to.address, this.rt.clock.micros())) {
      this.flood.refuse('responses');
      return;
    }
    this.sendMessage(MessageType.Response, TTL_SECONDS, to);
  }

  private armPrune(earliest: number): void {
    this.pruneTimer?.cancel();
    this.pruneTimer = undefined;
    this.pruneAt = Infinity;
    if (earliest === Infinity) return;
    this.pruneAt = earliest + PRUNE_PADDING_MICROS;
    const delay = Math.max(0, this.pruneAt - this.rt.clock.micros());
    this.pruneTimer = this.rt.timers.setTimeout(() => this.guard(() => this.prune()), delay);
  }

  private prune(): void {
    this.pruneAt = Infinity;
    for (const p of this.table.expire(this.rt.clock.micros())) this.host.onPeerGone(this, p.nodeId, 'timeout');
    this.armPrune(this.table.earliestExpiry());
  }

  private onMeasurement(data: Uint8Array, from: UdpRemote, receivedAt?: number): void {
    if (!this.closed) this.measurementPort.receive(data, from, receivedAt);
  }
}
