// The `interfaces` option: which interfaces it selects, and what a peer says when it selects
// nothing (pure functions, then LinkPeer on VirtualTime + FakeNetwork).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InterfaceAddress, Runtime } from '../core/runtime.ts';
import { PhaselockError } from '../core/errors.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import {
  describeInterfaces, entryProblem, selectInterfaces, selectionComplaint, unmatchedEntries,
} from './interface-filter.ts';
import { LinkPeer, type LinkPeerOptions } from './link-peer.ts';
import { RESCAN_MICROS } from './peer-engine.ts';

const v4 = (name: string, address: string, internal = false): InterfaceAddress => ({ name, address, family: 'IPv4', internal, prefixLength: 24 });
const v6 = (name: string, address: string): InterfaceAddress => ({ name, address, family: 'IPv6', internal: false, prefixLength: 64 });
const MACHINE = [v4('lo', '127.0.0.1', true), v4('eth0', '192.168.1.4'), v6('eth0', 'fe80::1'), v6('wg0', 'fd00::9')];

describe('interface selection (pure)', () => {
  it('selects IPv4 addresses by interface name or by address; undefined selects every IPv4 one', () => {
    assert.deepEqual(selectInterfaces(MACHINE, undefined).map((i) => i.address), ['127.0.0.1', '192.168.1.4']);
    assert.deepEqual(selectInterfaces(MACHINE, ['eth0']).map((i) => i.address), ['192.168.1.4']);
    assert.deepEqual(selectInterfaces(MACHINE, ['127.0.0.1', 'nosuch0']).map((i) => i.name), ['lo']);
    assert.deepEqual(selectInterfaces(MACHINE, ['wg0', 'fe80::1']), [], 'IPv6 is never selected');
  });

  it('unmatched entries: each once, in the order given; none without a filter', () => {
    assert.deepEqual(unmatchedEntries(['nosuch0', 'eth0', '10.9.9.9', 'nosuch0', 'wg0'], MACHINE), ['nosuch0', '10.9.9.9', 'wg0']);
    assert.deepEqual(unmatchedEntries(undefined, MACHINE), []);
    assert.deepEqual(unmatchedEntries(['lo', '192.168.1.4'], MACHINE), []);
  });

  it('describes the machine by its IPv4 addresses', () => {
    assert.equal(describeInterfaces(MACHINE), 'lo 127.0.0.1, eth0 192.168.1.4');
    assert.equal(describeInterfaces([v6('wg0', 'fd00::9')]), 'no IPv4 interface');
  });

  it('says why an entry selects nothing: unknown name, unknown address, IPv6 only, or down', () => {
    assert.equal(entryProblem('eth0', MACHINE), undefined);
    assert.equal(entryProblem('192.168.1.4', MACHINE), undefined);
    assert.equal(entryProblem('nosuch0', MACHINE), 'no-such-interface');
    assert.equal(entryProblem('10.9.9.9', MACHINE), 'no-such-address');
    assert.equal(entryProblem('wg0', MACHINE), 'no-ipv4');
    assert.equal(entryProblem('d0', MACHINE, ['d0']), 'down');
    assert.equal(entryProblem('nosuch0', MACHINE, ['d0']), 'no-such-interface');
  });

  it('complains about unmatched entries, and louder when nothing is left', () => {
    assert.equal(selectionComplaint(undefined, MACHINE), '');
    assert.equal(selectionComplaint(['eth0', 'lo'], MACHINE), '');
    assert.match(selectionComplaint(['eth0', 'nosuch0'], MACHINE),
      /names 'nosuch0', which is no interface that is up with an IPv4 address \(this machine has lo 127\.0\.0\.1, eth0 192\.168\.1\.4\); Link uses the others/);
    const none = selectionComplaint(['nosuch0', '10.9.9.9'], MACHINE);
    assert.match(none, /^Link has no usable network interface: none of 'nosuch0', '10\.9\.9\.9' is an interface/);
    assert.match(none, /this machine has lo 127\.0\.0\.1, eth0 192\.168\.1\.4/);
    assert.match(selectionComplaint(undefined, [v6('wg0', 'fd00::9')]), /^Link has no usable network interface: no interface that is up has an IPv4 address/);
  });
});

/** A peer on the fake network, recording its warnings; `listed` replaces the host's interface list. */
function setUp(options: LinkPeerOptions, listed?: (own: InterfaceAddress[]) => InterfaceAddress[]) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const host = net.addHost({ name: 'a' });
  const runtime: Runtime = listed
    ? { ...host.runtime, network: { ...host.runtime.network, interfaces: () => listed(net.isUp(host) ? [host.interfaceInfo()] : []) } }
    : host.runtime;
  const link = new LinkPeer(runtime, options);
  const warnings: PhaselockError[] = [];
  link.on('warning', (e) => warnings.push(e));
  const other = new LinkPeer(net.addHost({ name: 'b' }).runtime);
  other.enable();
  return { vt, net, host, link, other, warnings };
}

describe('a peer with an interfaces option that selects nothing', () => {
  it("warns once naming the unknown name and the machine's interfaces, not at every rescan, and finds no peers", () => {
    const { vt, link, warnings } = setUp({ interfaces: ['nosuch0'] });
    link.enable();
    vt.advance(4 * RESCAN_MICROS);
    assert.equal(warnings.length, 1, warnings.map((w) => w.message).join(' | '));
    assert.ok(warnings[0] instanceof PhaselockError);
    assert.equal(warnings[0].code, 'E_UNAVAILABLE');
    assert.match(warnings[0].message, /no usable network interface: none of 'nosuch0' is an interface that is up with an IPv4 address \(this machine has fake0 127\.0\.1\.1\)/);
    assert.equal(link.numPeers, 0);
  });

  it('warns about the unknown entries but uses the interfaces the others select', () => {
    const { vt, link, warnings } = setUp({ interfaces: ['fake0', 'nosuch0', '10.9.9.9'] });
    link.enable();
    assert.ok(vt.runUntil(() => link.numPeers === 1, 3_000_000), 'joins the other peer over fake0');
    vt.advance(3 * RESCAN_MICROS);
    assert.deepEqual(warnings.map((w) => w.code), ['E_UNAVAILABLE']);
    assert.match(warnings[0]!.message, /names 'nosuch0', '10\.9\.9\.9', which are no interface .*Link uses the others/);
  });

  it('an interface with IPv6 addresses only is not usable, and is named', () => {
    const { vt, link, warnings } = setUp({ interfaces: ['v6only'] }, (own) => [...own, v6('v6only', 'fd00::1')]);
    link.enable();
    vt.advance(2 * RESCAN_MICROS);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /none of 'v6only'/);
  });

  it('without a filter: says so when the last interface goes down, once, and again after it came back and went', () => {
    const { vt, net, host, link, warnings: all } = setUp({});
    // Losing the interface mid-session also fails a re-measurement: only the interface ones count here.
    const said = () => all.filter((w) => /network interface/.test(w.message)).map((w) => w.message);
    link.enable();
    assert.ok(vt.runUntil(() => link.numPeers === 1, 3_000_000));
    assert.deepEqual(said(), []);
    net.setInterfaceUp(host, false);
    vt.advance(4 * RESCAN_MICROS);
    assert.equal(said().length, 1, all.map((w) => w.message).join(' | '));
    assert.match(said()[0]!, /no usable network interface: no interface that is up has an IPv4 address/);
    net.setInterfaceUp(host, true);
    assert.ok(vt.runUntil(() => link.numPeers === 1, 2 * RESCAN_MICROS), 'back once the interface is');
    assert.equal(said().length, 1, 'nothing new to say while it is up');
    net.setInterfaceUp(host, false);
    vt.advance(2 * RESCAN_MICROS);
    assert.equal(said().length, 2);
  });

  it('a re-enable says it again', () => {
    const { vt, link, warnings } = setUp({ interfaces: ['nosuch0'] });
    link.enable();
    vt.advance(RESCAN_MICROS);
    link.disable();
    link.enable();
    vt.advance(RESCAN_MICROS);
    assert.equal(warnings.length, 2);
  });
});
