/**
 * Real-mpv helpers for test/show and bench/follow.ts: a headless mpv (`--vo=null --ao=null`), media made by mpv itself, a
 * probe that reads where mpv stands, and a DAW transport whose clock may run off the host's.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { hrClock } from '../../src/node/host-clock.ts';
import { spawnMpv, type MpvProcess } from '../../src/node/show/spawn-mpv.ts';
import type { MpvClient } from '../../src/show/mpv-client.ts';
import type { ShowTransport } from '../../src/show/show-transport.ts';
import { FakeShowTransport } from '../../src/testing/fake-show-transport.ts';

export const FPS = 25;
export const BPM = 120;
export const HEADLESS = ['--vo=null', '--ao=null', '--no-config', '--msg-level=all=warn'];

/**
 * `seconds` of 64×64 test picture at 25 fps with a 440 Hz tone (48 kHz), encoded by mpv (NUT,
 * MPEG-4 part 2 with a key frame a second, PCM audio) into `dir`. Throws when mpv cannot encode.
 */
export function makeMedia(dir: string, seconds: number): string {
  const file = path.join(dir, `show-${Math.ceil(seconds)}s.nut`);
  const graph = `testsrc=duration=${Math.ceil(seconds)}:size=64x64:rate=${FPS}[out0];sine=frequency=440:sample_rate=48000:duration=${Math.ceil(seconds)}[out1]`;
  execFileSync('mpv', ['--no-config', '--msg-level=all=error', `av://lavfi:${graph}`, `--o=${file}`, '--of=nut',
    '--ovc=mpeg4', `--ovcopts=g=${FPS}`, '--oac=pcm_s16le'], { stdio: 'ignore', timeout: 300_000 });
  if (!existsSync(file)) throw new Error(`mpv wrote no media at ${file} (this mpv cannot encode: mpv --o=…)`);
  return file;
}

export function startMpv(socketPath?: string): Promise<MpvProcess> {
  return spawnMpv({ ...(socketPath ? { socketPath } : {}), fullscreen: false, args: HEADLESS });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms (a throw counts as not yet); false on timeout. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const end = hrClock.micros() + timeoutMs * 1000;
  for (;;) {
    try {
      if (await cond()) return true;
    } catch {
      // not yet (mpv loading, or away)
    }
    if (hrClock.micros() > end) return false;
    await sleep(5);
  }
}

/** mpv plays (or holds, paused) `file`, not seeking. */
export async function mpvIs(probe: MpvClient, file: string, paused: boolean): Promise<boolean> {
  return (await probe.getProperty('path')) === file && (await probe.getProperty('pause')) === paused && !(await probe.getProperty('seeking'));
}

/**
 * mpv's `audio-pts` minus where `expected` says it should be (s), stamped at the midpoint of the
 * round trip; undefined while mpv has no audio position.
 */
export async function driftOf(probe: MpvClient, expected: (atMicros: number) => number): Promise<{ drift: number; rttMicros: number } | undefined> {
  const t0 = hrClock.micros();
  const pts = await probe.getProperty('audio-pts').catch(() => undefined);
  const t1 = hrClock.micros();
  return pts === undefined ? undefined : { drift: pts - expected((t0 + t1) / 2), rttMicros: t1 - t0 };
}

/**
 * A DAW (FakeShowTransport at 120 bpm) whose clock runs `rate` times as fast as the host's: it
 * says 120 bpm and plays 120 × rate. The player reads it at host times.
 */
export function dawAt(rate: number): { daw: FakeShowTransport; transport: ShowTransport; expected(atMicros: number): number } {
  const t0 = hrClock.micros();
  const toDaw = (hostMicros: number) => Math.round(t0 + (hostMicros - t0) * rate);
  const daw = new FakeShowTransport({ micros: () => toDaw(hrClock.micros()) }, { bpm: BPM });
  const transport: ShowTransport = {
    get playing() { return daw.playing; },
    get tempoBpm() { return daw.tempoBpm; },
    positionBeats: (atMicros) => daw.positionBeats(toDaw(atMicros)),
    on: daw.on.bind(daw),
    off: daw.off.bind(daw),
  };
  return { daw, transport, expected: (atMicros) => (transport.positionBeats(atMicros) * 60) / BPM };
}

export const fmtMs = (seconds: number, digits = 1) => (Number.isFinite(seconds) ? (seconds * 1000).toFixed(digits) : 'n/a');
