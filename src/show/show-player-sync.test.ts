// ShowPlayer keeping mpv on the music: drift correction over a minute of virtual time, mpv
// killed and restarted mid-show, media shorter than the song, a hung mpv.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME, showRig } from '../../test/helpers/show-rig.ts';

const near = (actual: number | undefined, expected: number, tolerance = FRAME, what = '') => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${what} at ${actual}, expected ${expected} ± ${tolerance}`);
};

/** Plays 60 s with mpv's clock off by `rate`; the exact drift sampled every 100 ms. */
async function driftRun(rate: number, options: { audio?: boolean; driftCorrection?: boolean } = {}) {
  const rig = await showRig({ mpv: { playbackRate: rate, audio: options.audio ?? true }, player: { media: 'show.mp4', driftCorrection: options.driftCorrection ?? true } });
  rig.daw.start();
  await rig.run(500_000);
  const drifts: number[] = [];
  for (let i = 0; i < 600; i++) {
    await rig.run(100_000, 5000);
    drifts.push(rig.mpv.positionSeconds! - rig.expected());
  }
  return { ...rig, drifts, maxDrift: Math.max(...drifts.map(Math.abs)) };
}

describe('ShowPlayer: drift correction', () => {
  it('mpv playing 0.5 % slow (audio-pts): held within one frame over 60 s by speed nudges, no seek', async () => {
    const { drifts, maxDrift, show } = await driftRun(0.995);
    assert.ok(maxDrift < FRAME, `max drift ${(maxDrift * 1000).toFixed(1)} ms`);
    const stats = show.driftStats;
    assert.ok(stats.speedCorrections > 0, 'corrected by speed');
    assert.equal(stats.seekCorrections, 0);
    assert.ok(stats.checks > 200, `${stats.checks} checks`);
    assert.ok(Math.abs(drifts.at(-1)!) < FRAME);
    assert.ok(stats.lastDriftSeconds !== undefined && Math.abs(stats.lastDriftSeconds) < FRAME);
  });

  it('mpv playing 0.5 % fast, a file without audio (time-pos): held within one frame too', async () => {
    const { maxDrift, show, mpv } = await driftRun(1.005, { audio: false });
    assert.ok(maxDrift < FRAME, `max drift ${(maxDrift * 1000).toFixed(1)} ms`);
    assert.ok(show.driftStats.speedCorrections > 0);
    assert.ok(mpv.speed <= 1, 'slowed down (or back at 1)');
  });

  it('without correction the same clocks drift 300 ms apart in 60 s (what the correction removes)', async () => {
    const { drifts, show } = await driftRun(0.995, { driftCorrection: false });
    near(drifts.at(-1)!, -0.3, 0.01);
    assert.equal(show.driftStats.checks, 0);
  });

  it('a jump beyond 250 ms (mpv moved under us) is corrected by a seek', async () => {
    const { daw, mpv, client, run, show, expected } = await showRig();
    daw.start();
    await run(2_000_000);
    const seeking = client.command('seek', 5, 'relative'); // someone else seeks mpv
    await run(1_000_000);
    await seeking;
    assert.equal(show.driftStats.seekCorrections, 1);
    near(mpv.positionSeconds, expected(), FRAME / 2);
  });
});

describe('ShowPlayer: mpv killed and restarted', () => {
  it('mid-show: a warning, the state kept; restarted → reloads, seeks to the transport position, resumes', async () => {
    const { daw, mpv, show, run, warned, expected } = await showRig();
    daw.start();
    await run(5_000_000);
    mpv.crash();
    await run(3_000_000);
    assert.ok(warned(/mpv went away: the show keeps its state/));
    assert.equal(show.state, 'playing');
    await mpv.start(); // a fresh mpv: idle and paused
    await run(3_000_000);
    assert.equal(mpv.loadedFile, 'show.mp4');
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, expected(), FRAME / 2, 'at the transport position');
    near(expected(), 11, 0.01);
  });

  it('transport messages while mpv is dead take effect when it is back: stopped and sought', async () => {
    const { daw, mpv, show, run } = await showRig();
    daw.start();
    await run(2_000_000);
    mpv.crash();
    await run(500_000);
    daw.stop();
    daw.songPosition(40);
    await run(500_000);
    assert.equal(show.state, 'stopped');
    await mpv.start();
    await run(3_000_000);
    assert.equal(mpv.loadedFile, 'show.mp4');
    assert.equal(mpv.paused, true);
    near(mpv.positionSeconds, 20, 0.001);
    daw.songPosition(0);
    daw.start();
    await run(1_000_000);
    assert.equal(show.state, 'playing');
    near(mpv.positionSeconds, 1, FRAME / 2);
  });

  it('an mpv that never comes back: warnings, never a throw; the show state follows the transport', async () => {
    const { daw, mpv, show, run, log } = await showRig();
    mpv.crash();
    await run(100_000);
    daw.start();
    await run(1_000_000);
    daw.stop();
    await run(1_000_000);
    assert.deepEqual(log, ['armed', 'disarmed', 'fired', 'paused']);
    assert.equal(show.state, 'stopped');
  });

  it('a hung mpv (no replies): timeouts are warnings; once it answers again the show catches up', async () => {
    const { daw, mpv, show, run, warnings, expected } = await showRig();
    mpv.answering = false;
    daw.start();
    await run(6_000_000);
    assert.ok(warnings.some((w) => w.code === 'E_TIMEOUT'), warnings.map((w) => w.message).join('; '));
    assert.equal(show.state, 'playing');
    mpv.answering = true;
    await run(8_000_000); // the request sent last, into the void, times out first (5 s)
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, expected(), FRAME / 2);
  });
});

describe('ShowPlayer: media shorter than the song', () => {
  it('the file ends (eof): not reloaded in a loop; a seek back into it loads it again', async () => {
    const { daw, mpv, run, commands } = await showRig({ mpv: { durationSeconds: 10 } });
    daw.start();
    await run(20_000_000);
    assert.equal(mpv.loadedFile, undefined, 'ended');
    assert.equal(commands().filter((c) => c[0] === 'loadfile').length, 1);
    daw.stop();
    daw.songPosition(8);
    await run(500_000);
    assert.equal(mpv.loadedFile, 'show.mp4');
    near(mpv.positionSeconds, 4, 0.001);
  });
});
