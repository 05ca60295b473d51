/**
 * The mpv client against a hostile "mpv" on a real unix socket (the socket path is a file
 * anyone on the box may have put there): garbage bytes, invalid JSON, a line far past the limit,
 * replies to ids never sent, replies with forged types, a flood of events, then a reset. The
 * client never throws, warns (rate-limited), keeps its tables bounded, and a real request made
 * afterwards still gets its answer.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { nodeRuntime } from '../../src/node/link/node-runtime.ts';
import { MpvClient } from '../../src/show/mpv-client.ts';

describe('MpvClient against a hostile socket peer', () => {
  it('garbage, oversized lines, forged replies and a flood: warnings only, bounded memory, and a later request is answered', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-mpv-hostile-'));
    const socketPath = path.join(dir, 'mpv.sock');
    let hostile = true;
    const server = net.createServer((conn) => {
      conn.on('error', () => undefined);
      let buf = '';
      conn.on('data', (d) => {
        buf += d.toString('utf8');
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const req = JSON.parse(line) as { request_id: number };
          if (hostile) continue; // while hostile: requests go unanswered (they time out)
          conn.write(`${JSON.stringify({ request_id: req.request_id, error: 'success', data: 42 })}\n`);
        }
      });
      // The attack, at once on connect.
      conn.write(Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a])); // binary junk + newline
      conn.write('not json at all\n{"unterminated": \n[1,2,3]\n"a string"\nnull\n');
      conn.write(`{"request_id": 999999, "error": "success", "data": 1}\n`); // an id never sent
      conn.write(`{"request_id": "x", "error": 5}\n{"event": 12}\n{"event": "property-change", "id": "nope", "name": {}}\n`);
      conn.write('x'.repeat(3 * 1024 * 1024) + '\n'); // 3 MiB line: beyond the 1 MiB limit
      for (let i = 0; i < 20_000; i++) conn.write(`{"event":"seek"}\n`);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const client = new MpvClient(nodeRuntime(), { socket: socketPath, requestTimeoutMicros: 300_000 });
    const warnings: string[] = [];
    client.on('warning', (w) => warnings.push(w.message));
    let seeks = 0;
    client.on('seek', () => seeks++);
    try {
      await client.open();
      const heapBefore = process.memoryUsage().heapUsed;
      // Requests while the peer stays silent: they time out, nothing dangles.
      const silent = await Promise.allSettled(Array.from({ length: 50 }, () => client.getProperty('time-pos')));
      assert.ok(silent.every((r) => r.status === 'rejected'), 'unanswered requests reject (timeout)');
      await new Promise((r) => setTimeout(r, 500)); // the flood has arrived
      assert.ok(warnings.length > 0, 'the junk was warned about');
      assert.ok(warnings.length < 200, `warnings are rate-limited: ${warnings.length}`);
      assert.ok(seeks > 0, 'well-formed events among the junk are still delivered');
      assert.equal(client.pendingRequests, 0, 'no request left pending');
      hostile = false;
      assert.equal(await client.command('get_property', 'volume'), 42, 'a request after the attack is answered');
      const growth = process.memoryUsage().heapUsed - heapBefore;
      assert.ok(growth < 64 * 1024 * 1024, `heap grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);
    } finally {
      await client.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
