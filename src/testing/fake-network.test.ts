// FakeNetwork as users get it from `phaselock/testing`: in-memory UDP on VirtualTime with latency,
// asymmetry, seeded loss, partitions, cuts, interfaces going down, injection, failing binds and a
// record of every send. Nothing touches the OS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { UdpRemote, UdpSocket } from '../core/runtime.ts';
import { FakeNetwork, VirtualTime, type FakeHost } from './index.ts';

interface Received {
  data: number[];
  from: UdpRemote;
  at: number;
}

/** Opens a socket on `host` and runs time until it is bound; returns it with what it receives. */
function bind(net: FakeNetwork, host: FakeHost, options: { port?: number; multicastGroup?: string } = {}) {
  const got: Received[] = [];
  const errors: Error[] = [];
  let port: number | undefined;
  const sock: UdpSocket = host.runtime.network.openUdp({
    interfaceAddress: host.address,
    ...options,
    onListening: (p) => { port = p; },
    onMessage: (d, from) => got.push({ data: [...d], from, at: net.time.micros() }),
    onError: (e) => errors.push(e),
  });
  net.time.advance(0);
  return { sock, got, errors, get port() { return port as number; } };
}

function twoHosts(options: ConstructorParameters<typeof FakeNetwork>[1] = {}) {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt, options);
  const a = net.addHost({ name: 'a' });
  const b = net.addHost({ name: 'b' });
  return { vt, net, a, b };
}

test('hosts get their own addresses, clock offsets, interfaces and seeded randomness', () => {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const a = net.addHost({ name: 'a' });
  const b = net.addHost({ name: 'b', clockOffsetMicros: -2_500_000, address: '10.0.0.7' });
  const c = net.addHost({ name: 'c' });
  assert.deepEqual([a.address, b.address, c.address], ['127.0.1.1', '10.0.0.7', '127.0.1.3']);
  assert.equal(a.name, 'a');
  assert.equal(a.runtime.clock.micros(), vt.micros());
  assert.equal(b.runtime.clock.micros(), vt.micros() - 2_500_000);
  assert.equal(a.runtime.timers, vt, 'timers are the virtual time');
  assert.deepEqual(a.runtime.network.interfaces(), [{ name: 'fake0', address: '127.0.1.1', family: 'IPv4', internal: false, prefixLength: 8 }]);
  // Randomness is seeded by name (or seed): the same host draws the same bytes in every run.
  const again = new FakeNetwork(new VirtualTime()).addHost({ name: 'a' });
  assert.deepEqual(a.runtime.random.bytes(8), again.runtime.random.bytes(8));
  assert.notDeepEqual(net.addHost({ name: 'd', seed: 1 }).runtime.random.bytes(8), net.addHost({ name: 'e', seed: 2 }).runtime.random.bytes(8));
});

test('a bind is reported after openUdp returned; ephemeral ports are handed out, asked ports kept', () => {
  const { vt, net, a } = twoHosts();
  let listened: number | undefined;
  let returned = false;
  const sock = a.runtime.network.openUdp({
    interfaceAddress: a.address,
    onListening: (p) => { assert.ok(returned, 'onListening from inside openUdp'); listened = p; },
    onMessage: () => {},
    onError: () => {},
  });
  returned = true;
  assert.ok(sock);
  assert.equal(listened, undefined);
  vt.advance(0);
  assert.equal(listened, 40000);
  assert.equal(bind(net, a).port, 40001);
  assert.equal(bind(net, a, { port: 20808 }).port, 20808);
});

test('a datagram arrives after the latency, with its sender, as a copy', () => {
  const { vt, net, a, b } = twoHosts({ latencyMicros: 250 });
  const rx = bind(net, b, { port: 5000 });
  const tx = bind(net, a);
  const data = Uint8Array.of(1, 2, 3);
  const t0 = vt.micros();
  tx.sock.send(data, 5000, b.address);
  data[0] = 99; // the sender reuses its buffer
  vt.advance(249);
  assert.deepEqual(rx.got, []);
  vt.advance(1);
  assert.deepEqual(rx.got, [{ data: [1, 2, 3], from: { address: a.address, port: tx.port }, at: t0 + 250 }]);
  // Nothing for a port nobody bound, nor for another address.
  tx.sock.send(Uint8Array.of(4), 5001, b.address);
  tx.sock.send(Uint8Array.of(5), 5000, '127.0.1.99');
  vt.advance(10_000);
  assert.equal(rx.got.length, 1);
  assert.equal(net.latencyMicros, 250);
});

test('latency asymmetry: the sender\'s uplink and the receiver\'s downlink add up, per direction', () => {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt, { latencyMicros: 100 });
  const a = net.addHost({ name: 'a', uplinkMicros: 400 });
  const b = net.addHost({ name: 'b', downlinkMicros: 30 });
  const ra = bind(net, a, { port: 7000 });
  const rb = bind(net, b, { port: 7000 });
  const t0 = vt.micros();
  ra.sock.send(Uint8Array.of(1), 7000, b.address);
  rb.sock.send(Uint8Array.of(2), 7000, a.address);
  vt.advance(1000);
  assert.deepEqual(rb.got.map((g) => g.at - t0), [100 + 400 + 30], 'a → b');
  assert.deepEqual(ra.got.map((g) => g.at - t0), [100], 'b → a');
  // The base latency can be changed while running.
  net.latencyMicros = 1000;
  const t1 = vt.micros();
  rb.sock.send(Uint8Array.of(3), 7000, a.address);
  vt.advance(5000);
  assert.equal((ra.got[1]?.at as number) - t1, 1000);
});

test('multicast: every socket joined to the group on that port gets it, once per socket', () => {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const [a, b, c] = [net.addHost({ name: 'a' }), net.addHost({ name: 'b' }), net.addHost({ name: 'c' })];
  const group = '224.76.78.75';
  const ga = bind(net, a, { port: 20808, multicastGroup: group });
  const gb = bind(net, b, { port: 20808, multicastGroup: group });
  const other = bind(net, c, { port: 20808, multicastGroup: '224.0.0.99' });
  const unicast = bind(net, c, { port: 20808 });
  ga.sock.send(Uint8Array.of(7), 20808, group);
  vt.advance(1000);
  assert.deepEqual(gb.got.map((g) => g.data), [[7]]);
  assert.deepEqual(ga.got.map((g) => g.data), [[7]], 'the group member that sent it hears it too');
  assert.deepEqual([other.got, unicast.got], [[], []]);
});

test('every send is recorded (time, ends, bytes, delivered), until recording is turned off', () => {
  const { vt, net, a, b } = twoHosts();
  const rx = bind(net, b, { port: 6000 });
  const tx = bind(net, a);
  vt.advance(123);
  tx.sock.send(Uint8Array.of(1, 2), 6000, b.address);
  tx.sock.send(Uint8Array.of(3), 6001, b.address);
  assert.deepEqual(net.sent, [
    { time: vt.micros(), from: { address: a.address, port: tx.port }, to: { address: b.address, port: 6000 }, data: Uint8Array.of(1, 2), delivered: true },
    { time: vt.micros(), from: { address: a.address, port: tx.port }, to: { address: b.address, port: 6001 }, data: Uint8Array.of(3), delivered: false },
  ]);
  net.record = false;
  tx.sock.send(Uint8Array.of(4), 6000, b.address);
  vt.advance(1000);
  assert.equal(net.sent.length, 2);
  assert.equal(rx.got.length, 2, 'not recorded, still delivered');
});

test('loss is seeded: the same seed loses the same datagrams, another seed others, at about the rate', () => {
  const run = (seed: number) => {
    const { vt, net, a, b } = twoHosts({ lossRate: 0.3, seed });
    const rx = bind(net, b, { port: 6000 });
    const tx = bind(net, a);
    for (let i = 0; i < 1000; i++) tx.sock.send(Uint8Array.of(i >> 8, i & 255), 6000, b.address);
    vt.advance(1000);
    const kept = rx.got.map((g) => ((g.data[0] as number) << 8) | (g.data[1] as number));
    assert.deepEqual(net.sent.filter((s) => s.delivered).length, kept.length, 'the record says which were lost');
    return kept;
  };
  const first = run(7);
  assert.deepEqual(run(7), first, 'reproducible');
  assert.notDeepEqual(run(8), first);
  assert.ok(first.length > 620 && first.length < 780, `${first.length} of 1000 arrived at 30 % loss`);
  const { vt, net, a, b } = twoHosts();
  assert.equal(net.lossRate, 0, 'no loss by default');
  const rx = bind(net, b, { port: 6000 });
  const tx = bind(net, a);
  for (let i = 0; i < 100; i++) tx.sock.send(Uint8Array.of(i), 6000, b.address);
  vt.advance(1000);
  assert.equal(rx.got.length, 100);
});

test('a partition keeps datagrams within each group (hosts not named form one more group); heal ends it', () => {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) => net.addHost({ name })) as [FakeHost, FakeHost, FakeHost, FakeHost, FakeHost];
  const socks = [a, b, c, d, e].map((h) => bind(net, h, { port: 9000 }));
  const reach = () => {
    for (const s of socks) s.got.length = 0;
    for (const [i, s] of socks.entries()) for (const h of [a, b, c, d, e]) s.sock.send(Uint8Array.of(i), 9000, h.address);
    vt.advance(1000);
    return socks.map((s) => s.got.map((g) => g.data[0]).sort().join(''));
  };
  net.partition([a, b], [c]);
  assert.deepEqual(reach(), ['01', '01', '2', '34', '34']);
  net.heal();
  assert.deepEqual(reach(), ['01234', '01234', '01234', '01234', '01234']);
});

test('a cut link is down both ways, for that pair only, until heal', () => {
  const vt = new VirtualTime();
  const net = new FakeNetwork(vt);
  const [a, b, c] = ['a', 'b', 'c'].map((name) => net.addHost({ name })) as [FakeHost, FakeHost, FakeHost];
  const [sa, sb, sc] = [a, b, c].map((h) => bind(net, h, { port: 9000 }));
  net.cut(a, b);
  sa!.sock.send(Uint8Array.of(1), 9000, b.address);
  sb!.sock.send(Uint8Array.of(2), 9000, a.address);
  sa!.sock.send(Uint8Array.of(3), 9000, c.address);
  sb!.sock.send(Uint8Array.of(4), 9000, c.address);
  vt.advance(1000);
  assert.deepEqual([sa!.got.length, sb!.got.length], [0, 0]);
  assert.deepEqual(sc!.got.map((g) => g.data[0]), [3, 4]);
  net.heal();
  sa!.sock.send(Uint8Array.of(5), 9000, b.address);
  vt.advance(1000);
  assert.deepEqual(sb!.got.map((g) => g.data[0]), [5]);
});

test('an interface taken down leaves the interface list and carries nothing either way, until it is back', () => {
  const { vt, net, a, b } = twoHosts();
  const sa = bind(net, a, { port: 9000 });
  const sb = bind(net, b, { port: 9000 });
  net.setInterfaceUp(b, false);
  assert.equal(net.isUp(b), false);
  assert.deepEqual(b.runtime.network.interfaces(), []);
  assert.equal(a.runtime.network.interfaces().length, 1);
  sa.sock.send(Uint8Array.of(1), 9000, b.address);
  sb.sock.send(Uint8Array.of(2), 9000, a.address);
  vt.advance(1000);
  assert.deepEqual([sa.got.length, sb.got.length], [0, 0]);
  net.setInterfaceUp(b, true);
  assert.equal(b.runtime.network.interfaces().length, 1);
  sa.sock.send(Uint8Array.of(3), 9000, b.address);
  vt.advance(1000);
  assert.deepEqual(sb.got.map((g) => g.data), [[3]]);
});

test('inject delivers any bytes to a host\'s port after the latency, from a made-up sender', () => {
  const { vt, net, a } = twoHosts({ latencyMicros: 80 });
  const s = bind(net, a, { port: 20808 });
  const t0 = vt.micros();
  net.inject(a, 20808, Uint8Array.of(0xde, 0xad));
  net.inject(a, 20808, Uint8Array.of(1), { address: '10.1.2.3', port: 4242 });
  net.inject(a, 20809, Uint8Array.of(2)); // nobody there
  vt.advance(79);
  assert.deepEqual(s.got, []);
  vt.advance(1);
  assert.deepEqual(s.got, [
    { data: [0xde, 0xad], from: { address: '127.0.9.9', port: 9999 }, at: t0 + 80 },
    { data: [1], from: { address: '10.1.2.3', port: 4242 }, at: t0 + 80 },
  ]);
  assert.deepEqual(net.sent, [], 'an injection is not a send');
});

test('failBinds: the next binds of that host fail with EADDRINUSE (asynchronously), later ones work', () => {
  const { vt, net, a, b } = twoHosts();
  net.failBinds(a, 2);
  const first = bind(net, a, { port: 20808 });
  const second = bind(net, a, { port: 20808 });
  const other = bind(net, b, { port: 20808 });
  const third = bind(net, a, { port: 20808 });
  assert.match(first.errors[0]?.message ?? '', /EADDRINUSE 127\.0\.1\.1:20808/);
  assert.equal(second.errors.length, 1);
  assert.deepEqual([first.port, second.port], [undefined, undefined], 'a failed bind never listens');
  assert.deepEqual([other.errors, third.errors], [[], []]);
  assert.deepEqual([other.port, third.port], [20808, 20808]);
  // A failed socket neither receives nor sends.
  third.sock.send(Uint8Array.of(1), 20808, b.address);
  first.sock.send(Uint8Array.of(2), 20808, b.address);
  other.sock.send(Uint8Array.of(3), 20808, a.address);
  vt.advance(1000);
  assert.deepEqual(other.got.map((g) => g.data), [[1]]);
  assert.deepEqual(third.got.map((g) => g.data), [[3]]);
  assert.deepEqual(first.got, []);
});

test('a send to a bad port throws synchronously, as node:dgram does; a closed socket sends and receives nothing', () => {
  const { vt, net, a, b } = twoHosts();
  const tx = bind(net, a);
  const rx = bind(net, b, { port: 6000 });
  for (const port of [0, -1, 65536, 1.5, Number.NaN]) {
    assert.throws(() => tx.sock.send(Uint8Array.of(1), port, b.address), { name: 'RangeError', message: /ERR_SOCKET_BAD_PORT/ }, `port ${port}`);
  }
  assert.deepEqual(net.sent, [], 'nothing recorded for a send that threw');
  assert.doesNotThrow(() => tx.sock.send(Uint8Array.of(1), 65535, b.address));
  // A datagram in flight to a socket that closes before it arrives is lost.
  tx.sock.send(Uint8Array.of(2), 6000, b.address);
  rx.sock.close();
  vt.advance(1000);
  assert.deepEqual(rx.got, []);
  tx.sock.close();
  const again = bind(net, b, { port: 6000 });
  const before = net.sent.length;
  tx.sock.send(Uint8Array.of(3), 6000, b.address);
  vt.advance(1000);
  assert.deepEqual(again.got, []);
  assert.equal(net.sent.length, before, 'a closed socket sends nothing');
  assert.throws(() => tx.sock.send(Uint8Array.of(3), 0, b.address), RangeError, 'a bad port throws even on a closed socket');
});
