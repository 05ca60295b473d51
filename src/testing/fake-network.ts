/**
 * An in-memory UDP network for scenario tests on VirtualTime: hosts with their own clock
 * offsets, latency (with per-host asymmetry), seeded loss, partitions, multicast groups,
 * a record of every send and injection of arbitrary datagrams. Nothing touches the OS.
 * @module
 */
import { SeededRandom } from '../core/prng.ts';
import type { Clock, InterfaceAddress, Network, Runtime, UdpOpenOptions, UdpRemote, UdpSocket } from '../core/runtime.ts';
import type { VirtualTime } from './virtual-time.ts';

export interface FakeNetworkOptions {
  /** One-way base latency in µs (default 100). */
  latencyMicros?: number;
  /** Probability of losing each datagram, 0..1 (default 0). */
  lossRate?: number;
  seed?: number;
}

export interface FakeHostOptions {
  name: string;
  /** Interface address; defaults to 127.0.1.N. */
  address?: string;
  /** This host's clock reads true time + offset. */
  clockOffsetMicros?: number;
  /** Extra one-way delay for datagrams this host sends (asymmetry). */
  uplinkMicros?: number;
  /** Extra one-way delay for datagrams this host receives. */
  downlinkMicros?: number;
  seed?: number;
}

export interface SentDatagram {
  time: number;
  from: UdpRemote;
  to: UdpRemote;
  data: Uint8Array;
  delivered: boolean;
}

interface BoundSocket {
  host: FakeHost;
  port: number;
  group: string | undefined;
  options: UdpOpenOptions;
  closed: boolean;
}

export class FakeHost {
  readonly runtime: Runtime;
  readonly address: string;
  private readonly clockOffset: number;

  constructor(
    readonly net: FakeNetwork,
    readonly options: FakeHostOptions,
    address: string,
  ) {
    this.address = address;
    this.clockOffset = options.clockOffsetMicros ?? 0;
    const vt = net.time;
    const clock: Clock = { micros: () => vt.micros() + this.clockOffset };
    const network: Network = {
      openUdp: (o) => net.open(this, o),
      interfaces: () => (net.isUp(this) ? [this.interfaceInfo()] : []),
    };
    this.runtime = { clock, timers: vt, network, random: new SeededRandom(options.seed ?? hashName(options.name)) };
  }

  get name(): string {
    return this.options.name;
  }

  interfaceInfo(): InterfaceAddress {
    return { name: 'fake0', address: this.address, family: 'IPv4', internal: false, prefixLength: 8 };
  }
}

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class FakeNetwork {
  readonly time: VirtualTime;
  readonly sent: SentDatagram[] = [];
  /** Set false to stop recording sends (long soak scenarios). */
  record = true;
  latencyMicros: number;
  lossRate: number;
  private readonly rng: SeededRandom;
  private readonly hosts: FakeHost[] = [];
  private readonly sockets: BoundSocket[] = [];
  private readonly down = new Set<FakeHost>();
  private readonly cuts = new Set<string>();
  private groups: Map<FakeHost, number> | undefined;
  private nextPort = 40000;
  private readonly bindFailures = new Map<FakeHost, number>();

  constructor(time: VirtualTime, options: FakeNetworkOptions = {}) {
    this.time = time;
    this.latencyMicros = options.latencyMicros ?? 100;
    this.lossRate = options.lossRate ?? 0;
    this.rng = new SeededRandom(options.seed ?? 1);
  }

  addHost(options: FakeHostOptions): FakeHost {
    const host = new FakeHost(this, options, options.address ?? `127.0.1.${this.hosts.length + 1}`);
    this.hosts.push(host);
    return host;
  }

  /** Splits the network: datagrams flow only within a group. Hosts not named form one more group. */
  partition(...groups: FakeHost[][]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((h) => this.groups?.set(h, i)));
  }

  heal(): void {
    this.groups = undefined;
    this.cuts.clear();
  }

  /** Cuts the link between two hosts (both directions) until `heal()`. */
  cut(a: FakeHost, b: FakeHost): void {
    this.cuts.add(`${a.address}|${b.address}`);
    this.cuts.add(`${b.address}|${a.address}`);
  }

  /**
   * Makes the next `count` sockets `host` opens fail to bind (an `EADDRINUSE` error instead of
   * `onListening`), as a real bind can.
   */
  failBinds(host: FakeHost, count: number): void {
    this.bindFailures.set(host, (this.bindFailures.get(host) ?? 0) + count);
  }

  /** Takes a host's interface away (rescan sees none) or back. */
  setInterfaceUp(host: FakeHost, up: boolean): void {
    if (up) this.down.delete(host);
    else this.down.add(host);
  }

  isUp(host: FakeHost): boolean {
    return !this.down.has(host);
  }

  /** Delivers `data` to `host` as if sent from `from` to `toPort` (after the usual latency). */
  inject(host: FakeHost, toPort: number, data: Uint8Array, from: UdpRemote = { address: '127.0.9.9', port: 9999 }): void {
    for (const s of this.sockets) {
      if (!s.closed && s.host === host && s.port === toPort) this.schedule(s, data, from, this.latencyMicros);
    }
  }

  open(host: FakeHost, o: UdpOpenOptions): UdpSocket {
    const port = o.port && o.port > 0 ? o.port : this.nextPort++;
    const bound: BoundSocket = { host, port, group: o.multicastGroup, options: o, closed: false };
    const failures = this.bindFailures.get(host) ?? 0;
    if (failures > 0) {
      this.bindFailures.set(host, failures - 1);
      bound.closed = true;
      this.time.setTimeout(() => o.onError(new Error(`bind EADDRINUSE ${host.address}:${port}`)), 0);
    } else {
      this.sockets.push(bound);
      // Listening is reported asynchronously, like a real bind.
      this.time.setTimeout(() => { if (!bound.closed) o.onListening(port); }, 0);
    }
    return {
      send: (data, toPort, toAddress) => this.send(bound, data, toPort, toAddress),
      close: () => {
        bound.closed = true;
        const i = this.sockets.indexOf(bound);
        if (i >= 0) this.sockets.splice(i, 1);
      },
    };
  }

  private reachable(a: FakeHost, b: FakeHost): boolean {
    if (this.down.has(a) || this.down.has(b)) return false;
    if (this.cuts.has(`${a.address}|${b.address}`)) return false;
    if (!this.groups) return true;
    return (this.groups.get(a) ?? -1) === (this.groups.get(b) ?? -1);
  }

  private send(src: BoundSocket, data: Uint8Array, toPort: number, toAddress: string): void {
    // Like node:dgram, a bad port throws synchronously: code under test must never get here.
    if (!Number.isInteger(toPort) || toPort < 1 || toPort > 65535) throw new RangeError(`ERR_SOCKET_BAD_PORT: port ${toPort}`);
    if (src.closed) return;
    const from = { address: src.host.address, port: src.port };
    const targets = this.sockets.filter((s) =>
      !s.closed && s.port === toPort &&
      (s.group !== undefined ? s.group === toAddress : s.host.address === toAddress));
    let delivered = false;
    for (const t of targets) {
      if (!this.reachable(src.host, t.host)) continue;
      if (this.lossRate > 0 && this.rng.float() < this.lossRate) continue;
      const delay = this.latencyMicros + (src.host.options.uplinkMicros ?? 0) + (t.host.options.downlinkMicros ?? 0);
      this.schedule(t, data, from, delay);
      delivered = true;
    }
    if (this.record) this.sent.push({ time: this.time.micros(), from, to: { address: toAddress, port: toPort }, data: data.slice(), delivered });
  }

  private schedule(target: BoundSocket, data: Uint8Array, from: UdpRemote, delay: number): void {
    const copy = data.slice();
    this.time.setTimeout(() => {
      if (!target.closed) target.options.onMessage(copy, from);
    }, delay);
  }
}
