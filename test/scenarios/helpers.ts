// Helpers for Link scenario tests on VirtualTime + FakeNetwork.
import { LinkPeer, type LinkPeerOptions } from '../../src/link/link-peer.ts';
import { FakeNetwork, type FakeHost, type FakeHostOptions, type FakeNetworkOptions } from '../../src/testing/fake-network.ts';
import { VirtualTime } from '../../src/testing/virtual-time.ts';

export interface Peer {
  host: FakeHost;
  link: LinkPeer;
  warnings: string[];
}

export function world(options: FakeNetworkOptions = {}) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt, options);
  const peers: Peer[] = [];
  const add = (hostOptions: Partial<FakeHostOptions> = {}, linkOptions: LinkPeerOptions = {}): Peer => {
    const host = net.addHost({ name: `h${peers.length + 1}`, ...hostOptions });
    const link = new LinkPeer(host.runtime, linkOptions);
    const warnings: string[] = [];
    link.on('warning', (e) => warnings.push(e.message));
    const p = { host, link, warnings };
    peers.push(p);
    return p;
  };
  /** Host-clock phase (µs of beat time) of `p` at true virtual time `t`. */
  const phaseAt = (p: Peer, trueTime: number, q = 4) => {
    const s = p.link.captureAppSessionState();
    return s.phaseAtTime(trueTime + (p.host.options.clockOffsetMicros ?? 0), q);
  };
  const converged = () => peers.every((p) => p.link.numPeers === peers.length - 1);
  return { vt, net, peers, add, phaseAt, converged };
}

/** Largest phase difference across peers at one true instant, in µs at the first peer's tempo. */
export function phaseSpreadMicros(w: ReturnType<typeof world>, q = 4): number {
  const t = w.vt.micros();
  const phases = w.peers.map((p) => w.phaseAt(p, t, q));
  let spread = 0;
  for (const a of phases) for (const b of phases) {
    let d = Math.abs(a - b);
    d = Math.min(d, q - d);
    spread = Math.max(spread, d);
  }
  const bpm = w.peers[0]?.link.captureAppSessionState().tempo ?? 120;
  return (spread * 60e6) / bpm;
}

/** Enables the peers `gapMicros` apart (oldest first) and runs until they all see each other. */
export function enableAll(w: ReturnType<typeof world>, gapMicros: number, withinMicros: number): void {
  w.peers.forEach((p, i) => {
    if (i > 0 && gapMicros > 0) w.vt.advance(gapMicros);
    p.link.enable();
  });
  if (!w.vt.runUntil(w.converged, withinMicros)) throw new Error(`peers did not converge within ${withinMicros} µs`);
}

/** The peer's ghost time now (its host clock through its ghost transform). */
export function ghostNow(p: Peer): number {
  return p.host.runtime.clock.micros() + p.link.session.ghostOffsetMicros;
}

/**
 * The peer tables of `link`'s gateways (white box: the caps on what a hostile network can make
 * us remember are not observable through the public API).
 */
export function peerTables(link: LinkPeer): Array<{ peers: Map<string, unknown> }> {
  const engine = (link as unknown as { engine: { gateways: { values(): Iterable<{ peers: Map<string, unknown> }> } } }).engine;
  const tables = [...engine.gateways.values()];
  if (tables.length === 0) throw new Error('the peer has no gateway: nothing to check');
  return tables;
}
