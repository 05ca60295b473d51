/**
 * The Node runtime (L2): the only place where Link's state machines meet node:dgram, node:os,
 * process.hrtime and real timers. One multicast socket per group is shared by all gateways
 * (bound to the discovery port with address reuse, joined once per interface); datagrams are
 * handed to the gateway whose subnet contains the sender.
 * @module
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import os from 'node:os';
import type { InterfaceAddress, Network, PreciseTimers, Random, Runtime, UdpOpenOptions, UdpSocket } from '../../core/runtime.ts';
import { inIpv4Subnet, isIpv4 } from '../../link/address.ts';
import { hrClock, nodeTimers } from '../host-clock.ts';
import { nodePreciseTimers } from '../timing/precise-timers.ts';
import { nodeStreams } from '../stream/node-streams.ts';
import { busyMicrosSinceLastCallback, callbackEnded } from './loop-probe.ts';

export { hrClock, nodeTimers } from '../host-clock.ts';

export const cryptoRandom: Random = {
  bytes: (n) => new Uint8Array(randomBytes(n)),
  float: () => randomBytes(4).readUInt32BE(0) / 4294967296,
};

function inSubnet(address: string, iface: InterfaceAddress): boolean {
  return iface.family === 'IPv4' && inIpv4Subnet(address, iface.address, iface.prefixLength);
}

/** Why `send` must refuse a destination, or undefined (dgram would throw synchronously). */
function destinationProblem(port: number, address: string): string | undefined {
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `bad port ${port}`;
  if (!isIpv4(address)) return `bad IPv4 address '${address}'`;
  return undefined;
}

export function listInterfaces(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4') continue;
      const prefixLength = Number((a.cidr ?? '/32').split('/')[1] ?? 32);
      out.push({ name, address: a.address, family: 'IPv4', internal: a.internal, prefixLength });
    }
  }
  return out;
}

interface GroupMember {
  options: UdpOpenOptions;
  iface: InterfaceAddress;
}

/** One real socket per (group, port), shared by the gateways that join it. */
class SharedGroupSocket {
  private readonly socket: dgram.Socket;
  private readonly members = new Set<GroupMember>();
  /** The members each sender's address belongs to (cleared when members change, bounded). */
  private readonly routes = new Map<string, GroupMember[]>();
  private listening = false;
  private closed = false;

  constructor(
    private readonly group: string,
    port: number,
    private readonly onEmpty: () => void,
  ) {
    this.socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    this.socket.on('message', (msg, rinfo) => this.dispatch(msg, rinfo));
    this.socket.on('error', (err) => {
      for (const m of this.members) m.options.onError(err);
      // A bind that failed leaves a dead socket: drop it so the next gateway gets a fresh one.
      if (!this.listening) this.shutDown();
    });
    this.socket.bind({ port, exclusive: false }, () => {
      this.listening = true;
      for (const m of this.members) this.join(m);
    });
  }

  add(m: GroupMember): UdpSocket {
    this.members.add(m);
    this.routes.clear();
    if (this.listening) this.join(m);
    return {
      send: () => m.options.onError(new Error('the multicast receive socket does not send')),
      close: () => this.remove(m),
    };
  }

  private join(m: GroupMember): void {
    try {
      this.socket.addMembership(this.group, m.iface.address);
      const port = this.socket.address().port;
      queueMicrotask(() => { if (this.members.has(m)) m.options.onListening(port); }); // after openUdp returned
    } catch (err) {
      m.options.onError(err as Error);
    }
  }

  private remove(m: GroupMember): void {
    if (!this.members.delete(m)) return;
    this.routes.clear();
    try {
      if (this.listening) this.socket.dropMembership(this.group, m.iface.address);
    } catch {
      // The interface may be gone already; nothing to undo then.
    }
    if (this.members.size === 0) this.shutDown();
  }

  private shutDown(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // Never bound: nothing to close.
    }
    this.onEmpty();
  }

  private dispatch(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
    const from = { address: rinfo.address, port: rinfo.port };
    let matching = this.routes.get(rinfo.address);
    if (!matching) {
      matching = [...this.members].filter((m) => inSubnet(rinfo.address, m.iface));
      if (this.routes.size >= 1024) this.routes.clear(); // forged senders must not grow it
      this.routes.set(rinfo.address, matching);
    }
    try {
      for (const m of matching) m.options.onMessage(data, from);
    } finally {
      callbackEnded();
    }
  }
}

export interface UdpLatency {
  receiveMicros: number;
  sendMicros: number;
}

export class NodeNetwork implements Network {
  private readonly groups = new Map<string, SharedGroupSocket>();
  /**
   * Extra latencies clock measurement corrects for, beyond what the runtime measures itself
   * (default none). Every receive stamp is already corrected per datagram for the work the
   * event loop did since it woke (loop-probe.ts), and every send stamp is read just before the
   * runtime's `send`; docs/link.md ("Clock measurement") explains what remains.
   */
  readonly latency: UdpLatency;

  constructor(latency: UdpLatency = { receiveMicros: 0, sendMicros: 0 }) {
    this.latency = latency;
  }

  interfaces(): InterfaceAddress[] {
    return listInterfaces();
  }

  openUdp(options: UdpOpenOptions): UdpSocket {
    if (options.multicastGroup) return this.openGroup(options);
    // Addresses here are always IP literals: a synchronous lookup keeps `send` from deferring the
    // datagram to a later tick (dns.lookup answers IP literals on nextTick), so a timestamp
    // written just before `send` is the time the datagram leaves (clock measurement accuracy).
    const socket = dgram.createSocket({
      type: 'udp4',
      lookup: (address: string, _family: unknown, callback: (err: Error | null, address: string, family: number) => void) => callback(null, address, 4),
    } as dgram.SocketOptions);
    let closed = false;
    let finished = false;
    let sends = 0;
    let onClosed: () => void = () => undefined;
    const whenClosed = new Promise<void>((resolve) => (onClosed = resolve));
    const onSent = (err: Error | null) => {
      if (err) options.onError(err);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      try {
        socket.close(onClosed);
      } catch {
        onClosed(); // a socket whose bind failed is not running; nothing to close
      }
    };
    socket.on('message', (msg, rinfo) => {
      // Stamp first, then take off the time the loop spent getting here since it woke
      // (loop-probe.ts): measurement accuracy depends on how late the receive time is read.
      const at = hrClock.micros() - Math.round(busyMicrosSinceLastCallback());
      try {
        options.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), { address: rinfo.address, port: rinfo.port }, at);
      } finally {
        callbackEnded();
      }
    });
    socket.on('error', (err) => options.onError(err));
    socket.bind({ address: options.interfaceAddress, port: options.port ?? 0 }, () => {
      try {
        socket.setMulticastInterface(options.interfaceAddress);
        socket.setMulticastLoopback(options.multicastLoopback === true);
      } catch (err) {
        options.onError(err as Error);
      }
      // With a synchronous lookup the bind completes inside openUdp: report it only after
      // openUdp has returned, so the caller already holds the socket (a send from onListening
      // must not be lost).
      const port = socket.address().port;
      queueMicrotask(() => { if (!closed) options.onListening(port); });
    });
    return {
      send: (data, port, address) => {
        if (closed) return;
        // dgram throws synchronously for a bad port or a socket that is not running: a value
        // read off the wire must never get that far (link-wire-spec peers advertise endpoints).
        const problem = destinationProblem(port, address);
        if (problem !== undefined) {
          options.onError(new Error(`not sent: ${problem}`));
          return;
        }
        // Without a callback dgram sends synchronously and skips a tick per datagram (a
        // measurable share of an idle peer's CPU), but then reports no error: every 8th send
        // carries a callback, so a failure that persists (a dead route, a firewall) is seen.
        try {
          if (sends++ % 8 === 0) socket.send(data, port, address, onSent);
          else socket.send(data, port, address);
        } catch (err) {
          options.onError(err as Error);
        }
      },
      close: () => {
        if (closed) return whenClosed;
        closed = true;
        // A byebye sent just before close must not be cancelled with the socket: close once
        // the send queue is empty (or after 200 ms at the latest).
        const started = hrClock.micros();
        const tryClose = () => {
          if (socket.getSendQueueCount() === 0 || hrClock.micros() - started > 200_000) finish();
          else setTimeout(tryClose, 2);
        };
        tryClose();
        return whenClosed;
      },
    };
  }

  private openGroup(options: UdpOpenOptions): UdpSocket {
    const group = options.multicastGroup as string;
    const port = options.port ?? 0;
    const key = `${group}:${port}`;
    const iface = this.interfaces().find((i) => i.address === options.interfaceAddress) ??
      { name: '?', address: options.interfaceAddress, family: 'IPv4' as const, internal: false, prefixLength: 32 };
    let shared = this.groups.get(key);
    if (!shared) {
      shared = new SharedGroupSocket(group, port, () => this.groups.delete(key));
      this.groups.set(key, shared);
    }
    return shared.add({ options, iface });
  }
}

/** A fresh Node runtime (each Link gets its own sockets). */
export function nodeRuntime(options: { udpLatency?: UdpLatency } = {}): Runtime {
  let precise: PreciseTimers | undefined;
  return {
    clock: hrClock,
    timers: nodeTimers,
    network: new NodeNetwork(options.udpLatency),
    random: cryptoRandom,
    streams: nodeStreams(),
    /** Main-thread precise timers (src/node/timing/precise-timers.ts), made on first use. */
    get preciseTimers() { return (precise ??= nodePreciseTimers()); },
  };
}
