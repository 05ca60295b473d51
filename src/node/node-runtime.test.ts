// The Node runtime's UDP sockets on 127.0.0.1 (no Link, no multicast): what a caller may rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyMicrosSinceLastCallback, callbackEnded, MAX_WAKE_MICROS } from './loop-probe.ts';
import { hrClock, NodeNetwork } from './node-runtime.ts';

function open(net: NodeNetwork, onMessage: (d: Uint8Array, at?: number) => void = () => undefined) {
  const errors: Error[] = [];
  let port = 0;
  let ready!: () => void;
  const listening = new Promise<void>((resolve) => (ready = resolve));
  const sock = net.openUdp({
    interfaceAddress: '127.0.0.1',
    onListening: (p) => { port = p; ready(); },
    onMessage: (d, _from, at) => onMessage(d, at),
    onError: (e) => errors.push(e),
  });
  return { sock, listening, errors, get port() { return port; } };
}

test('onListening comes after openUdp returned, so a send from it is not lost', async () => {
  const net = new NodeNetwork();
  const got: Uint8Array[] = [];
  const rx = open(net, (d) => got.push(d));
  await rx.listening;
  let sock: ReturnType<NodeNetwork['openUdp']> | undefined;
  await new Promise<void>((resolve) => {
    sock = net.openUdp({
      interfaceAddress: '127.0.0.1',
      // The socket variable must already be set when this runs.
      onListening: () => { sock!.send(Uint8Array.of(1, 2, 3), rx.port, '127.0.0.1'); resolve(); },
      onMessage: () => undefined,
      onError: () => undefined,
    });
  });
  for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(got.map((d) => [...d]), [[1, 2, 3]]);
  sock!.close();
  rx.sock.close();
});

test('send never throws: a bad port or address becomes an error report', async () => {
  const net = new NodeNetwork();
  const tx = open(net);
  await tx.listening;
  for (const [port, address] of [[0, '127.0.0.1'], [70000, '127.0.0.1'], [-1, '127.0.0.1'], [9, 'not-an-address'], [9, '::1']] as const) {
    assert.doesNotThrow(() => tx.sock.send(Uint8Array.of(0), port, address));
  }
  assert.equal(tx.errors.length, 5, tx.errors.map((e) => e.message).join('; '));
  assert.match(tx.errors[0]!.message, /bad port 0/);
  tx.sock.close();
});

test('the loop probe counts the work done since our last callback, and gives up beyond its cap', () => {
  callbackEnded();
  const t0 = hrClock.micros();
  while (hrClock.micros() - t0 < 1000) { /* the loop is busy: 1 ms of work */ }
  const busy = busyMicrosSinceLastCallback();
  assert.ok(busy >= 900 && busy <= MAX_WAKE_MICROS, `busy ${busy} µs after 1 ms of work`);
  while (hrClock.micros() - t0 < MAX_WAKE_MICROS + 1000) { /* more than the cap: not a wake-up delay */ }
  assert.equal(busyMicrosSinceLastCallback(), 0);
});
