// CarabinerServer (L1) on FakeStreams + VirtualTime + an unenabled LinkPeer: no sockets, no sleeping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PhaselockError } from '../core/errors.ts';
import { LineFramer } from '../core/line-framer.ts';
import type { StreamSocket } from '../core/runtime.ts';
import { LinkPeer } from '../link/link-peer.ts';
import { FakeNetwork } from '../testing/fake-network.ts';
import { FakeStreams } from '../testing/fake-streams.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { CarabinerServer, type CarabinerServerOptions } from './server.ts';

const decoder = new TextDecoder();

function setup(options: Partial<CarabinerServerOptions> = {}) {
  const vt = new VirtualTime();
  const link = new LinkPeer(new FakeNetwork(vt).addHost({ name: 'a' }).runtime, { bpm: 120 });
  const streams = new FakeStreams(vt);
  const counts: number[] = [];
  const warnings: PhaselockError[] = [];
  const errors: Error[] = [];
  const server = new CarabinerServer({
    streams, link, port: 0,
    onConnections: (n) => counts.push(n),
    onWarning: (w) => warnings.push(w),
    onError: (e) => errors.push(e),
    ...options,
  });
  /** Lets microtasks (coalesced status lines) and virtual time run. */
  const settle = async (micros = 1000) => {
    for (let i = 0; i < 5; i++) {
      await Promise.resolve();
      vt.advance(micros / 5);
    }
  };
  /** Awaits `p` while virtual time runs (closing needs the FINs to travel). */
  const drive = async <T>(p: Promise<T>, maxMicros = 10_000_000): Promise<T> => {
    let done = false;
    const watched = p.finally(() => (done = true));
    for (let t = 0; !done && t < maxMicros; t += 1000) await settle();
    return watched;
  };
  const connect = async (maxBufferedBytes?: number) => {
    const lines: string[] = [];
    const log: string[] = [];
    let raw = '';
    const framer = new LineFramer(4 << 20);
    const socket: StreamSocket = await streams.connect(server.address, {
      onData: (d) => {
        raw += decoder.decode(d);
        for (const f of framer.push(d)) if (f.kind === 'line') lines.push(f.text);
      },
      onEnd: () => { log.push('end'); void socket.end(); },
      onError: () => log.push('error'),
      onClose: () => log.push('close'),
    }, maxBufferedBytes ? { maxBufferedBytes } : {});
    await settle();
    const say = async (text: string) => {
      const from = lines.length;
      socket.write(text);
      await settle(100_000);
      return lines.slice(from);
    };
    return { socket, lines, log, say, raw: () => raw };
  };
  return { vt, link, streams, server, counts, warnings, errors, settle, drive, connect };
}

describe('CarabinerServer', () => {
  it('the constructor only wires: nothing listens until listen(), which is idempotent', async () => {
    const { server, streams, drive } = setup({ port: 17000 });
    assert.throws(() => server.address, (e) => e instanceof PhaselockError && e.code === 'E_STATE');
    await assert.rejects(streams.connect({ host: '127.0.0.1', port: 17000 }, { onData: () => undefined }), /ECONNREFUSED/);
    const p = server.listen();
    assert.equal(server.listen(), p);
    assert.equal(await p, server);
    assert.deepEqual(server.address, { host: '127.0.0.1', port: 17000 });
    await drive(server.close());
  });

  it('greets every client, answers, and counts connections', async () => {
    const { server, connect, counts, drive } = setup();
    await server.listen();
    const a = await connect();
    assert.match(a.lines[0]!, /^status \{ :peers 0 :bpm 120\.000000 /);
    assert.deepEqual(await a.say('version\n'), ['version "1.1.6"']);
    const b = await connect();
    assert.equal(server.connections, 2);
    b.socket.destroy();
    await a.say('');
    assert.deepEqual(counts, [1, 2, 1]);
    await drive(server.close());
  });

  it('close: every client gets the status it is owed as a whole line, then EOF; resolves once all are closed', async () => {
    const { server, connect, link, drive, counts } = setup();
    await server.listen();
    const clients = [await connect(), await connect()];
    const s = link.captureAppSessionState();
    s.setTempo(133, link.clock.micros());
    link.commitAppSessionState(s); // its status line is coalesced on a microtask…
    let closed = false;
    await drive(server.close().then(() => (closed = true))); // …and owed when close begins
    assert.equal(closed, true);
    for (const c of clients) {
      assert.match(c.lines.at(-1)!, /^status \{ :peers 0 :bpm 133\.000000 /);
      assert.ok(c.raw().endsWith('}\n'), 'the last line ends with its newline');
      assert.deepEqual(c.log, ['end', 'close']);
    }
    assert.equal(server.connections, 0);
    assert.equal(counts.at(-1), 0);
  });

  it('a closed server throws E_CLOSED; close is idempotent; await using closes', async () => {
    const { server, link, drive } = setup();
    await server.listen();
    const first = server.close();
    assert.equal(server.close(), first);
    await drive(first);
    assert.equal(server.closed, true);
    await assert.rejects(server.listen(), (e) => e instanceof PhaselockError && e.code === 'E_CLOSED');
    {
      await using disposable = new CarabinerServer({ streams: new FakeStreams(new VirtualTime()), link, port: 0 });
      await disposable.listen();
    }
  });

  it('closes itself, and every session, when the timeline source closes', async () => {
    const { server, connect, link, drive } = setup();
    await server.listen();
    const c = await connect();
    await link.close();
    await drive(server.close());
    assert.equal(server.closed, true);
    assert.deepEqual(c.log, ['end', 'close']);
    assert.equal(server.connections, 0);
    await assert.rejects(new CarabinerServer({ streams: new FakeStreams(new VirtualTime()), link }).listen(), /E_CLOSED|closed/);
  });

  it('a client past maxConnections gets one line saying why, then EOF; the others are served', async () => {
    const { server, connect, warnings, drive } = setup({ maxConnections: 2 });
    await server.listen();
    const a = await connect();
    await connect();
    const third = await connect();
    assert.deepEqual(third.lines, ['too-many-connections 2']);
    assert.deepEqual(third.log, ['end', 'close']);
    assert.match(warnings[0]!.message, /refused: 2 clients already connected/);
    assert.equal(server.connections, 2);
    a.socket.destroy();
    await a.say('');
    const fourth = await connect();
    assert.match(fourth.lines[0]!, /^status /);
    await drive(server.close());
  });

  it('a half-closed client gets the answers to what it sent, then EOF; a partial line is never run', async () => {
    const { server, connect, link, drive } = setup();
    await server.listen();
    const c = await connect();
    c.socket.write('version\nbpm 15');
    void c.socket.end();
    await c.say('');
    assert.deepEqual(c.lines.slice(1), ['version "1.1.6"']);
    assert.deepEqual(c.log, ['end', 'close']);
    assert.equal(link.captureAppSessionState().tempo, 120);
    await drive(server.close());
  });

  it('a client that stops reading is dropped with a warning once its unread answers pass maxPendingBytes', async () => {
    const { server, connect, streams, warnings, drive } = setup({ maxPendingBytes: 32 * 1024 });
    await server.listen();
    const watcher = await connect();
    const c = await connect();
    streams.slowReader(c.socket, 0);
    for (let i = 0; i < 50 && server.connections === 2; i++) await c.say('status\n'.repeat(1000));
    assert.equal(server.connections, 1);
    assert.ok(warnings.some((w) => /not reading/.test(w.message)), warnings.map((w) => w.message).join('; '));
    assert.ok(streams.heldBytes < 32 * 1024 + 3 * 64 * 1024, `held ${streams.heldBytes}`);
    assert.deepEqual(await watcher.say('version\n'), ['version "1.1.6"']);
    await drive(server.close());
  });

  it('junk, overlong lines and resets mid-line affect only their own connection', async () => {
    const { server, connect, streams, link, errors, drive } = setup();
    await server.listen();
    const watcher = await connect();
    const junk = await connect(4 << 20); // it sends 1.1 MB at once
    const bytes = new Uint8Array(100_000).map((_, i) => (i * 7919) % 256);
    junk.socket.write(bytes);
    junk.socket.write(`\n${'9'.repeat(1 << 20)}\nversion\n`);
    await junk.say('');
    assert.ok(junk.lines.includes('line-too-long 1024'));
    assert.equal(junk.lines.at(-1), 'version "1.1.6"');
    const quitter = await connect();
    quitter.socket.write('bpm 66');
    streams.reset(quitter.socket);
    await quitter.say('');
    await watcher.say('');
    assert.equal(link.captureAppSessionState().tempo, 120);
    assert.deepEqual(errors, []);
    assert.equal(server.connections, 2);
    await drive(server.close());
  });

  it('a failing session (a bug) is reported to onError and drops only its client', async () => {
    const { server, connect, link, errors, drive } = setup();
    await server.listen();
    const watcher = await connect();
    const victim = await connect();
    const commit = link.commitAppSessionState.bind(link);
    link.commitAppSessionState = () => { throw new Error('bug'); };
    await victim.say('bpm 130\n');
    link.commitAppSessionState = commit;
    assert.deepEqual(errors.map((e) => e.message), ['bug']);
    assert.deepEqual(victim.log, ['end', 'close']);
    assert.deepEqual(await watcher.say('version\n'), ['version "1.1.6"']);
    await drive(server.close());
  });
});
