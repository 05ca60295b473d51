// MpvClient (L1) on FakeStreams + VirtualTime: FakeMpv for the protocol and playback, a raw
// scripted peer for framing and hostile input. No sockets, no sleeping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PhaselockError } from '../core/errors.ts';
import { JsonLineFramer } from '../core/line-framer.ts';
import type { StreamSocket } from '../core/runtime.ts';
import { FakeMpv } from '../testing/fake-mpv.ts';
import { FakeStreams } from '../testing/fake-streams.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { MpvClient, type MpvClientOptions } from './mpv-client.ts';
import { MpvCommandError, type MpvEvent } from './mpv-protocol.ts';

const PATH = '/run/test/mpv.sock';

const code = (c: string) => (err: unknown) => err instanceof PhaselockError && err.code === c;

function rig(options: Partial<MpvClientOptions> = {}) {
  const vt = new VirtualTime();
  const streams = new FakeStreams(vt);
  const mpv = new FakeMpv(vt, streams, { path: PATH });
  const client = new MpvClient({ clock: vt, timers: vt, streams }, { socket: PATH, ...options });
  const warnings: PhaselockError[] = [];
  const states: string[] = [];
  client.on('warning', (w) => warnings.push(w));
  client.on('state', (s) => states.push(s));
  const flush = () => new Promise<void>((r) => setImmediate(r));
  /** Lets microtasks run and virtual time advance by `micros`. */
  const settle = async (micros = 1000, steps = 10) => {
    for (let i = 0; i < steps; i++) {
      await flush();
      vt.advance(micros / steps);
    }
    await flush();
  };
  /** Awaits `p` while virtual time runs (1 ms steps). */
  const drive = async <T>(p: Promise<T>, maxMicros = 30_000_000): Promise<T> => {
    let done = false;
    const watched = p.finally(() => (done = true));
    watched.catch(() => undefined);
    for (let t = 0; !done && t < maxMicros; t += 1000) {
      await flush();
      if (!done) vt.advance(1000);
    }
    return watched;
  };
  return { vt, streams, mpv, client, warnings, states, settle, drive };
}

/** A scripted peer on the socket: records the commands, and writes whatever the test says. */
async function rawPeer(streams: FakeStreams) {
  const commands: Array<{ command: unknown[]; request_id: number }> = [];
  const sockets: StreamSocket[] = [];
  const server = await streams.listen({ path: PATH }, {
    onConnection: (socket) => {
      sockets.push(socket);
      const framer = new JsonLineFramer();
      return {
        onData: (d) => {
          for (const f of framer.push(d)) if (f.kind === 'value') commands.push(f.value as { command: unknown[]; request_id: number });
        },
      };
    },
  });
  return { server, commands, sockets, send: (text: string | Uint8Array) => sockets.at(-1)!.write(text) };
}

describe('MpvClient: lifecycle', () => {
  it('the constructor only wires; requests before open() reject E_STATE; open() is idempotent', async () => {
    const { mpv, client, drive } = rig();
    await mpv.start();
    assert.equal(client.state, 'idle');
    assert.equal(mpv.connections, 0);
    await assert.rejects(client.command('get_property', 'pause'), code('E_STATE'));
    const p = client.open();
    assert.equal(client.open(), p);
    assert.equal(await drive(p), client);
    assert.equal(client.state, 'connected');
    assert.equal(await drive(client.getProperty('pause')), true);
    await drive(client.close());
    assert.equal(client.state, 'closed');
  });

  it('open() with no mpv: E_UNAVAILABLE naming the socket, cause ENOENT; may be tried again', async () => {
    const { mpv, client, drive } = rig();
    await assert.rejects(drive(client.open()), (err) => code('E_UNAVAILABLE')(err) && /unix:\/run\/test\/mpv\.sock/.test((err as Error).message)
      && ((err as Error).cause as PhaselockError).code === 'E_SOCKET');
    assert.equal(client.state, 'idle');
    await mpv.start();
    await drive(client.open());
    assert.equal(client.connected, true);
    await drive(client.close());
  });

  it('openTimeoutMicros: open() waits for an mpv that starts later', async () => {
    const { vt, mpv, client, drive } = rig({ openTimeoutMicros: 10_000_000 });
    const t0 = vt.micros();
    vt.setTimeout(() => void mpv.start(), 1_500_000);
    await drive(client.open());
    const waited = vt.micros() - t0;
    assert.ok(waited >= 1_500_000 && waited < 1_500_000 + 2_100_000, `connected after ${waited} µs`);
    await drive(client.close());
  });

  it('close() rejects pending requests with E_CLOSED, then everything is E_CLOSED; idempotent; a close event', async () => {
    const { mpv, client, drive } = rig();
    await mpv.start();
    await drive(client.open());
    mpv.answering = false;
    const pending = [client.command('get_property', 'pause'), client.getProperty('time-pos'), client.setProperty('pause', false)];
    for (const p of pending) p.catch(() => undefined);
    let closes = 0;
    client.on('close', () => closes++);
    const c1 = client.close();
    assert.equal(client.close(), c1);
    for (const p of pending) await assert.rejects(p, code('E_CLOSED'));
    await drive(c1);
    assert.equal(closes, 1);
    assert.equal(client.pendingRequests, 0);
    await assert.rejects(client.command('stop'), code('E_CLOSED'));
    await assert.rejects(client.open(), code('E_CLOSED'));
    assert.throws(() => client.observeProperty('pause', () => undefined), code('E_CLOSED'));
    await drive(mpv.quit());
    assert.equal(mpv.connections, 0);
  });

  it('close() during open() rejects the open with E_CLOSED', async () => {
    const { client, drive } = rig({ openTimeoutMicros: Infinity });
    const opening = client.open();
    opening.catch(() => undefined);
    await drive(Promise.resolve(), 200_000);
    await drive(client.close());
    await assert.rejects(opening, code('E_CLOSED'));
  });

  it('bad arguments throw at once', () => {
    const { client } = rig();
    assert.throws(() => client.command('seek', undefined), TypeError);
    assert.throws(() => client.command('seek', Number.NaN), RangeError);
    assert.throws(() => client.request([]), TypeError);
    assert.throws(() => client.request([42]), TypeError);
    assert.throws(() => client.request(['x'], { timeoutMicros: 0 }), RangeError);
    assert.throws(() => client.getProperty(''), TypeError);
    assert.throws(() => client.observeProperty('pause', 'no' as never), TypeError);
    const vt = new VirtualTime();
    assert.throws(() => new MpvClient({ clock: vt, timers: vt }, { socket: PATH }), TypeError);
    assert.throws(() => new MpvClient({ clock: vt, timers: vt, streams: new FakeStreams(vt) }, { socket: PATH, maxPendingRequests: 0 }), RangeError);
  });
});

describe('MpvClient: requests', () => {
  it('ids are distinct; replies out of order settle the right requests; data and no-data replies', async () => {
    const { streams, client, drive, settle, warnings } = rig();
    const peer = await rawPeer(streams);
    await drive(client.open());
    await settle();
    const a = client.command('get_property', 'volume');
    const b = client.command('set_property', 'pause', false);
    const c = client.request(['get_property', 'path']);
    await settle();
    const ids = peer.commands.map((m) => m.request_id);
    assert.equal(new Set(ids).size, 3);
    assert.ok(ids.every((id) => Number.isInteger(id) && id > 0));
    assert.deepEqual(peer.commands.map((m) => m.command), [['get_property', 'volume'], ['set_property', 'pause', false], ['get_property', 'path']]);
    peer.send(`{"request_id":${ids[2]},"error":"success","data":"/srv/ä.mp4"}\n{"request_id":${ids[1]},"error":"success"}\n{"request_id":${ids[0]},"error":"success","data":55.5}\n`);
    assert.equal(await drive(a), 55.5);
    assert.equal(await drive(b), undefined);
    assert.equal(await drive(c), '/srv/ä.mp4');
    assert.deepEqual(warnings, []);
    await drive(client.close());
  });

  it('framing split anywhere: every split of replies and events into two chunks, and byte by byte', async () => {
    const template = '{"event":"seek"}\r\n{"request_id":ID,"error":"success","data":{"t":"grüße 🎵"}}\n\n{"event":"property-change","id":7,"name":"pause","data":false}\n';
    const length = new TextEncoder().encode(template).length;
    const cuts: Array<number[]> = [];
    for (let i = 1; i < length; i += 3) cuts.push([i]);
    cuts.push(Array.from({ length: length - 1 }, (_, i) => i + 1)); // byte by byte
    for (const cut of cuts) {
      const { streams, client, drive, settle, warnings } = rig();
      const peer = await rawPeer(streams);
      await drive(client.open());
      const events: string[] = [];
      client.on('event', (e) => events.push(e.event));
      const reply = client.command('get_property', 'x');
      await settle();
      const own = new TextEncoder().encode(template.replace('ID', String(peer.commands[0]!.request_id)));
      let from = 0;
      for (const at of [...cut, own.length]) {
        peer.send(own.slice(from, Math.min(at, own.length)));
        from = Math.min(at, own.length);
        await settle(100, 1);
      }
      assert.deepEqual(await drive(reply), { t: 'grüße 🎵' });
      assert.deepEqual(events, ['seek', 'property-change'], `cut at ${cut.length > 1 ? 'every byte' : cut[0]}`);
      assert.deepEqual(warnings, []);
      await drive(client.close());
    }
  });

  it("mpv's errors reject with MpvCommandError (E_PROTOCOL, mpv's text); a known property of the wrong type is E_PROTOCOL", async () => {
    const { mpv, client, drive, settle, streams } = rig();
    await mpv.start();
    await drive(client.open());
    await assert.rejects(drive(client.getProperty('time-pos')), (err) =>
      err instanceof MpvCommandError && err.code === 'E_PROTOCOL' && err.mpvError === 'property unavailable' && /get_property "time-pos"/.test(err.message));
    await assert.rejects(drive(client.command('no-such-command')), (err) => err instanceof MpvCommandError && err.mpvError === 'invalid parameter');
    await assert.rejects(drive(client.getProperty('nope')), (err) => err instanceof MpvCommandError && err.mpvError === 'property not found');
    await drive(client.close());
    await drive(mpv.quit());

    const peer = await rawPeer(streams);
    const again = new MpvClient({ clock: mpv.time, timers: mpv.time, streams }, { socket: PATH });
    await drive(again.open());
    await settle();
    const p = again.getProperty('pause');
    await settle();
    peer.send(`{"request_id":${peer.commands[0]!.request_id},"error":"success","data":"yes"}\n`);
    await assert.rejects(drive(p), (err) => code('E_PROTOCOL')(err) && /unexpected value "yes"/.test((err as Error).message));
    await drive(again.close());
  });

  it('a request without a reply times out (E_TIMEOUT; per-request timeouts); a late reply is dropped quietly, an unknown id warns', async () => {
    const { vt, streams, client, drive, settle, warnings } = rig({ requestTimeoutMicros: 1_000_000 });
    const peer = await rawPeer(streams);
    await drive(client.open());
    await settle();
    const t0 = vt.micros();
    const slow = client.command('get_property', 'pause');
    const quick = client.request(['get_property', 'speed'], { timeoutMicros: 100_000 });
    await assert.rejects(drive(quick), (err) => code('E_TIMEOUT')(err) && /within 0\.1 s/.test((err as Error).message));
    assert.ok(vt.micros() - t0 < 200_000);
    await assert.rejects(drive(slow), code('E_TIMEOUT'));
    assert.ok(vt.micros() - t0 >= 1_000_000);
    assert.equal(client.pendingRequests, 0);
    for (const m of peer.commands) peer.send(`{"request_id":${m.request_id},"error":"success","data":true}\n`);
    await settle();
    assert.equal(warnings.length, 0, 'late replies are not warnings');
    peer.send('{"request_id":424242,"error":"success"}\n{"request_id":0,"error":"success"}\n');
    await settle();
    assert.equal(warnings.length, 2);
    assert.ok(warnings.every((w) => w.code === 'E_PROTOCOL' && /not waiting/.test(w.message)));
    assert.equal(client.connected, true);
    await drive(client.close());
  });

  it('the pending table is bounded: past maxPendingRequests a request rejects E_STATE at once', async () => {
    const { mpv, client, drive } = rig({ maxPendingRequests: 4 });
    await mpv.start();
    await drive(client.open());
    mpv.answering = false;
    const waiting = [1, 2, 3, 4].map(() => client.command('get_property', 'pause'));
    for (const w of waiting) w.catch(() => undefined);
    await assert.rejects(client.command('get_property', 'pause'), (err) => code('E_STATE')(err) && /4 requests already wait/.test((err as Error).message));
    assert.equal(client.pendingRequests, 4);
    await drive(client.close());
  });
});

describe('MpvClient: events and observation', () => {
  it('typed events for a file load, seek and end of file; every event also as `event`', async () => {
    const { mpv, client, drive, settle } = rig();
    await mpv.start();
    await drive(client.open());
    const seen: string[] = [];
    const ends: unknown[] = [];
    const raw: MpvEvent[] = [];
    client.on('start-file', (e) => seen.push(`start-file ${e.playlistEntryId}`));
    client.on('file-loaded', () => seen.push('file-loaded'));
    client.on('playback-restart', () => seen.push('playback-restart'));
    client.on('seek', () => seen.push('seek'));
    client.on('idle', () => seen.push('idle'));
    client.on('end-file', (e) => ends.push(e));
    client.on('event', (e) => raw.push(e));
    assert.deepEqual(await drive(client.command('loadfile', 'av://lavfi:testsrc')), { playlist_entry_id: 1 });
    await settle();
    await drive(client.command('seek', 30, 'absolute'));
    await settle();
    await drive(client.setProperty('pause', false));
    await settle(31_000_000, 100); // to the end of the 60 s file
    assert.deepEqual(seen, ['start-file 1', 'file-loaded', 'playback-restart', 'seek', 'playback-restart', 'idle']);
    assert.deepEqual(ends, [{ reason: 'eof', playlistEntryId: 1, fileError: undefined }]);
    assert.deepEqual(raw.map((e) => e.event), ['start-file', 'file-loaded', 'playback-restart', 'seek', 'playback-restart', 'end-file', 'idle']);
    mpv.emitEvent({ event: 'client-message', args: ['cue', 3, 'go'] });
    const messages: string[][] = [];
    client.on('client-message', (a) => messages.push(a));
    await settle();
    assert.deepEqual(messages, [['cue', 'go']]);
    await drive(client.close());
  });

  it('observeProperty: the value at once and on each change; time-pos follows playback; dispose unobserves', async () => {
    const { mpv, client, drive, settle } = rig();
    await mpv.start();
    const pauses: Array<boolean | undefined> = [];
    const observation = client.observeProperty('pause', (v) => pauses.push(v)); // before open: made on connection
    await drive(client.open());
    await settle();
    assert.deepEqual(pauses, [true]);
    const positions: Array<number | undefined> = [];
    using _pos = client.observeProperty('time-pos', (v) => positions.push(v));
    await settle();
    assert.equal(positions.length, 1);
    assert.equal(positions[0], undefined, 'unavailable while idle');
    await drive(client.command('loadfile', 'a.mp4'));
    await drive(client.setProperty('pause', false));
    await settle(1_000_000, 50);
    assert.deepEqual(pauses, [true, false]);
    const played = positions.filter((p): p is number => p !== undefined);
    assert.ok(played.length >= 20, `${played.length} positions`);
    assert.ok(played.every((p, i) => i === 0 || p > played[i - 1]!), 'increasing');
    assert.ok(Math.abs(played.at(-1)! - 1) <= 0.08, `at ${played.at(-1)}`);
    await drive(observation.dispose());
    assert.equal(observation.active, false);
    assert.deepEqual(mpv.received.find((c) => c[0] === 'unobserve_property'), ['unobserve_property', observation.id]);
    await drive(client.setProperty('pause', true));
    await settle();
    assert.deepEqual(pauses, [true, false], 'nothing after dispose');
    await drive(client.close());
  });

  it("an observed value of the wrong type reaches the observer as undefined, with a warning; an observer that throws is a warning", async () => {
    const { streams, client, drive, settle, warnings } = rig();
    const peer = await rawPeer(streams);
    const got: unknown[] = [];
    const o = client.observeProperty('speed', (v) => {
      got.push(v);
      if (v === 2) throw new Error('observer bug');
    });
    await drive(client.open());
    await settle();
    assert.deepEqual(peer.commands[0]!.command, ['observe_property', o.id, 'speed']);
    peer.send(`{"event":"property-change","id":${o.id},"name":"speed","data":"fast"}\n{"event":"property-change","id":${o.id},"name":"speed","data":2}\n`);
    peer.send(`{"event":"property-change","id":${o.id},"name":"other","data":1}\n{"event":"property-change","id":999,"name":"speed","data":1}\n`);
    await settle();
    assert.deepEqual(got, [undefined, 2]);
    assert.deepEqual(warnings.map((w) => w.code), ['E_PROTOCOL', 'E_STATE']);
    assert.equal(client.connected, true);
    await drive(client.close());
  });
});

describe('MpvClient: reconnect', () => {
  it('mpv crashes: pending reject E_UNAVAILABLE, requests fail fast while down; a restarted mpv is reconnected and observations made again', async () => {
    const { vt, mpv, client, drive, settle, states, warnings } = rig();
    await mpv.start();
    await drive(client.open());
    const pauses: Array<boolean | undefined> = [];
    const o = client.observeProperty('pause', (v) => pauses.push(v));
    await drive(client.command('loadfile', 'a.mp4'));
    await drive(client.setProperty('pause', false));
    await settle();
    mpv.answering = false;
    const inFlight = client.command('get_property', 'time-pos');
    inFlight.catch(() => undefined);
    await settle();
    mpv.crash();
    await assert.rejects(drive(inFlight), (err) => code('E_UNAVAILABLE')(err) && /lost before it replied/.test((err as Error).message));
    assert.equal(client.state, 'disconnected');
    assert.deepEqual(states, ['connected', 'disconnected']);
    assert.ok(warnings.some((w) => w.code === 'E_SOCKET' && /lost .*ECONNRESET.*reconnecting/.test(w.message)), warnings.join('\n'));
    const t0 = vt.micros();
    await assert.rejects(client.command('get_property', 'pause'), (err) => code('E_UNAVAILABLE')(err) && /reconnecting/.test((err as Error).message));
    assert.equal(vt.micros(), t0, 'rejected at once');
    await settle(5_000_000, 100); // backoff grows while nothing listens
    await mpv.start(); // restarted: idle and paused
    const restartedAt = vt.micros();
    await drive(new Promise<void>((r) => client.once('state', () => r())));
    assert.ok(vt.micros() - restartedAt <= 2_100_000, 'reconnected within the longest backoff');
    await settle();
    assert.deepEqual(states, ['connected', 'disconnected', 'connected']);
    assert.deepEqual(pauses, [true, false, true], 'the new mpv told the observer its value');
    assert.deepEqual(mpv.received.filter((c) => c[0] === 'observe_property'), [['observe_property', o.id, 'pause'], ['observe_property', o.id, 'pause']]);
    assert.equal(await drive(client.getProperty('idle-active')), true);
    await drive(client.close());
    assert.deepEqual(states, ['connected', 'disconnected', 'connected', 'disconnected']);
  });

  it('mpv quits politely (EOF) and comes back: reconnected too', async () => {
    const { mpv, client, drive, settle, states } = rig();
    await mpv.start();
    await drive(client.open());
    const shutdown: string[] = [];
    client.on('shutdown', () => shutdown.push('shutdown'));
    await drive(client.command('quit'));
    await settle(100_000);
    assert.deepEqual(shutdown, ['shutdown']);
    assert.equal(client.state, 'disconnected');
    await mpv.start();
    await settle(3_000_000, 100);
    assert.deepEqual(states, ['connected', 'disconnected', 'connected']);
    await drive(client.close());
  });

  it('reconnect: false — the client closes itself when mpv goes away', async () => {
    const { mpv, client, drive, settle } = rig({ reconnect: false });
    await mpv.start();
    await drive(client.open());
    let closed = false;
    client.on('close', () => (closed = true));
    mpv.crash();
    await settle(100_000);
    assert.equal(client.state, 'closed');
    assert.equal(closed, true);
  });

  it('an mpv that accepts and hangs up at once is retried with growing backoff, not in a tight loop', async () => {
    const { streams, client, drive, settle } = rig();
    let accepted = 0;
    await streams.listen({ path: PATH }, {
      onConnection: (socket) => {
        accepted++;
        void socket.end();
        return { onData: () => undefined };
      },
    });
    await drive(client.open());
    await settle(20_000_000, 2000);
    // 50 ms doubling to 2 s: about 5 in the first 1.6 s, then one each 2 s.
    assert.ok(accepted >= 8 && accepted <= 20, `${accepted} connections in 20 s`);
    await drive(client.close());
  });
});

describe('MpvClient: hostile input', () => {
  it('a huge line, invalid JSON, non-objects and malformed replies are warnings; the connection and later replies survive', async () => {
    const { streams, client, drive, settle, warnings } = rig({ maxLineLength: 64 * 1024 });
    const peer = await rawPeer(streams);
    await drive(client.open());
    await settle();
    const reply = client.command('get_property', 'pause');
    await settle();
    const id = peer.commands[0]!.request_id;
    const big = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 64; i++) peer.send(big); // 1 MiB in one line, arriving in pieces
    peer.send('\n{not json}\n[1,2]\n42\n{"event":7}\n{"request_id":"1","error":"success"}\n{"request_id":5}\n{"hello":"world"}\n');
    peer.send(`{"request_id":${id},"error":"success","data":false}\n`);
    assert.equal(await drive(reply), false);
    const messages = warnings.map((w) => w.message);
    assert.equal(messages.length, 8, messages.join('\n'));
    assert.match(messages[0]!, /longer than 65536/);
    assert.match(messages[1]!, /not JSON/);
    assert.ok(warnings.every((w) => w.code === 'E_PROTOCOL'));
    assert.equal(client.connected, true);
    assert.ok(streams.heldBytes < 256 * 1024, `${streams.heldBytes} bytes held`);
    await drive(client.close());
  });

  it('a flood of garbage and unknown ids: warnings are rate-limited, memory stays bounded, the client still works', async () => {
    const { vt, streams, client, drive, settle, warnings } = rig();
    const peer = await rawPeer(streams);
    await drive(client.open());
    await settle();
    const t0 = vt.micros();
    for (let i = 0; i < 2000; i++) {
      peer.send(`{"request_id":${100_000 + i},"error":"success"}\nnot json ${i}\n{"event":"x${i}"}\n`);
      if (i % 100 === 0) await settle(10_000, 1);
    }
    await settle(100_000);
    const seconds = Math.ceil((vt.micros() - t0) / 1e6) + 1;
    assert.ok(warnings.length <= 20 * seconds, `${warnings.length} warnings in ${seconds} s`);
    assert.ok(warnings.length >= 20);
    const ok = client.command('get_property', 'pause');
    await settle();
    peer.send(`{"request_id":${peer.commands.at(-1)!.request_id},"error":"success","data":true}\n`);
    assert.equal(await drive(ok), true);
    assert.equal(client.pendingRequests, 0);
    await drive(client.close());
  });

  it('an event listener that throws is a warning, and the rest of the chunk is still handled', async () => {
    const { streams, client, drive, settle, warnings } = rig();
    const peer = await rawPeer(streams);
    await drive(client.open());
    await settle();
    client.on('seek', () => { throw new Error('listener bug'); });
    const after: string[] = [];
    client.on('event', (e) => after.push(e.event));
    peer.send('{"event":"seek"}\n{"event":"playback-restart"}\n');
    await settle();
    assert.deepEqual(after, ['seek', 'playback-restart']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.message, /listener threw: listener bug/);
    await drive(client.close());
  });
});
