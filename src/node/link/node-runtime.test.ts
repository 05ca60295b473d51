// The Node runtime's UDP sockets on 127.0.0.1 (no Link, no multicast): what a caller may rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyMicros, busyMicrosSinceLastCallback, callbackEnded, MAX_WAKE_MICROS } from './loop-probe.ts';
import { NodeNetwork } from './node-runtime.ts';

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

test('the loop probe: busy time between two readings, 0 when unknown or beyond the cap', () => {
  assert.equal(busyMicros(10.25, 10), 250);
  assert.equal(busyMicros(10, 10.5), 0, 'time does not run backwards');
  assert.equal(busyMicros(100, 100 - (MAX_WAKE_MICROS + 1) / 1000), 0, 'beyond the cap: the loop was busy with other work');
  assert.equal(busyMicros(10, Number.NaN), 0, 'no callback ended yet');
  // The live reading is a number within the cap (its value depends on this machine's load).
  callbackEnded();
  const live = busyMicrosSinceLastCallback();
  assert.ok(live >= 0 && live <= MAX_WAKE_MICROS, String(live));
});
