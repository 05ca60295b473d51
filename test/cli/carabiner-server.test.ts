/**
 * The Carabiner TCP server against its protocol (Carabiner's README), in process, over real
 * loopback TCP. The Link behind it is never enabled: no Link traffic, so no namespace needed.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, beforeEach, describe, it } from 'node:test';
import { monoMicros, sleep, waitFor } from '../interop/harness.ts';
import { Link } from '../../src/node/link/link.ts';
import { CarabinerServer } from '../../src/cli/carabiner-server.ts';
import { CarabinerClient, STATUS_LINE } from './carabiner-client.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('phaselock carabiner server (protocol)', () => {
  let link: Link;
  let server: CarabinerServer;
  const clients: CarabinerClient[] = [];
  const connect = async () => {
    const c = await CarabinerClient.connect(server.port);
    clients.push(c);
    await c.next('status');
    return c;
  };

  before(async () => {
    link = new Link({ bpm: 120 });
    server = await CarabinerServer.listen({ link, port: 0 });
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    await link.close();
  });

  beforeEach(() => {
    const s = link.captureAppSessionState();
    s.setTempo(120, link.clock.micros());
    link.commitAppSessionState(s);
    link.startStopSyncEnabled = false;
  });

  it('listens on 127.0.0.1 only by default', () => {
    assert.equal(server.address.address, '127.0.0.1');
  });

  it('greets every client with a status in the README\'s format', async () => {
    const c = await connect();
    assert.match(c.responses[0]!.line, STATUS_LINE);
    assert.deepEqual(Object.keys(c.responses[0]!.map), ['peers', 'bpm', 'start', 'beat']);
    assert.equal(c.responses[0]!.map.peers, 0);
    assert.equal(c.responses[0]!.map.bpm, 120);
  });

  it('times are the client\'s CLOCK_MONOTONIC µs: :beat is (now - :start) at :bpm', async () => {
    const c = await connect();
    const before = monoMicros();
    const r = await c.request('status');
    const afterT = monoMicros();
    const { start, beat, bpm } = r.map as { start: number; beat: number; bpm: number };
    const lo = ((before - start) * bpm) / 60e6;
    const hi = ((afterT - start) * bpm) / 60e6;
    assert.ok(beat >= lo - 1e-5 && beat <= hi + 1e-5, `beat ${beat} not within [${lo}, ${hi}]`);
    const t = monoMicros() + 1_000_000;
    const b = await c.request(`beat-at-time ${t} 4`);
    assert.deepEqual(Object.keys(b.map), ['when', 'quantum', 'beat']);
    assert.equal(b.map.when, t);
    assert.equal(b.map.quantum, 4);
    assert.ok(Math.abs((b.map.beat as number) - ((t - start) * bpm) / 60e6) < 1e-5);
    const p = await c.request(`phase-at-time ${t} 4`);
    assert.deepEqual(Object.keys(p.map), ['when', 'quantum', 'phase']);
    const expectedPhase = (((b.map.beat as number) % 4) + 4) % 4;
    assert.ok(Math.abs((p.map.phase as number) - expectedPhase) < 1e-5, `phase ${p.map.phase} vs ${expectedPhase}`);
    const z = await c.request('time-at-beat 0 4');
    assert.deepEqual(Object.keys(z.map), ['beat', 'quantum', 'when']);
    assert.equal(z.map.when, start, 'README: time-at-beat 0 4 matches :start');
  });

  it('bpm: a change is answered (and broadcast) with a status, no change is silent, bad values get bad-bpm', async () => {
    const a = await connect();
    const b = await connect();
    const fromB = b.responses.length;
    const r = await a.request('bpm 140', 'status');
    assert.equal(r.map.bpm, 140);
    assert.equal((await b.next('status', fromB)).map.bpm, 140);
    const from = a.responses.length;
    a.write('bpm 140.0\nversion\n');
    await a.next('version', from);
    assert.deepEqual(a.responses.slice(from).map((x) => x.type), ['version'], 'no status for an unchanged tempo');
    for (const bad of ['bpm', 'bpm fast', 'bpm 19.9', 'bpm 999.1']) {
      assert.equal((await a.request(bad, /^bad-bpm/)).type, 'bad-bpm', bad);
    }
    assert.equal((await a.request('status')).map.bpm, 140);
  });

  it('force-beat-at-time and request-beat-at-time answer a status with the new :start', async () => {
    const c = await connect();
    const t = monoMicros() + 2_000_000;
    const f = await c.request(`force-beat-at-time 1.0 ${t} 4`, 'status');
    assert.equal(f.map.start, t - 500_000);
    assert.equal((await c.request(`beat-at-time ${t} 4`)).map.beat, 1);
    const r = await c.request(`request-beat-at-time 0 ${t} 4`, 'status');
    assert.equal(r.map.start, t, 'alone, request behaves like force');
  });

  it('start/stop sync: :playing appears, start/stop-playing change it for every client, then it disappears', async () => {
    const a = await connect();
    const b = await connect();
    const enabled = await a.request('enable-start-stop-sync', 'status');
    assert.equal(enabled.map.playing, false);
    assert.match(enabled.line, STATUS_LINE);
    const fromB = b.responses.length;
    const started = await a.request(`start-playing ${monoMicros()}`, 'status');
    assert.equal(started.map.playing, true);
    assert.equal((await b.next('status', fromB)).map.playing, true);
    assert.equal((await a.request(`stop-playing ${monoMicros()}`, 'status')).map.playing, false);
    assert.equal((await a.request('start-playing', /^bad-time/)).type, 'bad-time');
    const disabled = await a.request('disable-start-stop-sync', 'status');
    assert.equal('playing' in disabled.map, false);
  });

  it('version answers a quoted version string', async () => {
    const c = await connect();
    assert.match((await c.request('version')).line, /^version "\d+\.\d+\.\d+"$/);
  });

  it('malformed lines get an error word and the connection keeps working', async () => {
    const c = await connect();
    const cases: Array<[string, RegExp]> = [
      ['frobnicate', /^unsupported frobnicate$/],
      ['\x00\x01\xff garbage', /^unsupported /],
      ['beat-at-time', /^bad-time/],
      ['beat-at-time soon 4', /^bad-time/],
      ['beat-at-time 100', /^bad-quantum/],
      ['phase-at-time 100 0', /^bad-quantum/],
      ['time-at-beat x 4', /^bad-beat/],
      ['time-at-beat 1 -4', /^bad-quantum/],
      ['force-beat-at-time x 1 4', /^bad-beat/],
      ['request-beat-at-time 1 x 4', /^bad-time/],
      ['stop-playing later', /^bad-time/],
    ];
    for (const [line, re] of cases) {
      const from = c.responses.length;
      c.write(`${line}\n`);
      const r = await c.next(/.*/, from);
      assert.match(r.line, re, JSON.stringify(line));
    }
    const from = c.responses.length;
    c.write('\n\r\n   \nversion\n');
    await c.next('version', from);
    assert.equal(c.responses.length, from + 1, 'blank lines are ignored');
  });

  it('several commands in one packet are answered in order; a command may span packets', async () => {
    const c = await connect();
    const from = c.responses.length;
    c.write('version\ntime-at-beat 0 4\nfrobnicate\nbeat-at-time 1 4\n');
    await c.next('beat-at-time', from);
    assert.deepEqual(c.responses.slice(from).map((r) => r.type), ['version', 'time-at-beat', 'unsupported', 'beat-at-time']);
    const from2 = c.responses.length;
    c.write('bp');
    await sleep(30);
    c.write('m 13');
    await sleep(30);
    c.write('0\n');
    assert.equal((await c.next('status', from2)).map.bpm, 130);
  });

  it('a command without newline runs after a quiet pause (clients older than Carabiner 1.1.0)', async () => {
    const c = await connect();
    const from = c.responses.length;
    c.write('version');
    assert.equal((await c.next('version', from, 1500)).line.startsWith('version "'), true);
  });

  it('an overlong line is answered once with line-too-long, dropped whole, and the client is still served', async () => {
    const c = await connect();
    const from = c.responses.length;
    c.write(`bpm ${'1'.repeat(50_000)}`);
    c.write(`${'2'.repeat(200_000)}\nversion\n`);
    await c.next('version', from, 5000);
    assert.deepEqual(c.responses.slice(from).map((r) => r.line), ['line-too-long 1024', 'version "1.1.6"']);
    assert.equal((await c.request('status')).map.bpm, 120, 'the digits were not taken as a tempo');
  });

  it('serves 50 concurrent clients, and a change reaches all of them', async () => {
    const many = await Promise.all(Array.from({ length: 50 }, () => connect()));
    assert.ok(server.connections >= 50);
    const t = monoMicros() + 500_000;
    const answers = await Promise.all(many.map((c) => c.request(`beat-at-time ${t} 4`)));
    const beats = new Set(answers.map((a) => a.map.beat));
    assert.equal(beats.size, 1, 'every client sees the same timeline');
    const marks = many.map((c) => c.responses.length);
    await many[7]!.request('bpm 99.5', 'status');
    const statuses = await Promise.all(many.map((c, i) => c.next('status', marks[i])));
    assert.ok(statuses.every((s) => s.map.bpm === 99.5));
    for (const c of many) c.close();
    await waitFor(() => server.connections <= clients.length - 50, { what: 'the 50 connections to close' });
  });

  it('a client that disconnects mid-line: the half command never runs, nobody else is disturbed', async () => {
    const watcher = await connect();
    const count = server.connections;
    for (const end of ['destroy', 'end', 'reset'] as const) {
      const quitter = await connect();
      quitter.write('bpm 66');
      if (end === 'destroy') quitter.socket.destroy();
      else if (end === 'end') quitter.socket.end();
      else quitter.socket.resetAndDestroy();
      await waitFor(() => quitter.closed, { what: 'the client socket to close' });
    }
    await sleep(400); // past the quiet-pause flush of a partial line
    await waitFor(() => server.connections === count, { what: `connections back to ${count}` });
    assert.equal((await watcher.request('status')).map.bpm, 120);
    assert.equal(watcher.responses.filter((r) => r.type === 'status' && r.map.bpm === 66).length, 0);
    const late = await connect();
    assert.match(late.responses[0]!.line, STATUS_LINE);
  });

  it('drops a client that never reads while its responses pile up', async () => {
    const small = await CarabinerServer.listen({ link, port: 0, maxPendingBytes: 64 * 1024 });
    try {
      const c = await CarabinerClient.connect(small.port);
      c.socket.pause(); // never read: responses fill the socket buffers, then our queue
      const burst = 'status\n'.repeat(20_000);
      for (let i = 0; i < 100 && !c.closed; i++) {
        c.write(burst);
        await sleep(10);
      }
      await waitFor(() => small.connections === 0, { timeoutMs: 5000, what: 'the server to drop the non-reading client' });
    } finally {
      await small.close();
    }
  });
});

/** A raw client that counts what it reads and keeps only the first lines (hostile tests must not measure their own memory). */
class RawClient {
  readonly socket: net.Socket;
  readonly head: string[] = [];
  bytesRead = 0;
  closed = false;
  private partial = '';
  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.bytesRead += chunk.length;
      if (this.head.length >= 4) return;
      const lines = (this.partial + chunk.toString('latin1')).split('\n');
      this.partial = lines.pop()!.slice(0, 200);
      this.head.push(...lines.slice(0, 4 - this.head.length));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (this.closed = true));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Writes `total` bytes made by `chunk(i)`, waiting for drain: the sender itself stays small. */
  async send(total: number, chunk: (i: number) => Buffer): Promise<void> {
    for (let sent = 0, i = 0; sent < total && !this.closed; i++) {
      const c = chunk(i);
      sent += c.length;
      if (!this.socket.write(c)) {
        await new Promise<void>((r) => {
          const done = () => {
            this.socket.off('drain', done).off('close', done);
            r();
          };
          this.socket.once('drain', done).once('close', done);
        });
      }
    }
  }
}

describe('phaselock carabiner server (hostile clients, real sockets)', () => {
  it('junk, 1 MB lines, an endless line, a client that never reads, many connections and resets: server and Link stay up, memory bounded', async () => {
    const link = new Link({ bpm: 120 });
    const warnings: string[] = [];
    const errors: Error[] = [];
    const server = await CarabinerServer.listen({ link, port: 0, onWarning: (w) => warnings.push(w.message), onError: (e) => errors.push(e) });
    const watcher = await CarabinerClient.connect(server.port);
    await watcher.next('status');
    // Retained memory, measured after a full collection: what the server keeps for its clients.
    const retained = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const base = retained();
    try {
      // Phase 1, all at once: junk, 1 MB lines, one 64 MB line that never ends, resets mid-line, a non-reader.
      const MB = 1 << 20;
      const junkBlock = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) % 256));
      const junk = await Promise.all(Array.from({ length: 4 }, () => RawClient.connect(server.port)));
      const longLines = await Promise.all(Array.from({ length: 4 }, () => RawClient.connect(server.port)));
      const endless = await RawClient.connect(server.port);
      const nonReader = await RawClient.connect(server.port);
      nonReader.socket.pause();
      const resets = async () => {
        for (let i = 0; i < 20; i++) {
          const c = await RawClient.connect(server.port);
          c.socket.write('bpm 66');
          await sleep(1);
          c.socket.resetAndDestroy();
        }
      };
      const flood = async () => {
        const burst = Buffer.from('status\n'.repeat(20_000));
        for (let i = 0; i < 200 && !nonReader.closed; i++) {
          nonReader.socket.write(burst);
          await sleep(5);
        }
      };
      await Promise.all([
        ...junk.map((c) => c.send(4 * MB, () => junkBlock)),
        ...longLines.map((c) => c.send(8 * MB, (i) => Buffer.from(i % 16 === 15 ? `${'x'.repeat(64 * 1024 - 1)}\n` : 'x'.repeat(64 * 1024)))),
        endless.send(64 * MB, () => Buffer.alloc(64 * 1024, 0x39)),
        resets(),
        flood(),
      ]);
      await waitFor(() => nonReader.closed, { timeoutMs: 10_000, what: 'the non-reader to be dropped' });
      // The endless line is still open (64 MB sent, no newline, a byte every 20 ms so the quiet-pause
      // flush never ends it): nothing of it may be kept.
      const trickle = setInterval(() => endless.socket.write('9'), 20);
      await watcher.request('version');
      await sleep(300);
      const grownMB = (retained() - base) / MB;
      clearInterval(trickle);
      assert.ok(grownMB < 16, `retained memory grew by ${grownMB.toFixed(1)} MB after 112 MB of hostile input`);
      assert.ok(warnings.some((w) => /not reading/.test(w)), warnings.join('; '));
      for (const c of longLines) {
        await waitFor(() => c.head.length >= 2, { what: 'the answers to the long lines' });
        assert.deepEqual(c.head.slice(1, 2), ['line-too-long 1024']);
      }
      for (const c of [...junk, ...longLines, endless]) c.socket.destroy();

      // Phase 2: more connections than the limit.
      const crowd = await Promise.all(Array.from({ length: 300 }, () => RawClient.connect(server.port)));
      await waitFor(() => crowd.every((c) => c.head.length >= 1), { timeoutMs: 10_000, what: 'every connection to get a first line' });
      const refused = crowd.filter((c) => c.head[0] === 'too-many-connections 256');
      assert.equal(refused.length, 300 - (256 - 1), 'all but the watcher\'s share are served');
      await waitFor(() => refused.every((c) => c.closed), { what: 'refused connections to be closed' });
      for (const c of crowd) c.socket.destroy();
      await waitFor(() => server.connections === 1, { timeoutMs: 10_000, what: 'only the watcher left' });

      // Everything still works, nothing leaked into the Link, memory stayed bounded.
      assert.equal((await watcher.request('status')).map.bpm, 120);
      assert.equal(link.captureAppSessionState().tempo, 120);
      assert.equal(link.closed, false);
      const late = await CarabinerClient.connect(server.port);
      assert.match((await late.next('status')).line, STATUS_LINE);
      late.close();
      assert.deepEqual(errors, []);
    } finally {
      watcher.close();
      await server.close();
      await link.close();
    }
  });
});

describe('phaselock carabiner server (lifecycle, real sockets)', () => {
  it('close hands every client the status it is owed, newline included, then EOF, and resolves once they are closed', async () => {
    const link = new Link({ bpm: 120 });
    const counts: number[] = [];
    const server = new CarabinerServer({ link, port: 0, onConnections: (n) => counts.push(n) });
    assert.throws(() => server.address, /not listening/, 'nothing listens before listen()');
    await server.listen();
    const texts = ['', ''];
    const ended = [false, false];
    const sockets = await Promise.all(texts.map((_, i) => new Promise<net.Socket>((resolve) => {
      const s = net.connect({ port: server.port, host: '127.0.0.1' }, () => resolve(s));
      s.setEncoding('utf8').on('data', (t: string) => (texts[i] += t)).on('end', () => (ended[i] = true));
    })));
    await waitFor(() => texts.every((t) => t.startsWith('status')), { what: 'the greetings' });
    const s = link.captureAppSessionState();
    s.setTempo(141, link.clock.micros());
    link.commitAppSessionState(s);
    await server.close();
    assert.equal(server.connections, 0);
    assert.equal(counts.at(-1), 0);
    await waitFor(() => ended.every(Boolean), { what: 'EOF at both clients' });
    for (const t of texts) {
      assert.match(t, /:bpm 141\.000000 /);
      assert.ok(t.endsWith('}\n'), JSON.stringify(t.slice(-40)));
    }
    await assert.rejects(server.listen(), /closed/);
    for (const c of sockets) c.destroy();
    await link.close();
  });

  it('closes by itself when the Link closes', async () => {
    const link = new Link({ bpm: 120 });
    const server = await CarabinerServer.listen({ link, port: 0 });
    const c = await CarabinerClient.connect(server.port);
    await c.next('status');
    await link.close();
    await waitFor(() => c.closed && server.connections === 0, { what: 'the client to be closed' });
    assert.equal(server.closed, true);
    await server.close();
  });
});
