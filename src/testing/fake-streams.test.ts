// FakeStreams as the public test double it is: the StreamNetwork contract on VirtualTime, and its faults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PhaselockError } from '../core/errors.ts';
import type { StreamAddress, StreamHandlers, StreamSocket } from '../core/runtime.ts';
import { FakeStreams, VirtualTime } from './index.ts';

const text = (chunks: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(chunks));

/** A peer that records everything its socket reports. */
function recorder() {
  const log: string[] = [];
  const data: Uint8Array[] = [];
  const errors: Error[] = [];
  const handlers: StreamHandlers = {
    onData: (d) => data.push(d),
    onEnd: () => log.push('end'),
    onDrain: () => log.push('drain'),
    onError: (e) => { errors.push(e); log.push('error'); },
    onClose: () => log.push('close'),
  };
  return { log, data, errors, handlers, get text() { return text(data); } };
}

async function setup(address: StreamAddress = { host: '127.0.0.1', port: 0 }, options = {}) {
  const vt = new VirtualTime();
  const streams = new FakeStreams(vt, options);
  const accepted: Array<{ socket: StreamSocket; rec: ReturnType<typeof recorder> }> = [];
  const server = await streams.listen(address, {
    onConnection: (socket) => {
      const rec = recorder();
      accepted.push({ socket, rec });
      return rec.handlers;
    },
  });
  const connect = async () => {
    const rec = recorder();
    const socket = await streams.connect(server.address, rec.handlers);
    vt.advance(1000);
    return { socket, rec, remote: accepted[accepted.length - 1]! };
  };
  return { vt, streams, server, accepted, connect };
}

describe('FakeStreams', () => {
  it('connects a pair: bytes and strings arrive in order after the latency; addresses are reported', async () => {
    const { vt, server, connect } = await setup();
    assert.ok(!('path' in server.address) && server.address.port > 0);
    const { socket, rec, remote } = await connect();
    assert.deepEqual(socket.remote, server.address);
    socket.write('hello ');
    socket.write(new Uint8Array([0xe2, 0x82, 0xac]));
    assert.equal(remote.rec.data.length, 0, 'nothing arrives before time moves');
    vt.advance(49);
    assert.equal(remote.rec.data.length, 0);
    vt.advance(1);
    assert.equal(remote.rec.text, 'hello €');
    remote.socket.write('back');
    vt.advance(100);
    assert.equal(rec.text, 'back');
    assert.equal(server.connections, 1);
  });

  it('unix paths, EADDRINUSE, ECONNREFUSED and ENOENT', async () => {
    const vt = new VirtualTime();
    const streams = new FakeStreams(vt);
    const server = await streams.listen({ path: '/run/mpv.sock' }, { onConnection: () => ({ onData: () => undefined }) });
    assert.deepEqual(server.address, { path: '/run/mpv.sock' });
    const s = await streams.connect({ path: '/run/mpv.sock' }, { onData: () => undefined });
    assert.deepEqual(s.remote, { path: '/run/mpv.sock' });
    const codeOf = (err: unknown) => ((err as PhaselockError).cause as { code: string }).code;
    await assert.rejects(streams.listen({ path: '/run/mpv.sock' }, { onConnection: () => ({ onData: () => undefined }) }),
      (err) => err instanceof PhaselockError && err.code === 'E_SOCKET' && codeOf(err) === 'EADDRINUSE');
    await assert.rejects(streams.connect({ path: '/nope' }, { onData: () => undefined }), (err) => codeOf(err) === 'ENOENT');
    await assert.rejects(streams.connect({ host: '127.0.0.1', port: 1 }, { onData: () => undefined }), (err) => codeOf(err) === 'ECONNREFUSED');
  });

  it('half-close: the peer hears onEnd, can still answer, and both close once it ends too', async () => {
    const { vt, connect } = await setup();
    const { socket, rec, remote } = await connect();
    socket.write('request');
    const ended = socket.end();
    assert.equal(socket.writable, false);
    assert.equal(socket.write('late'), false, 'a write after end is dropped');
    vt.advance(1000);
    assert.equal(remote.rec.text, 'request');
    assert.deepEqual(remote.rec.log, ['end']);
    assert.equal(socket.closed, false, 'still open: the peer has not ended');
    remote.socket.write('answer');
    void remote.socket.end();
    vt.advance(1000);
    await ended;
    assert.equal(rec.text, 'answer');
    assert.deepEqual(rec.log, ['end', 'close']);
    assert.deepEqual(remote.rec.log, ['end', 'close']);
  });

  it('halfClose fault: a peer that ends its side and never closes is cut by end() after the end timeout', async () => {
    const { vt, connect } = await setup();
    const { socket, remote } = await connect();
    let closed = false;
    void remote.socket.end().then(() => (closed = true));
    vt.advance(1_999_000);
    await Promise.resolve();
    assert.equal(closed, false, 'the peer still has time to close');
    assert.equal(socket.closed, false);
    vt.advance(2_000);
    await Promise.resolve();
    assert.equal(closed, true);
  });

  it('reset: both ends get ECONNRESET then close; what was queued is gone', async () => {
    const { vt, streams, connect } = await setup();
    const { socket, rec, remote } = await connect();
    socket.write('lost');
    streams.reset(socket);
    vt.advance(1000);
    assert.equal(remote.rec.data.length, 0);
    assert.deepEqual(rec.log, ['error', 'close']);
    assert.deepEqual(remote.rec.log, ['error', 'close']);
    assert.match(rec.errors[0]!.message, /ECONNRESET/);
    assert.equal(streams.sockets.length, 0);
  });

  it('destroy: the peer sees EOF; what it writes after that is answered by a reset', async () => {
    const { vt, connect } = await setup();
    const { socket, remote } = await connect();
    socket.destroy();
    vt.advance(1000);
    assert.deepEqual(remote.rec.log, ['end']);
    remote.socket.write('anyone?');
    vt.advance(1000);
    assert.deepEqual(remote.rec.log, ['end', 'error', 'close']);
  });

  it('slowReader: backpressure shows (write false, bufferedBytes), drains, and everything arrives in order', async () => {
    const { vt, streams, connect } = await setup(undefined, { windowBytes: 1000, highWaterMark: 2000 });
    const { socket, rec, remote } = await connect();
    streams.slowReader(remote.socket, 10_000); // 100 bytes per 10 ms tick
    const payload = 'x'.repeat(999) + '\n';
    let accepted = 0;
    while (socket.write(payload)) accepted++;
    assert.ok(socket.bufferedBytes >= 2000, `buffered ${socket.bufferedBytes}`);
    assert.equal(accepted, 2, 'the window (1000) and one more write fit under the high-water mark');
    vt.advance(2_000_000);
    assert.ok(rec.log.includes('drain'));
    assert.equal(socket.bufferedBytes, 0);
    assert.equal(remote.rec.text, payload.repeat(accepted + 1));
    assert.ok(remote.rec.data.every((d) => d.length <= 100), 'read 100 bytes at a time');
  });

  it('a peer that stops reading: the writer is destroyed with E_SOCKET once its output passes the cap', async () => {
    const { vt, streams, connect } = await setup(undefined, { maxBufferedBytes: 10_000, windowBytes: 4096 });
    const { socket, rec, remote } = await connect();
    streams.slowReader(socket, 0);
    const chunk = 'y'.repeat(1000);
    let writes = 0;
    while (!remote.socket.closed && writes < 100) {
      remote.socket.write(chunk);
      writes++;
      vt.advance(100);
    }
    assert.ok(writes <= 15, `destroyed after ${writes} writes`);
    vt.advance(1000);
    assert.deepEqual(remote.rec.log.slice(-2), ['error', 'close']);
    assert.ok(remote.rec.errors[0] instanceof PhaselockError && remote.rec.errors[0].code === 'E_SOCKET');
    assert.match(remote.rec.errors[0]!.message, /not reading .*limit 10000/);
    assert.ok(streams.heldBytes <= 10_000 + 4096, `held ${streams.heldBytes}`);
    assert.equal(rec.data.length, 0);
  });

  it('a handler that throws is reported through onError and the socket destroyed', async () => {
    const { vt, streams } = await setup();
    const errors: Error[] = [];
    const server = await streams.listen({ path: '/s' }, {
      onConnection: () => ({ onData: () => { throw new Error('bug'); }, onError: (e) => errors.push(e) }),
    });
    const rec = recorder();
    const s = await streams.connect(server.address, rec.handlers);
    s.write('boom');
    vt.advance(1000);
    assert.deepEqual(errors.map((e) => e.message), ['bug']);
    assert.deepEqual(rec.log, ['end']);
  });

  it('server close ends every connection after what was written and resolves once all are closed', async () => {
    const { vt, server, connect, streams } = await setup();
    const a = await connect();
    const b = await connect();
    a.remote.socket.write('bye a\n');
    b.remote.socket.write('bye b\n');
    let done = false;
    const closing = server.close().then(() => (done = true));
    for (const c of [a, b]) c.rec.handlers.onEnd = () => void c.socket.end();
    vt.advance(1000);
    await closing;
    assert.equal(done, true);
    assert.equal(a.rec.text, 'bye a\n');
    assert.equal(b.rec.text, 'bye b\n');
    assert.equal(server.connections, 0);
    await assert.rejects(streams.connect(server.address, { onData: () => undefined }), /ECONNREFUSED/);
  });

  it('maxConnections: the runtime closes connections past the hard cap before the application sees them', async () => {
    const vt = new VirtualTime();
    const streams = new FakeStreams(vt);
    let seen = 0;
    const server = await streams.listen({ host: '127.0.0.1', port: 0 }, { onConnection: () => { seen++; return { onData: () => undefined }; } }, { maxConnections: 2 });
    const recs = [recorder(), recorder(), recorder()];
    for (const r of recs) await streams.connect(server.address, r.handlers);
    vt.advance(1000);
    assert.equal(seen, 2);
    assert.deepEqual(recs.map((r) => r.log), [[], [], ['end']]);
  });
});
