// The Node stream port on real sockets: TCP on 127.0.0.1 and a unix socket in a temp dir.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PhaselockError } from '../../core/errors.ts';
import type { StreamAddress, StreamHandlers, StreamNetwork, StreamServer, StreamSocket } from '../../core/runtime.ts';
import { nodeRuntime } from '../link/node-runtime.ts';
import { nodeStreams } from './node-streams.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-streams-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function recorder() {
  const log: string[] = [];
  const chunks: Buffer[] = [];
  const errors: Error[] = [];
  const handlers: StreamHandlers = {
    onData: (d) => chunks.push(Buffer.from(d)),
    onEnd: () => log.push('end'),
    onDrain: () => log.push('drain'),
    onError: (e) => { errors.push(e); log.push('error'); },
    onClose: () => log.push('close'),
  };
  return { log, chunks, errors, handlers, get text() { return Buffer.concat(chunks).toString('utf8'); }, get bytes() { return Buffer.concat(chunks).length; } };
}

/** A server whose accepted sockets and recorders the test can reach. */
async function serve(streams: StreamNetwork, address: StreamAddress, onConnection?: (s: StreamSocket, rec: ReturnType<typeof recorder>) => void) {
  const accepted: Array<{ socket: StreamSocket; rec: ReturnType<typeof recorder> }> = [];
  const server = await streams.listen(address, {
    onConnection: (socket) => {
      const rec = recorder();
      accepted.push({ socket, rec });
      onConnection?.(socket, rec);
      return rec.handlers;
    },
  });
  return { server, accepted };
}

const transports: Array<[string, () => StreamAddress]> = [
  ['TCP on 127.0.0.1', () => ({ host: '127.0.0.1', port: 0 })],
  ['a unix socket', (() => { let n = 0; return () => ({ path: path.join(dir, `s${n++}.sock`) }); })()],
];

for (const [name, address] of transports) {
  describe(`nodeStreams over ${name}`, () => {
    const streams = nodeStreams();

    it('echoes bytes and strings both ways; addresses are reported', async () => {
      const { server, accepted } = await serve(streams, address(), (s, rec) => {
        rec.handlers.onData = (d) => { rec.chunks.push(Buffer.from(d)); s.write(d); };
        delete rec.handlers.onEnd; // EOF ends our side too
      });
      const rec = recorder();
      const client = await streams.connect(server.address, rec.handlers);
      if ('path' in server.address) assert.deepEqual(client.remote, server.address);
      else {
        assert.equal(server.address.host, '127.0.0.1');
        assert.ok(server.address.port > 0);
        assert.deepEqual(client.remote, server.address);
      }
      assert.equal(client.write('grüße '), true);
      client.write(new Uint8Array([0xf0, 0x9f, 0x8e, 0xb5]));
      await until(() => rec.text === 'grüße 🎵', 'the echo');
      assert.equal(server.connections, 1);
      assert.equal(accepted.length, 1);
      await client.end();
      assert.equal(client.closed, true);
      await server.close();
      assert.equal(server.connections, 0);
    });

    it('half-close: the server hears onEnd, answers, then ends; end() resolves once closed', async () => {
      const { server } = await serve(streams, address(), (s, rec) => {
        rec.handlers.onEnd = () => {
          s.write(`got ${rec.text.length} chars`);
          void s.end();
        };
      });
      const rec = recorder();
      const client = await streams.connect(server.address, rec.handlers);
      client.write('x'.repeat(1000));
      const closed = client.end();
      assert.equal(client.write('late'), false, 'dropped after end');
      await closed;
      assert.equal(rec.text, 'got 1000 chars');
      assert.deepEqual(rec.log, ['end', 'close']);
      await server.close();
    });

    it('end() flushes a large payload before closing; backpressure is visible and drains', async () => {
      // More than loopback's kernel buffers take (a few MiB), so some of it must wait in ours.
      const size = 32 * 1024 * 1024;
      const chunk = 256 * 1024;
      const { server, accepted } = await serve(streams, address());
      const rec = recorder();
      const client = await streams.connect(server.address, rec.handlers, { maxBufferedBytes: 2 * size });
      let sawBackpressure = false;
      for (let i = 0; i < size / chunk; i++) if (!client.write(new Uint8Array(chunk).fill(i & 0xff))) sawBackpressure = true;
      assert.equal(sawBackpressure, true, 'write returned false above the high-water mark');
      assert.ok(client.bufferedBytes > 0);
      await until(() => rec.log.includes('drain'), 'onDrain');
      assert.equal(client.bufferedBytes, 0);
      client.write('the end');
      await until(() => accepted.length === 1, 'the connection');
      accepted[0]!.rec.handlers.onEnd = () => void accepted[0]!.socket.end();
      await client.end();
      await until(() => accepted[0]!.rec.bytes === size + 7, 'every byte');
      const all = Buffer.concat(accepted[0]!.rec.chunks);
      assert.equal(all[0], 0);
      assert.equal(all[size - 1], (size / chunk - 1) & 0xff);
      assert.equal(all.subarray(size).toString(), 'the end');
      await server.close();
    });

    it('a peer that never reads: our writer is destroyed with E_SOCKET past maxBufferedBytes, the process stays bounded', async () => {
      const { server, accepted } = await serve(streams, address());
      const raw = net.connect(server.address as net.NetConnectOpts);
      raw.pause(); // never reads
      await until(() => accepted.length === 1, 'the connection');
      const { socket, rec } = accepted[0]!;
      const chunk = new Uint8Array(64 * 1024);
      let writes = 0;
      while (!socket.closed && socket.writable && writes < 10_000) {
        socket.write(chunk);
        writes++;
        if (writes % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      await until(() => rec.log.includes('close'), 'the drop');
      assert.ok(socket.bufferedBytes <= socket.maxBufferedBytes);
      assert.ok(rec.errors[0] instanceof PhaselockError && rec.errors[0].code === 'E_SOCKET', String(rec.errors[0]));
      assert.match(rec.errors[0]!.message, /not reading/);
      assert.deepEqual(rec.log.slice(-2), ['error', 'close']);
      raw.destroy();
      await server.close();
    });

    it('end() cuts a peer that neither reads nor closes after the end timeout', async () => {
      const quick = nodeStreams({ endTimeoutMicros: 200_000 });
      const { server, accepted } = await serve(quick, address());
      // Never reads, and keeps its side open after our EOF.
      const raw = net.connect({ ...(server.address as net.NetConnectOpts), allowHalfOpen: true });
      raw.pause();
      raw.on('error', () => undefined);
      await until(() => accepted.length === 1, 'the connection');
      const t0 = Date.now();
      await server.close();
      const ms = Date.now() - t0;
      assert.ok(ms >= 150 && ms < 3000, `closed after ${ms} ms`);
      assert.equal(server.connections, 0);
      raw.destroy();
    });

    it('a peer that resets: onError (E_SOCKET, ECONNRESET or EOF) and onClose, nothing thrown', async () => {
      const { server, accepted } = await serve(streams, address(), (s, rec) => {
        rec.handlers.onEnd = () => { rec.log.push('end'); void s.end(); }; // a unix peer's destroy is an EOF
      });
      const raw = net.connect(server.address as net.NetConnectOpts);
      await until(() => accepted.length === 1, 'the connection');
      raw.write('half a line');
      await until(() => accepted[0]!.rec.bytes > 0, 'the data');
      if ('resetAndDestroy' in raw && !('path' in server.address)) raw.resetAndDestroy();
      else raw.destroy();
      await until(() => accepted[0]!.rec.log.includes('close'), 'the close');
      assert.equal(accepted[0]!.socket.write('anyone?'), false);
      await server.close();
    });

    it('a handler that throws destroys only that connection and is reported to its onError', async () => {
      const { server, accepted } = await serve(streams, address(), (_s, rec) => {
        rec.handlers.onData = (d) => {
          if (Buffer.from(d).toString().includes('boom')) throw new Error('bug in owner');
        };
      });
      const rec = recorder();
      delete rec.handlers.onEnd; // EOF ends our side too
      const client = await streams.connect(server.address, rec.handlers);
      client.write('boom');
      await until(() => rec.log.includes('close'), 'the drop');
      assert.deepEqual(accepted[0]!.rec.errors.map((e) => e.message), ['bug in owner']);
      const other = await streams.connect(server.address, { onData: () => undefined });
      other.write('still listening');
      await until(() => accepted.length === 2, 'the second connection');
      delete accepted[1]!.rec.handlers.onEnd;
      await other.end();
      assert.equal(other.closed, true);
      await server.close();
    });
  });
}

describe('nodeStreams errors', () => {
  const streams = nodeStreams();

  it('connect to a closed port or a missing unix socket rejects with E_SOCKET and the cause', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(streams.connect({ host: '127.0.0.1', port }, { onData: () => undefined }),
      (err) => err instanceof PhaselockError && err.code === 'E_SOCKET' && (err.cause as { code: string }).code === 'ECONNREFUSED');
    await assert.rejects(streams.connect({ path: path.join(dir, 'missing.sock') }, { onData: () => undefined }),
      (err) => err instanceof PhaselockError && (err.cause as { code: string }).code === 'ENOENT');
  });

  it('listen on an address in use rejects with E_SOCKET (TCP and unix); the unix path is freed on close', async () => {
    const tcp = await streams.listen({ host: '127.0.0.1', port: 0 }, { onConnection: () => ({ onData: () => undefined }) });
    await assert.rejects(streams.listen(tcp.address, { onConnection: () => ({ onData: () => undefined }) }),
      (err) => err instanceof PhaselockError && err.code === 'E_SOCKET' && /EADDRINUSE/.test(err.message));
    await tcp.close();
    const where = { path: path.join(dir, 'busy.sock') };
    const unix = await streams.listen(where, { onConnection: () => ({ onData: () => undefined }) });
    await assert.rejects(streams.listen(where, { onConnection: () => ({ onData: () => undefined }) }), /EADDRINUSE/);
    await unix.close();
    const again: StreamServer = await streams.listen(where, { onConnection: () => ({ onData: () => undefined }) });
    await again.close();
  });

  it('maxConnections closes connections past the hard cap before the application sees them', async () => {
    let seen = 0;
    const server = await streams.listen({ host: '127.0.0.1', port: 0 }, { onConnection: () => { seen++; return { onData: () => undefined }; } }, { maxConnections: 2 });
    const recs = [recorder(), recorder(), recorder()];
    for (const r of recs) delete r.handlers.onEnd;
    for (const r of recs) await streams.connect(server.address, r.handlers);
    await until(() => recs[2]!.log.includes('close'), 'the third to be closed');
    assert.equal(seen, 2);
    await server.close();
  });

  it('rejects limits that are not positive numbers', () => {
    assert.throws(() => nodeStreams({ maxBufferedBytes: 0 }), RangeError);
    assert.throws(() => nodeStreams({ endTimeoutMicros: Number.NaN }), RangeError);
  });

  it('is the Node runtime\'s stream port', () => {
    assert.ok(nodeRuntime().streams);
  });
});
