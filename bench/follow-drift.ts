/**
 * bench/follow.ts, part 3: video drift over minutes. Three shows at once, each a `ShowPlayer` on
 * its own real mpv, fired together from the top:
 * - "steady": the DAW's clock is the host's (120 bpm);
 * - "drifting": the DAW's clock runs 0.5 % fast (it says 120 bpm, plays 120.6) — the player
 *   corrects with speed nudges;
 * - "drifting, no correction" (`driftCorrection: false`): what plain mpv does once started —
 *   the alternative the correction is measured against.
 * Every second each probe reads `audio-pts` (stamped at the midpoint of the round trip) and
 * compares it with its transport's position as media time.
 * @module
 */
import type { Runtime } from '../src/core/runtime.ts';
import type { MpvProcess } from '../src/node/show/spawn-mpv.ts';
import { MpvClient } from '../src/show/mpv-client.ts';
import { ShowPlayer } from '../src/show/show-player.ts';
import { hrClock } from '../src/node/host-clock.ts';
import { BPM, dawAt, driftOf, mpvIs, sleep, startMpv, until } from '../test/helpers/real-mpv.ts';
import type { FakeShowTransport } from '../src/testing/fake-show-transport.ts';

export interface DriftRun {
  label: string;
  /** Per minute: |drift| samples (s). */
  minutes: number[][];
  speedCorrections: number;
  seekCorrections: number;
  missing: number;
  maxRttMicros: number;
}

interface Show {
  run: DriftRun;
  mpv: MpvProcess;
  client: MpvClient;
  probe: MpvClient;
  daw: FakeShowTransport;
  show: ShowPlayer;
  expected(atMicros: number): number;
}

async function open(runtime: Runtime, media: string, label: string, rate: number, driftCorrection: boolean): Promise<Show> {
  const mpv = await startMpv();
  const client = await new MpvClient(runtime, { socket: mpv.socketPath }).open();
  const probe = await new MpvClient(runtime, { socket: mpv.socketPath }).open();
  const { daw, transport, expected } = dawAt(rate);
  const show = new ShowPlayer(runtime, transport, client, { media, bpm: BPM, driftCorrection }).open();
  const run: DriftRun = { label, minutes: [], speedCorrections: 0, seekCorrections: 0, missing: 0, maxRttMicros: 0 };
  return { run, mpv, client, probe, daw, show, expected };
}

async function close(s: Show): Promise<void> {
  await s.show.close();
  await s.probe.close();
  await s.client.close();
  await s.mpv.close();
}

export async function videoDrift(runtime: Runtime, media: string, minutes: number, progress: (m: number) => void): Promise<DriftRun[]> {
  const shows: Show[] = [];
  try {
    shows.push(await open(runtime, media, 'steady (120 bpm)', 1, true));
    shows.push(await open(runtime, media, 'drifting +0.5 %', 1.005, true));
    shows.push(await open(runtime, media, 'drifting +0.5 %, no correction', 1.005, false));
    for (const s of shows) {
      if (!await until(() => s.show.armed && mpvIs(s.probe, media, true))) throw new Error(`${s.run.label}: mpv did not load the media`);
    }
    for (const s of shows) s.daw.start();
    for (let minute = 0; minute < minutes; minute++) {
      for (const s of shows) s.run.minutes.push([]);
      for (let second = 0; second < 60; second++) {
        await sleep(1000);
        for (const s of shows) {
          const d = await driftOf(s.probe, s.expected);
          if (!d) { s.run.missing++; continue; }
          s.run.minutes[minute]!.push(Math.abs(d.drift));
          s.run.maxRttMicros = Math.max(s.run.maxRttMicros, d.rttMicros);
        }
      }
      progress(minute + 1);
    }
    for (const s of shows) {
      s.run.speedCorrections = s.show.driftStats.speedCorrections;
      s.run.seekCorrections = s.show.driftStats.seekCorrections;
    }
    return shows.map((s) => s.run);
  } finally {
    for (const s of shows) await close(s);
  }
}

/** The speed changes `speedSteps` makes, in order (each from the one before). */
const SPEEDS = [1.02, 1, 0.98, 1, 1.05, 1, 1.01, 1];

/**
 * mpv alone (no player): how far its position moves, at a speed change, from where the new
 * speed would have it — `audio-pts` 400 ms before and after each change against the speeds
 * integrated over host time (ms, ahead positive). The drift rule's nudges are such changes.
 */
export async function speedSteps(runtime: Runtime, media: string, rounds: number): Promise<Map<string, number[]>> {
  const mpv = await startMpv();
  const probe = await new MpvClient(runtime, { socket: mpv.socketPath }).open();
  const steps = new Map<string, number[]>();
  try {
    const loaded = new Promise<void>((r) => probe.once('file-loaded', () => r()));
    await probe.command('loadfile', media);
    await loaded;
    await probe.setProperty('pause', false);
    await sleep(500);
    let speed = 1;
    let base = await probe.getProperty('audio-pts');
    let baseAt = hrClock.micros();
    const offset = async () => {
      const t0 = hrClock.micros();
      const pts = await probe.getProperty('audio-pts');
      const at = (t0 + hrClock.micros()) / 2;
      return pts - (base + ((at - baseAt) / 1e6) * speed);
    };
    for (let round = 0; round < rounds; round++) {
      for (const next of SPEEDS) {
        await sleep(400);
        const before = await offset();
        const now = hrClock.micros();
        base += ((now - baseAt) / 1e6) * speed;
        baseAt = now;
        const key = `${speed} → ${next}`;
        speed = next;
        await probe.setProperty('speed', next);
        await sleep(400);
        const after = await offset();
        steps.set(key, [...(steps.get(key) ?? []), after - before]);
      }
    }
    return steps;
  } finally {
    await probe.close();
    await mpv.close();
  }
}
