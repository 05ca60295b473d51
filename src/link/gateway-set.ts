/**
 * The gateways of one Link peer (L1): one per IPv4 interface the runtime lists (and the
 * `interfaces` option allows), opened, rescanned, reopened after a failed bind, closed
 * (link-wire-spec 01 §2: rescan every 5 s). The peer owns the schedule; this owns the set.
 * @module
 */
import type { InterfaceAddress, Runtime, UdpRemote } from '../core/runtime.ts';
import { Gateway, type GatewayHost } from './gateway.ts';
import { selectInterfaces, selectionComplaint } from './interface-filter.ts';
import type { NodeId } from './types.ts';

export class GatewaySet {
  private readonly gateways = new Map<string, Gateway>();

  constructor(
    private readonly rt: Runtime,
    private readonly host: GatewayHost,
    /** Interface names or addresses to use; undefined = all. */
    private readonly filter: readonly string[] | undefined,
  ) {}

  values(): IterableIterator<Gateway> {
    return this.gateways.values();
  }

  get size(): number {
    return this.gateways.size;
  }

  /**
   * Opens gateways for new interfaces, closes vanished ones and reopens those whose sockets
   * failed (a bind refused, a group not joined). Returns the addresses it considered and what
   * to say about the selection ('' when all is well; interface-filter.ts).
   */
  scan(): { used: string[]; complaint: string } {
    const listed = this.rt.network.interfaces();
    const wanted = new Map<string, InterfaceAddress>();
    for (const i of selectInterfaces(listed, this.filter)) wanted.set(i.address, i);
    for (const [address, gw] of [...this.gateways]) {
      if (wanted.has(address) && gw.failed === undefined) continue;
      this.gateways.delete(address);
      if (gw.failed !== undefined) this.host.debug(`reopening gateway ${address} (${gw.failed})`);
      void gw.close(wanted.has(address) ? 'closed' : 'vanished');
    }
    for (const [address, iface] of wanted) {
      if (this.gateways.has(address)) continue;
      const gw = new Gateway(this.rt, this.host, iface);
      this.gateways.set(address, gw);
      gw.open();
    }
    return { used: [...wanted.keys()], complaint: selectionComplaint(this.filter, listed) };
  }

  /** Closes every gateway (ByeBye first); resolves when their sockets have sent what they owed. */
  closeAll(): Promise<void> {
    const closing = [...this.gateways.values()].map((gw) => gw.close('closed'));
    this.gateways.clear();
    return Promise.all(closing).then(() => undefined);
  }

  /** Whether `from` is one of our own sockets (our multicast loops back on loopback gateways). */
  isOwnEndpoint(from: UdpRemote): boolean {
    for (const g of this.gateways.values()) if (g.isOwnEndpoint(from)) return true;
    return false;
  }

  /** Node ids of the peers in session `sessionId`, over all gateways. */
  peersIn(sessionId: NodeId): number {
    const ids = new Set<NodeId>();
    for (const gw of this.gateways.values()) {
      for (const p of gw.peers.values()) if (p.state.sessionId === sessionId) ids.add(p.nodeId);
    }
    return ids.size;
  }

  /** Whether any gateway still has an entry for `nodeId`. */
  knows(nodeId: NodeId): boolean {
    for (const g of this.gateways.values()) if (g.peers.has(nodeId)) return true;
    return false;
  }

  announce(): void {
    for (const gw of this.gateways.values()) gw.announce();
  }

  renamed(oldId: NodeId): void {
    for (const g of this.gateways.values()) g.renamed(oldId);
  }
}
