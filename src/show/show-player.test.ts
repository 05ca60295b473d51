// ShowPlayer on VirtualTime + FakeMpv + a FakeShowTransport (the DAW): the arm/fire rule,
// pause, seek, relocation, bad input. Drift, mpv restarts and cue lists: show-player-*.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME, showRig } from '../../test/helpers/show-rig.ts';
import { ShowPlayer } from './show-player.ts';

const near = (actual: number | undefined, expected: number, tolerance = FRAME, what = '') => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${what} at ${actual}, expected ${expected} ± ${tolerance}`);
};

describe('ShowPlayer: the arm/fire rule', () => {
  it('armed at SPP 0 while stopped; Start fires: the media plays from the top, at one command', async () => {
    const { daw, show, mpv, log, run, expected, commands } = await showRig({ daw: { positionBeats: 16 } });
    assert.equal(show.state, 'stopped');
    assert.equal(mpv.loadedFile, 'show.mp4');
    near(mpv.positionSeconds, 8, 0.001, 'opened stopped at beat 16: waits at 8 s');
    assert.equal(mpv.paused, true);
    daw.songPosition(0);
    await run(50_000);
    assert.equal(show.state, 'armed');
    assert.deepEqual(log, ['armed', 'seeked']);
    near(mpv.positionSeconds, 0, 0.001);
    const before = mpv.received.length;
    daw.start();
    await run(5_000);
    assert.deepEqual(commands(before), [['set_property', 'pause', false]], 'the media waits at the top: firing only unpauses');
    assert.deepEqual(log.slice(2), ['disarmed', 'fired']);
    assert.equal(show.state, 'playing');
    await run(3_000_000);
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, expected(), FRAME / 2, 'plays with the transport');
    near(expected(), 3, 0.01);
  });

  it('a fresh show at position 0 is armed at once; Continue at the top while armed fires too', async () => {
    const { daw, show, mpv, log, run, expected } = await showRig();
    assert.equal(show.armed, true);
    assert.deepEqual(log, ['armed']);
    daw.continue(); // Live starting from the top: SPP 0 (already there) then Continue
    await run(2_000_000);
    assert.deepEqual(log, ['armed', 'disarmed', 'fired']);
    near(mpv.positionSeconds, expected(), FRAME / 2);
  });

  it('Start while not armed (a scrub, then Start) never fires from the top: it holds; Stop then SPP 0 arms it again', async () => {
    const { daw, show, mpv, log, run, warned, expected } = await showRig();
    daw.songPosition(32); // scrub to bar 9
    await run(50_000);
    assert.equal(show.state, 'stopped');
    near(mpv.positionSeconds, 16, 0.001);
    daw.start();
    await run(2_000_000);
    assert.equal(show.state, 'holding');
    assert.ok(warned(/Start while stopped away from the top.*does not fire from the top/), 'a warning says why');
    assert.equal(mpv.paused, true, 'the media did not start');
    near(mpv.positionSeconds, 16, 0.001, 'nor move to the top');
    assert.ok(!log.includes('fired'));
    daw.stop(); // the transport stopped at beat 4 (it played 2 s from the top)
    await run(50_000);
    assert.equal(show.state, 'stopped');
    near(mpv.positionSeconds, 2, FRAME / 2, 'the stop position: the mapped time of beat 4');
    daw.songPosition(0);
    await run(50_000);
    assert.equal(show.armed, true);
    daw.start();
    await run(1_000_000);
    assert.equal(log.at(-1), 'fired');
    near(mpv.positionSeconds, expected(), FRAME / 2);
  });

  it('Start while playing (a restart mid-song) holds the media where it is; Continue then resumes at the mapped time', async () => {
    const { daw, show, mpv, log, run, warned, expected } = await showRig();
    daw.start();
    await run(4_000_000);
    daw.start();
    await run(1_000_000);
    assert.equal(show.state, 'holding');
    assert.ok(warned(/Start while playing \(a restart mid-song\)/));
    assert.equal(mpv.paused, true);
    near(mpv.positionSeconds, 4, FRAME, 'paused where it was, not at the top');
    assert.deepEqual(log.slice(-1), ['paused']);
    daw.continue();
    await run(1_000_000);
    assert.equal(show.state, 'playing');
    assert.equal(log.at(-1), 'resumed');
    near(mpv.positionSeconds, expected(), FRAME / 2);
    near(expected(), 2, 0.01);
  });
});

describe('ShowPlayer: stop, continue, seek', () => {
  it('Continue mid-song resumes at the mapped time; no fire', async () => {
    const { daw, show, mpv, log, run, expected } = await showRig();
    daw.songPosition(32);
    await run(50_000);
    daw.continue();
    await run(3_000_000);
    assert.equal(show.state, 'playing');
    assert.deepEqual(log, ['armed', 'disarmed', 'seeked', 'resumed']);
    near(mpv.positionSeconds, expected(), FRAME / 2);
    near(expected(), 19, 0.01);
  });

  it('Stop pauses at the mapped time of the stopped position; Continue resumes from there', async () => {
    const { daw, show, mpv, log, run, expected } = await showRig();
    daw.start();
    await run(5_000_000);
    daw.stop();
    await run(100_000);
    assert.equal(show.state, 'stopped');
    assert.equal(log.at(-1), 'paused');
    assert.equal(mpv.paused, true);
    near(mpv.positionSeconds, 5, FRAME / 2);
    await run(2_000_000);
    near(mpv.positionSeconds, 5, FRAME / 2, 'stays');
    daw.continue();
    await run(1_000_000);
    near(mpv.positionSeconds, expected(), FRAME / 2);
    near(expected(), 6, 0.01);
  });

  it('SPP while stopped seeks: beats → seconds at the tempo at the time', async () => {
    const { daw, mpv, run } = await showRig({ daw: { bpm: 100 } });
    daw.songPosition(50);
    await run(50_000);
    near(mpv.positionSeconds, 30, 0.001, '50 beats at 100 bpm');
    daw.setTempo(150);
    daw.songPosition(50);
    await run(50_000);
    near(mpv.positionSeconds, 20, 0.001, '50 beats at 150 bpm');
    assert.equal(mpv.paused, true);
  });

  it('with the media\'s tempo given, beats map at it and mpv plays at the transport\'s rate', async () => {
    const { daw, mpv, run, show } = await showRig({ daw: { bpm: 100 }, player: { media: 'show.mp4', bpm: 120 } });
    daw.songPosition(48);
    await run(50_000);
    near(mpv.positionSeconds, 24, 0.001, '48 beats of a 120 bpm video');
    daw.continue();
    await run(6_000_000); // 10 beats more: 5 s of the video
    near(mpv.positionSeconds, 29, FRAME / 2);
    near(mpv.speed, 100 / 120, 0.001);
    assert.equal(show.mediaBpm, 120);
  });

  it('a relocation while playing seeks and plays on', async () => {
    const { daw, show, mpv, log, run, expected } = await showRig();
    daw.start();
    await run(2_000_000);
    daw.songPosition(64);
    await run(2_000_000);
    assert.equal(show.state, 'playing');
    assert.equal(log.at(-1), 'seeked');
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, expected(), FRAME / 2);
    near(expected(), 34, 0.01);
  });

  it('a Start whose first beat is a moment away: mpv unpauses when it comes', async () => {
    const { daw, mpv, run, expected } = await showRig();
    daw.start(300_000); // a follower puts beat 0 on the next tick
    await run(200_000);
    assert.equal(mpv.paused, true, 'not yet');
    near(mpv.positionSeconds, 0, 0.001);
    await run(1_000_000);
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, expected(), 0.005, 'started on the beat');
  });
});

describe('ShowPlayer: bad input', () => {
  it('Stop while stopped: a warning, nothing sent to mpv, state kept', async () => {
    const { daw, show, run, warned, commands, mpv } = await showRig();
    const before = mpv.received.length;
    daw.stop();
    daw.stop();
    await run(100_000);
    assert.ok(warned(/Stop while stopped/));
    assert.equal(show.state, 'armed');
    assert.deepEqual(commands(before), []);
  });

  it('Continue while playing: a warning, playing on', async () => {
    const { daw, show, run, warned, mpv, expected } = await showRig();
    daw.start();
    await run(1_000_000);
    daw.continue();
    await run(1_000_000);
    assert.ok(warned(/Continue while playing/));
    assert.equal(show.state, 'playing');
    near(mpv.positionSeconds, expected(), FRAME / 2);
  });

  it('Continue without any position (a fresh transport stands at 0): fires from the top', async () => {
    const { daw, log, run } = await showRig();
    daw.continue();
    await run(100_000);
    assert.equal(log.at(-1), 'fired');
  });

  it('no tempo yet: a warning, beats mapped at the fallback; the first tempo re-latches without a jump', async () => {
    const { daw, show, run, warned, mpv, expected } = await showRig({ daw: { bpm: undefined } });
    daw.songPosition(8);
    await run(50_000);
    near(mpv.positionSeconds, 4, 0.001);
    assert.ok(!warned(/no tempo yet/), 'not while stopped: no DAW may be connected yet');
    daw.continue();
    await run(2_000_000);
    assert.ok(warned(/no tempo yet: beats map to media time at 120 bpm/), 'playing on a guessed tempo');
    near(mpv.positionSeconds, 6, FRAME / 2);
    daw.setTempo(100);
    await run(6_000_000);
    assert.equal(show.mediaBpm, 100);
    near(mpv.positionSeconds, 12, FRAME / 2, 'runs on in real time from where it was');
    assert.equal(show.driftStats.seekCorrections, 0);
    assert.ok(expected() > 12, 'not the new tempo from the top');
  });

  it('the constructor checks its options; open() after close() is E_CLOSED', async () => {
    const { daw, client, vt, show } = await showRig();
    const rt = { clock: vt, timers: vt };
    assert.throws(() => new ShowPlayer(rt, daw, client, {}), /either media .* or cues/);
    assert.throws(() => new ShowPlayer(rt, daw, client, { media: 'a', cues: { bpm: undefined, beatsPerBar: 4, cues: [] } }), TypeError);
    assert.throws(() => new ShowPlayer(rt, daw, client, { media: 'a', bpm: 0 }), RangeError);
    assert.throws(() => new ShowPlayer(rt, daw, client, { media: 'a', driftIntervalMicros: 1 }), RangeError);
    assert.throws(() => new ShowPlayer(rt, {} as never, client, { media: 'a' }), TypeError);
    await show.close();
    assert.throws(() => show.open(), (e: Error & { code?: string }) => e.code === 'E_CLOSED');
  });

  it('close() stops following: transport messages after it send nothing to mpv', async () => {
    const { daw, show, run, mpv, commands } = await showRig();
    let closed = 0;
    show.on('close', () => closed++);
    await show.close();
    await show.close();
    assert.equal(closed, 1);
    assert.equal(show.state, 'closed');
    const before = mpv.received.length;
    daw.start();
    await run(2_000_000);
    assert.deepEqual(commands(before), []);
    assert.equal(mpv.paused, true);
  });
});
