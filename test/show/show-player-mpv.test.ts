// ShowPlayer driving a real mpv (Debian's mpv 0.35, `--vo=null --ao=null`): the arm/fire rule,
// Stop/Continue, relocation, drift correction over a minute, mpv killed and restarted.
//
// Media: 2 min of 64×64 test picture at 25 fps with a 440 Hz tone (48 kHz), encoded at test time
// by mpv itself (`--o`: NUT, MPEG-4 part 2 with a key frame a second, PCM audio) — the file has
// audio, so the player follows `audio-pts`. The DAW is a FakeShowTransport at 120 bpm; the show
// maps beats to media time at 120 bpm (`bpm: 120`): 2 beats are 1 s of media.
//
// Measuring mpv: a second MpvClient (the probe, not the player's) asks `get_property audio-pts`
// while playing, stamped at the midpoint of the round trip (uncertainty ±RTT/2, ~1 ms here; the
// largest RTT is reported). `audio-pts` runs with mpv's clock (ao=null plays in real time; the
// video is timed to it); `time-pos` steps with frames, up to one frame ahead of it. Paused, mpv
// has no `audio-pts`: `time-pos` (the frame shown) is read instead.
//
// Tolerances are video frames at the media's 25 fps (FRAME = 40 ms), from the player's rules
// (show-player.ts, drift-controller.ts, media-sync.ts), not from what happened to pass:
// - paused after a seek to a frame's time: within half a frame — the player seeks exactly
//   (`absolute+exact`) and, paused, seeks again when mpv stands more than half a frame off;
// - playing: within one frame — the drift rule keeps the media within its deadband (half a
//   frame) and corrects beyond it; one frame is the visible limit (the right picture or its
//   neighbour) and covers the few ms an unpause or a seek takes to reach mpv;
// - paused by a Stop: one frame plus the time the pause took to arrive (measured), because
//   paused `time-pos` names the frame mpv queued next (with vo=null: at or after its clock).
// Wall-clock figures (how fast mpv unpaused) are reported with t.diagnostic, never asserted;
// bench/follow.ts measures them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PhaselockError } from '../../src/core/errors.ts';
import { hrClock } from '../../src/node/host-clock.ts';
import { nodeRuntime } from '../../src/node/link/node-runtime.ts';
import { spawnMpv, type MpvProcess } from '../../src/node/show/spawn-mpv.ts';
import { MpvClient } from '../../src/show/mpv-client.ts';
import { ShowPlayer } from '../../src/show/show-player.ts';
import { BPM, dawAt, FPS, HEADLESS, makeMedia } from '../helpers/real-mpv.ts';

/** One video frame of the media (s). */
const FRAME = 1 / FPS;
const MEDIA_SECONDS = 120;

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-show-mpv-'));
let MEDIA = '';
const runtime = nodeRuntime();

before(() => {
  try {
    execFileSync('mpv', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('mpv is not installed: run .ci/run (or apt-get install mpv)');
  }
  MEDIA = makeMedia(dir, MEDIA_SECONDS);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms (a throw counts as not yet: mpv may be loading, or away). */
async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = hrClock.micros() + timeoutMs * 1000;
  let last: unknown;
  for (;;) {
    try {
      if (await cond()) return;
    } catch (err) {
      last = err;
    }
    if (hrClock.micros() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last: ${String(last)})` : ''}`);
    await sleep(10);
  }
}


interface Sample {
  /** Where mpv stands (s): `audio-pts`, or `time-pos` while paused. */
  media: number;
  /** The transport's position then, as media time (s). */
  expected: number;
  /** media − expected (s): mpv ahead is positive. */
  drift: number;
  rttMicros: number;
}

async function rig(name: string, options: { rate?: number } = {}) {
  const socketPath = path.join(dir, `${name}.sock`);
  const start = () => spawnMpv({ socketPath, fullscreen: false, args: HEADLESS });
  let mpv: MpvProcess = await start();
  const client = await new MpvClient(runtime, { socket: socketPath }).open();
  const probe = await new MpvClient(runtime, { socket: socketPath }).open();
  const { daw, transport } = dawAt(options.rate ?? 1);
  const show = new ShowPlayer(runtime, transport, client, { media: MEDIA, bpm: BPM });
  const log: string[] = [];
  const warnings: PhaselockError[] = [];
  show.on('armed', (a) => log.push(a ? 'armed' : 'disarmed'));
  for (const e of ['fired', 'paused', 'resumed', 'seeked'] as const) show.on(e, () => log.push(e));
  show.on('warning', (w) => warnings.push(w));
  /** mpv's pause as the probe observes it, with the host time each change arrived. */
  const pauses: Array<{ atMicros: number; paused: boolean | undefined }> = [];
  probe.observeProperty('pause', (paused) => pauses.push({ atMicros: hrClock.micros(), paused }));

  /** The transport's position at host time `atMicros` as media time (s). */
  const expected = (atMicros: number) => (transport.positionBeats(atMicros) * 60) / BPM;
  /** mpv's `audio-pts` (playing) or `time-pos` (paused: the frame shown; audio-pts is unavailable then) against the transport. */
  const sample = async (property: 'audio-pts' | 'time-pos' = 'audio-pts'): Promise<Sample> => {
    const t0 = hrClock.micros();
    const media = await probe.getProperty(property);
    const t1 = hrClock.micros();
    const want = expected((t0 + t1) / 2);
    return { media, expected: want, drift: media - want, rttMicros: t1 - t0 };
  };
  /** Where paused mpv stands. */
  const held = () => sample('time-pos');
  /** mpv plays our file, paused or not as asked (the player's reconciliation has got there). */
  const mpvIs = async (paused: boolean) => {
    try {
      return (await probe.getProperty('path')) === MEDIA && (await probe.getProperty('pause')) === paused && !(await probe.getProperty('seeking'));
    } catch {
      return false; // not loaded yet, or mpv is away
    }
  };
  /** mpv plays our file and reports `audio-pts` (a moment after the unpause). */
  const playing = () => waitFor(async () => (await mpvIs(false)) && (await sample(), true), 'mpv to play our file');
  /** Samples every `everyMs` for `forMs`. */
  const sampleFor = async (forMs: number, everyMs: number, each?: (s: Sample) => void) => {
    const out: Sample[] = [];
    const end = hrClock.micros() + forMs * 1000;
    while (hrClock.micros() < end) {
      const s = await sample();
      out.push(s);
      each?.(s);
      await sleep(everyMs);
    }
    return out;
  };

  show.open();
  return {
    get mpv() { return mpv; }, client, probe, daw, transport, show, log, warnings, pauses, expected, sample, held, sampleFor, mpvIs, playing,
    /** SIGKILL: no goodbye, the socket file stays behind. */
    async kill() {
      process.kill(mpv.pid, 'SIGKILL');
      await mpv.exited;
      await mpv.close();
    },
    /** A fresh mpv (idle, paused) on the same socket path. */
    async restart() {
      mpv = await start();
    },
    async [Symbol.asyncDispose]() {
      await show.close();
      await probe.close();
      await client.close();
      await mpv.close();
    },
  };
}

const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
const maxAbs = (v: readonly number[]) => Math.max(...v.map(Math.abs));
const p99Abs = (v: readonly number[]) => {
  const sorted = v.map(Math.abs).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
};
/**
 * |drift| less what the probe cannot tell apart: the transport is read at the midpoint of the
 * round trip, so mpv's reading may be from any moment within ±RTT/2 of it (on a loaded machine
 * the RTT grows; the measurement's own error must not fail the player).
 */
const bound = (s: Sample) => Math.max(0, Math.abs(s.drift) - s.rttMicros / 2e6);
const within = (s: Sample, tolerance: number, what: string) => {
  assert.ok(bound(s) <= tolerance, `${what}: mpv at ${s.media.toFixed(4)} s, the transport at ${s.expected.toFixed(4)} s (${ms(s.drift)}, probe RTT ${(s.rttMicros / 1000).toFixed(1)} ms; tolerance ${ms(tolerance)})`);
};

describe('ShowPlayer on a real mpv', () => {
  it('armed at position 0: Start fires — mpv unpauses and plays from the top with the transport', async (t) => {
    await using r = await rig('fire');
    await waitFor(() => r.mpvIs(true), 'the file loaded, paused');
    assert.equal(r.show.state, 'armed');
    const top = await r.held();
    assert.ok(Math.abs(top.media) <= FRAME / 2, `waits at the top: time-pos ${top.media}`);

    const startedAt = hrClock.micros();
    r.daw.start();
    await waitFor(() => r.pauses.some((p) => p.paused === false), 'mpv to unpause');
    const unpausedAt = r.pauses.find((p) => p.paused === false)!.atMicros;
    assert.equal(r.show.state, 'playing');
    assert.deepEqual(r.log, ['armed', 'disarmed', 'fired']);

    await r.playing();
    const samples = await r.sampleFor(2000, 100, (s) => within(s, FRAME, 'playing from the top'));
    // Every sample within a frame of the transport, which started from the top: mpv did too.
    assert.ok(samples.every((s, i) => i === 0 || s.media > samples[i - 1]!.media), 'advancing');
    assert.ok(samples.at(-1)!.media > 1.5, `played on: at ${samples.at(-1)!.media} s after 2 s`);
    t.diagnostic(`Start → pause=false observed by the probe: ${((unpausedAt - startedAt) / 1000).toFixed(1)} ms; ` +
      `|drift| over 2 s: max ${ms(maxAbs(samples.map((s) => s.drift)))}; largest probe RTT ${(Math.max(...samples.map((s) => s.rttMicros)) / 1000).toFixed(1)} ms`);
  });

  it('Stop pauses at the stopped position; Continue resumes at the transport position', async (t) => {
    await using r = await rig('stop');
    await waitFor(() => r.mpvIs(true), 'the file loaded, paused');
    r.daw.start();
    await r.playing();
    await sleep(2000);

    const stopAt = hrClock.micros();
    r.daw.stop();
    const stoppedAt = r.expected(stopAt);
    await waitFor(() => r.pauses.at(-1)?.paused === true, 'mpv to pause');
    const pauseLatency = (r.pauses.at(-1)!.atMicros - stopAt) / 1e6;
    assert.equal(r.show.state, 'stopped');
    assert.equal(r.log.at(-1), 'paused');
    // Paused, time-pos names the frame mpv queued next: with vo=null the one at or after the
    // audio clock (up to a frame ahead of it), and the clock ran on until the pause got there.
    // Where the pause landed further off (mpv lagging on a loaded machine), the player seeks to
    // the stopped position: wait for that, then check.
    const pausedBound = FRAME + pauseLatency;
    await waitFor(async () => (await r.mpvIs(true)) && bound(await r.held()) <= pausedBound, 'mpv paused at the stopped position', 5000).catch(() => undefined);
    const paused = await r.held();
    within(paused, pausedBound, 'paused at the stopped position');
    // Paused, mpv stays: once any corrective seek has landed, two readings 500 ms apart agree.
    await waitFor(async () => {
      const a = await r.held();
      await sleep(500);
      return (await r.held()).media === a.media;
    }, 'paused mpv to stand still', 5000);

    const continueAt = hrClock.micros();
    r.daw.continue();
    await r.playing();
    assert.equal(r.show.state, 'playing');
    assert.equal(r.log.at(-1), 'resumed');
    // mpv resumes from the frame it held, which may be one frame ahead of the stopped position
    // (see the pause above): up to two frames in the first half second, one after that.
    const resumed = await r.sampleFor(1500, 100, (s) => within(s, hrClock.micros() - continueAt < 500_000 ? 2 * FRAME : FRAME, 'resumed with the transport'));
    // Every sample is within a frame of the transport, which continued from the stopped position:
    // mpv resumed there (a fixed bound on the first sample's media time would measure how late
    // the probe got to it on a loaded machine).
    t.diagnostic(`stopped at ${stoppedAt.toFixed(3)} s of media: mpv paused at ${paused.media.toFixed(3)} s (${ms(paused.drift)}; the pause observed ${ms(pauseLatency)} after the Stop); ` +
      `after Continue |drift| max ${ms(maxAbs(resumed.map((s) => s.drift)))}`);
  });

  it('SPP while stopped seeks mpv to the mapped time; a Start after a seek elsewhere does not fire the show', async (t) => {
    await using r = await rig('seek');
    await waitFor(() => r.mpvIs(true), 'the file loaded, paused');
    const seekTo = async (beats: number) => {
      r.daw.songPosition(beats);
      await waitFor(async () => (await r.mpvIs(true)) && Math.abs((await r.held()).drift) <= FRAME / 2, `mpv within half a frame of beat ${beats}`, 5000);
      return r.held();
    };
    const a = await seekTo(32); // bar 9: 16 s of media
    assert.equal(a.expected, 16);
    const b = await seekTo(90); // 45 s
    assert.equal(b.expected, 45);
    assert.equal(r.show.state, 'stopped');
    assert.deepEqual(r.log, ['armed', 'disarmed', 'seeked', 'seeked']);

    r.daw.start(); // not armed: must not fire from the top
    await sleep(1000);
    assert.equal(r.show.state, 'holding');
    assert.ok(!r.log.includes('fired'));
    assert.ok(r.warnings.some((w) => /Start while stopped away from the top/.test(w.message)), r.warnings.map((w) => w.message).join('; '));
    assert.equal(await r.probe.getProperty('pause'), true, 'mpv did not start');
    const holding = (await r.held()).media;
    assert.ok(Math.abs(holding - 45) <= FRAME / 2, `nor move to the top: at ${holding} s`);

    r.daw.stop();
    r.daw.songPosition(0); // armed again: now Start fires
    await waitFor(async () => r.show.armed && (await r.mpvIs(true)) && Math.abs((await r.held()).media) <= FRAME / 2, 'armed at the top');
    r.daw.start();
    await r.playing();
    assert.equal(r.log.at(-1), 'fired');
    t.diagnostic(`SPP 32 → mpv at ${a.media.toFixed(4)} s; SPP 90 → ${b.media.toFixed(4)} s; after the unarmed Start mpv held at ${holding.toFixed(4)} s`);
  });

  it('the transport runs 0.5 % fast for 60 s: mpv stays within one frame of it (speed nudges, no seek)', async (t) => {
    await using r = await rig('drift', { rate: 1.005 });
    await waitFor(() => r.mpvIs(true), 'the file loaded, paused');
    r.daw.start();
    await r.playing();
    const samples: Array<Sample & { corrected: boolean; speed: number }> = [];
    await r.sampleFor(60_000, 200, (s) => samples.push({ ...s, corrected: r.show.driftStats.speedCorrections > 0, speed: r.show.driftStats.speed }));
    const stats = r.show.driftStats;
    // Settled: from the first speed correction on (before it the drift is still growing towards
    // the deadband, half a frame).
    const settled = samples.filter((s) => s.corrected).map((s) => s.drift);
    const settledBound = samples.filter((s) => s.corrected).map(bound);
    const all = samples.map((s) => s.drift);
    t.diagnostic(`${samples.length} samples every 200 ms; |drift| after the first correction: max ${ms(maxAbs(settled))}, p99 ${ms(p99Abs(settled))} ` +
      `(${settled.length} samples); whole run max ${ms(maxAbs(all))}; one frame ${ms(FRAME)}`);
    t.diagnostic(`player: ${stats.checks} checks, ${stats.speedCorrections} speed corrections, ${stats.seekCorrections} seeks, speed now ${stats.speed}; ` +
      `largest probe RTT ${(Math.max(...samples.map((s) => s.rttMicros)) / 1000).toFixed(1)} ms`);
    const worst = samples.reduce((w, s, i) => (Math.abs(s.drift) > Math.abs(samples[w]!.drift) ? i : w), 0);
    t.diagnostic(`around the worst sample (drift ms @ speed): ${samples.slice(Math.max(0, worst - 4), worst + 3).map((s) => `${(s.drift * 1000).toFixed(1)}@${s.speed}`).join(' ')}`);
    assert.ok(stats.speedCorrections > 0, 'a transport 0.5 % off needs correcting');
    assert.ok(settled.length > samples.length * 0.8, `corrected early: ${settled.length} of ${samples.length} samples after the first correction`);
    assert.ok(maxAbs(settledBound) < FRAME, `max |drift| ${ms(maxAbs(settled))} (less the probe's ±RTT/2: ${ms(maxAbs(settledBound))}) ≥ one frame`);
    assert.equal(stats.seekCorrections, 0, 'no visible jump');
    // Without correction mpv would be 0.5 % × 60 s = 300 ms behind by now.
    assert.ok(samples.at(-1)!.expected > 59, `the transport ran on: ${samples.at(-1)!.expected} s`);
  });

  it('mpv killed mid-show: restarted on the same socket, the player reconnects and resumes at the transport position', async (t) => {
    await using r = await rig('restart');
    await waitFor(() => r.mpvIs(true), 'the file loaded, paused');
    r.daw.start();
    await r.playing();
    await sleep(2000);
    await r.kill();
    await waitFor(() => r.warnings.some((w) => /mpv went away/.test(w.message)), 'the player to notice');
    assert.equal(r.show.state, 'playing', 'the show keeps its state');
    await sleep(1000); // the transport plays on meanwhile

    const restartedAt = hrClock.micros();
    await r.restart();
    await r.playing();
    const playingAt = hrClock.micros();
    assert.equal(r.show.state, 'playing');
    const first = await r.sample();
    assert.ok(first.expected > 3, `the transport played on (at ${first.expected} s)`);
    assert.ok(Math.abs(first.drift) < 0.25, `resumed at the transport position, not the top: ${first.media} s vs ${first.expected} s`);
    await sleep(1500); // the drift rule's first corrections (a reload and a seek cost a few ms)
    const samples = await r.sampleFor(1500, 100, (s) => within(s, FRAME, 'after the restart'));
    t.diagnostic(`restart → playing our file again: ${((playingAt - restartedAt) / 1000).toFixed(0)} ms (the client's reconnect backoff included); ` +
      `first position ${ms(first.drift)} off; after settling max ${ms(maxAbs(samples.map((s) => s.drift)))}`);
  });
});
