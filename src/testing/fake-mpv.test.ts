// FakeMpv: the playback model and faults that show-control tests rely on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeJsonLine, JsonLineFramer } from '../core/line-framer.ts';
import { FakeMpv, type FakeMpvOptions } from './fake-mpv.ts';
import { FakeStreams } from './fake-streams.ts';
import { VirtualTime } from './virtual-time.ts';

async function rig(options: FakeMpvOptions = {}) {
  const vt = new VirtualTime();
  const streams = new FakeStreams(vt);
  const mpv = await new FakeMpv(vt, streams, { path: '/m.sock', durationSeconds: 10, ...options }).start();
  const lines: Array<Record<string, unknown>> = [];
  const framer = new JsonLineFramer();
  const socket = await streams.connect(mpv.address, {
    onData: (d) => { for (const f of framer.push(d)) if (f.kind === 'value') lines.push(f.value as Record<string, unknown>); },
  });
  let id = 0;
  const send = (...command: unknown[]) => {
    socket.write(encodeJsonLine({ command, request_id: ++id }));
    vt.advance(1000);
    return lines.find((l) => l.request_id === id);
  };
  vt.advance(1000);
  return { vt, mpv, lines, send, socket, streams };
}

describe('FakeMpv', () => {
  it('starts idle and paused; loads, plays at speed, seeks (absolute, relative, percent), ends the file at its duration', async () => {
    const { vt, mpv, lines, send } = await rig();
    assert.deepEqual(send('get_property', 'pause'), { request_id: 1, error: 'success', data: true });
    assert.equal(send('get_property', 'time-pos')?.error, 'property unavailable');
    assert.deepEqual(send('loadfile', 'a.mp4')?.data, { playlist_entry_id: 1 });
    assert.deepEqual(lines.filter((l) => l.event).map((l) => l.event), ['start-file', 'file-loaded', 'playback-restart']);
    send('set_property', 'speed', 2);
    send('set_property', 'pause', false);
    vt.advance(1_000_000);
    assert.ok(Math.abs(mpv.positionSeconds! - 2) < 0.01, `at ${mpv.positionSeconds}`);
    const pos = send('get_property', 'time-pos')?.data as number;
    assert.ok(Math.abs(pos - 2) <= 0.04 && Math.round(pos * 25) === pos * 25, `${pos} is a frame time`);
    send('seek', 5, 'absolute');
    send('set_property', 'pause', true);
    assert.ok(Math.abs(mpv.positionSeconds! - 5) < 0.01);
    send('seek', -1);
    assert.ok(Math.abs(mpv.positionSeconds! - 4) < 0.01);
    send('seek', 50, 'absolute-percent');
    assert.ok(Math.abs(mpv.positionSeconds! - 5) < 0.01);
    send('set_property', 'pause', false);
    vt.advance(3_000_000);
    assert.equal(mpv.positionSeconds, undefined, 'the 10 s file ended (at speed 2)');
    assert.deepEqual(lines.filter((l) => l.event === 'end-file' || l.event === 'idle').map((l) => [l.event, l.reason]), [['end-file', 'eof'], ['idle', undefined]]);
    assert.equal(send('nonsense')?.error, 'invalid parameter');
    assert.equal(send('get_property', 'nonsense')?.error, 'property not found');
  });

  it('observations: the value at once, then each change (time-pos per frame while playing)', async () => {
    const { vt, lines, send } = await rig();
    send('observe_property', 1, 'pause');
    send('observe_property', 2, 'time-pos');
    send('loadfile', 'a.mp4');
    send('set_property', 'pause', false);
    vt.advance(400_000);
    const changes = lines.filter((l) => l.event === 'property-change');
    assert.deepEqual(changes.filter((c) => c.id === 1).map((c) => c.data), [true, false]);
    const times = changes.filter((c) => c.id === 2).map((c) => c.data);
    assert.equal(times[0], undefined);
    assert.ok(times.length >= 10, `${times.length} time-pos changes`);
    send('unobserve_property', 2);
    const n = lines.length;
    vt.advance(400_000);
    assert.equal(lines.slice(n).filter((l) => l.id === 2).length, 0);
  });

  it('playbackRate (a device clock running off) and files without audio; time-pos changes as the position crosses a frame', async () => {
    const { vt, mpv, lines, send } = await rig({ playbackRate: 0.995, audio: false });
    send('observe_property', 1, 'time-pos');
    send('loadfile', 'a.mp4');
    assert.equal(send('get_property', 'audio-pts')?.error, 'property unavailable');
    send('seek', 1.013, 'absolute');
    send('set_property', 'pause', false);
    const from = lines.length;
    const start = mpv.positionSeconds!;
    // Each change is sent when the exact position reaches the frame it names.
    const lag: number[] = [];
    let seen = lines.length;
    for (let i = 0; i < 4000; i++) {
      vt.advance(1000);
      for (const l of lines.slice(seen)) if (l.id === 1) lag.push(mpv.positionSeconds! - (l.data as number));
      seen = lines.length;
    }
    assert.ok(Math.abs(mpv.positionSeconds! - (start + 4 * 0.995)) < 1e-6, `at ${mpv.positionSeconds}`);
    const changes = lines.slice(from).filter((l) => l.event === 'property-change' && l.id === 1).map((l) => l.data as number);
    assert.ok(changes.length >= 98, `${changes.length} changes`);
    assert.equal(changes[0], 1.04);
    assert.ok(changes.every((c, i) => i === 0 || Math.abs(c - changes[i - 1]! - 0.04) < 1e-9), 'frame by frame');
    assert.ok(Math.max(...lag) < 0.0011, `heard within a ms of the frame (${Math.max(...lag)})`);
  });

  it('crash() resets connections and stops listening; start() is a fresh mpv; answering = false hangs', async () => {
    const { vt, mpv, send, socket, streams } = await rig();
    send('loadfile', 'a.mp4');
    mpv.crash();
    vt.advance(1000);
    assert.equal(socket.closed, true);
    assert.equal(mpv.listening, false);
    await mpv.start();
    const again = await streams.connect(mpv.address, { onData: () => undefined });
    vt.advance(1000);
    assert.equal(mpv.connections, 1);
    assert.equal(mpv.positionSeconds, undefined);
    mpv.answering = false;
    again.write(encodeJsonLine({ command: ['get_property', 'pause'], request_id: 1 }));
    vt.advance(1000);
    assert.deepEqual(mpv.received.at(-1), ['get_property', 'pause']);
  });
});
