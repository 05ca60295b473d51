// MidiClockFollower is a ShowTransport as it is (no adapter): a type-level assignment, and a
// ShowPlayer on FakeMpv driven by a DAW's MIDI clock fed into the follower on VirtualTime.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TimerHandle } from '../core/runtime.ts';
import { MidiClockFollower } from '../midi/clock-follower.ts';
import { FakeMpv } from '../testing/fake-mpv.ts';
import { FakeStreams } from '../testing/fake-streams.ts';
import { VirtualTime } from '../testing/virtual-time.ts';
import { MpvClient } from './mpv-client.ts';
import { ShowPlayer } from './show-player.ts';
import type { ShowTransport } from './show-transport.ts';
import { virtualRunner } from '../../test/helpers/show-rig.ts';

// Compiles only while the follower fits the interface structurally (`npx tsc` checks tests too).
const fits = (f: MidiClockFollower): ShowTransport => f;

describe('MidiClockFollower as a ShowTransport', () => {
  it('SPP 0 + Start fires the show; Stop pauses; SPP elsewhere + Start does not fire (it holds)', async () => {
    const vt = new VirtualTime();
    const streams = new FakeStreams(vt);
    const mpv = await new FakeMpv(vt, streams, { path: '/run/show.sock', durationSeconds: 600 }).start();
    const client = new MpvClient({ clock: vt, timers: vt, streams }, { socket: '/run/show.sock' });
    const follower = new MidiClockFollower({ clock: vt, timers: vt }).open();
    const show = new ShowPlayer({ clock: vt, timers: vt }, fits(follower), client, { media: 'show.mp4' });
    const log: string[] = [];
    for (const e of ['fired', 'paused', 'resumed', 'seeked'] as const) show.on(e, () => log.push(e));
    const send = (...bytes: number[]) => follower.receive({ data: Uint8Array.from(bytes), timeMicros: vt.micros(), receivedAtMicros: vt.micros() });
    let ticker: TimerHandle | undefined;
    const tick = () => {
      send(0xf8);
      ticker = vt.setTimeout(tick, 20_833); // 120 bpm
    };
    const run = virtualRunner(vt);
    const opening = client.open();
    await run(10_000);
    await opening;
    show.open();
    tick(); // the DAW's clock runs while stopped too
    await run(1_000_000);
    assert.equal(show.state, 'armed');

    send(0xf2, 0, 0); // SPP 0
    send(0xfa); // Start
    await run(2_000_000);
    assert.deepEqual(log, ['seeked', 'fired']);
    assert.equal(mpv.paused, false);
    assert.ok(Math.abs((mpv.positionSeconds ?? -1) - 2) < 0.08, `2 s in at ${mpv.positionSeconds}`);

    send(0xfc); // Stop
    await run(100_000);
    assert.deepEqual(log.slice(2), ['paused']);
    assert.equal(mpv.paused, true);

    send(0xf2, 32, 0); // SPP: bar 9 (32 sixteenths = 8 beats)
    send(0xfa); // Start away from the top: not armed
    await run(1_000_000);
    assert.deepEqual(log.slice(3), ['seeked']);
    assert.equal(show.state, 'holding');
    assert.equal(mpv.paused, true);
    ticker?.cancel();
    await show.close();
    await follower.close();
    const closing = client.close();
    await run(100_000);
    await closing;
  });
});
