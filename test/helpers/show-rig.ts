// The rig of the ShowPlayer tests: VirtualTime, FakeStreams, FakeMpv, an MpvClient, a
// FakeShowTransport (the DAW), a player, and a log of what the player said. No sockets, no
// sleeping: `run(µs)` lets promises settle between 1 ms steps of virtual time.
import type { PhaselockError } from '../../src/core/errors.ts';
import { FakeMpv, type FakeMpvOptions } from '../../src/testing/fake-mpv.ts';
import { FakeShowTransport, type FakeShowTransportOptions } from '../../src/testing/fake-show-transport.ts';
import { FakeStreams } from '../../src/testing/fake-streams.ts';
import { VirtualTime } from '../../src/testing/virtual-time.ts';
import { MpvClient } from '../../src/show/mpv-client.ts';
import { ShowPlayer, type ShowPlayerOptions } from '../../src/show/show-player.ts';

export const PATH = '/run/test/show.sock';
/** One video frame of FakeMpv (25 fps), s. */
export const FRAME = 0.04;

export interface RigOptions {
  player?: ShowPlayerOptions;
  mpv?: FakeMpvOptions;
  daw?: FakeShowTransportOptions;
  /** Open the player (default true). */
  open?: boolean;
}

/** `run(µs, step)`: virtual time runs `micros` in `step` steps (default 1 ms), promises settling between. */
export function virtualRunner(vt: VirtualTime): (micros: number, step?: number) => Promise<void> {
  const flush = () => new Promise<void>((r) => setImmediate(r));
  return async (micros, step = 1000) => {
    const end = vt.micros() + micros;
    while (vt.micros() < end) {
      await flush();
      vt.advance(Math.min(step, end - vt.micros()));
    }
    await flush();
  };
}

export async function showRig(options: RigOptions = {}) {
  const vt = new VirtualTime();
  const streams = new FakeStreams(vt);
  const mpv = await new FakeMpv(vt, streams, { path: PATH, durationSeconds: 600, ...options.mpv }).start();
  const client = new MpvClient({ clock: vt, timers: vt, streams }, { socket: PATH });
  const daw = new FakeShowTransport(vt, options.daw);
  const show = new ShowPlayer({ clock: vt, timers: vt }, daw, client, options.player ?? { media: 'show.mp4' });
  const log: string[] = [];
  const warnings: PhaselockError[] = [];
  show.on('armed', (a) => log.push(a ? 'armed' : 'disarmed'));
  for (const e of ['fired', 'paused', 'resumed', 'seeked'] as const) show.on(e, () => log.push(e));
  show.on('cue', (c) => log.push(`cue ${c.do}@${c.atBeats}`));
  show.on('warning', (w) => warnings.push(w));
  const run = virtualRunner(vt);
  const opening = client.open();
  await run(10_000);
  await opening;
  if (options.open ?? true) {
    show.open();
    await run(100_000);
  }
  /** The media time the transport's position maps to now (one file from the top at `bpm`). */
  const expected = (bpm = daw.tempoBpm ?? 120) => (daw.positionBeats(vt.micros()) * 60) / bpm;
  /** Commands mpv received from index `from` on, observations left out. */
  const commands = (from = 0) => mpv.received.slice(from).filter((c) => !String(c[0]).includes('observe'));
  const warned = (re: RegExp) => warnings.some((w) => re.test(w.message));
  return { vt, streams, mpv, client, daw, show, log, warnings, warned, run, expected, commands };
}
