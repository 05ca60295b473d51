// ShowPlayer with a cue list: more than one video, cues run as the transport crosses them, a
// seek lands in the state the list implies, pause/play/seek/set/command cues.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME, showRig } from '../../test/helpers/show-rig.ts';
import { parseCueList } from './cue-list.ts';

const near = (actual: number | undefined, expected: number, tolerance = FRAME, what = '') => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tolerance, `${what} at ${actual}, expected ${expected} ± ${tolerance}`);
};

const TWO_VIDEOS = parseCueList(`[
  { "at": "1.1", "do": "load", "file": "a.mp4" },
  { "at": "1.1", "do": "command", "command": ["show-text", "Act 1"] },
  { "at": "5.1", "do": "set", "property": "volume", "value": 50 },
  { "at": "9.1", "do": "load", "file": "b.mp4" },
  { "at": "9.3", "do": "command", "command": ["set_property", "mute", true] }
]`);

describe('ShowPlayer: cue lists', () => {
  it('two videos switching at bar 9: the cue runs on the beat, b.mp4 plays from its start', async () => {
    const { vt, daw, show, mpv, run, log } = await showRig({ player: { cues: TWO_VIDEOS } });
    const cueTimes: Array<[string, number]> = [];
    show.on('cue', (c) => cueTimes.push([`${c.do}@${c.atBeats}`, vt.micros()]));
    assert.equal(mpv.loadedFile, 'a.mp4');
    daw.start();
    const t0 = vt.micros();
    await run(15_900_000);
    assert.equal(mpv.loadedFile, 'a.mp4');
    near(mpv.positionSeconds, 15.9, FRAME / 2);
    await run(1_100_000);
    assert.equal(mpv.loadedFile, 'b.mp4');
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, 1, FRAME / 2, 'b.mp4 started at bar 9');
    const atBar9 = cueTimes.find(([c]) => c === 'load@32');
    assert.ok(atBar9 && Math.abs(atBar9[1] - t0 - 16_000_000) <= 1000, `the cue ran ${atBar9 && (atBar9[1] - t0) / 1e6} s in`);
    await run(1_000_000);
    assert.deepEqual(log.filter((l) => l.startsWith('cue')), ['cue command@0', 'cue set@16', 'cue load@32', 'cue command@34']);
  });

  it('a seek lands in the state the list implies: which file, its offset, the properties set so far', async () => {
    const { daw, mpv, client, run, show } = await showRig({ player: { cues: TWO_VIDEOS } });
    daw.songPosition(40); // bar 11: b.mp4, 8 beats in
    await run(100_000);
    assert.equal(mpv.loadedFile, 'b.mp4');
    near(mpv.positionSeconds, 4, 0.001);
    assert.equal(mpv.paused, true);
    const volume = client.getProperty('volume');
    await run(10_000);
    assert.equal(await volume, 50, 'the set cue at bar 5 applies at bar 11');
    daw.songPosition(8); // bar 3: a.mp4 at 4 s
    await run(100_000);
    assert.equal(mpv.loadedFile, 'a.mp4');
    near(mpv.positionSeconds, 4, 0.001);
    daw.continue();
    await run(2_000_000);
    assert.equal(show.state, 'playing');
    near(mpv.positionSeconds, 6, FRAME / 2);
  });

  it('command cues run when crossed, not on a seek past them; those at the top run on fire; a refused one is a warning', async () => {
    const { daw, mpv, run, warned } = await showRig({ player: { cues: TWO_VIDEOS } });
    const sent = (name: string) => mpv.received.filter((c) => c[0] === name || (c[0] === 'set_property' && c[1] === name));
    daw.songPosition(48);
    await run(100_000);
    assert.equal(sent('mute').length, 0, 'not on a seek');
    daw.songPosition(0);
    await run(100_000);
    const before = mpv.received.length;
    daw.start();
    await run(100_000);
    assert.deepEqual(mpv.received.slice(before, before + 2), [['set_property', 'pause', false], ['show-text', 'Act 1']], 'the top cue ran on fire, after the unpause');
    assert.ok(warned(/cue command show-text: .*invalid parameter/), 'FakeMpv has no show-text: a warning');
    await run(17_000_000);
    assert.deepEqual(sent('mute'), [['set_property', 'mute', true]]);
  });

  it('pause and play cues hold the media while the transport plays on; a seek cue jumps it', async () => {
    const cues = parseCueList(`{ "bpm": 120, "cues": [
      { "at": "1.1", "do": "load", "file": "a.mp4" },
      { "at": "3.1", "do": "pause" },
      { "at": "5.1", "do": "play" },
      { "at": "7.1", "do": "seek", "to": 100 }
    ] }`);
    const { daw, mpv, run } = await showRig({ player: { cues } });
    daw.start();
    await run(6_000_000); // beat 12: paused since beat 8 (4 s)
    assert.equal(mpv.paused, true);
    near(mpv.positionSeconds, 4, FRAME / 2);
    await run(4_000_000); // beat 20: playing again since beat 16
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, 6, FRAME / 2);
    await run(3_000_000); // beat 26: sought to 100 s at beat 24
    near(mpv.positionSeconds, 101, FRAME / 2);
  });

  it('mpv restarted in the second video: b.mp4 is loaded again at the transport position', async () => {
    const { daw, mpv, run, expected } = await showRig({ player: { cues: TWO_VIDEOS } });
    daw.start();
    await run(18_000_000);
    mpv.crash();
    await run(1_000_000);
    await mpv.start();
    await run(3_000_000);
    assert.equal(mpv.loadedFile, 'b.mp4');
    assert.equal(mpv.paused, false);
    near(mpv.positionSeconds, expected() - 16, FRAME / 2);
  });

  it('before the first load nothing is loaded: mpv stays idle until the cue', async () => {
    const cues = parseCueList('[{ "at": "2.1", "do": "load", "file": "late.mp4" }]');
    const { daw, mpv, run } = await showRig({ player: { cues } });
    assert.equal(mpv.loadedFile, undefined);
    daw.start();
    await run(1_900_000);
    assert.equal(mpv.loadedFile, undefined);
    await run(1_000_000);
    assert.equal(mpv.loadedFile, 'late.mp4');
    near(mpv.positionSeconds, 0.9, FRAME / 2);
  });
});
