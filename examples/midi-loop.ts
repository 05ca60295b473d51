// A looping 4-beat pattern played for 4 bars, then stopped by the song itself.
// Run: node --import tsx examples/midi-loop.ts
import { LinkSequencer } from '../src/midi/index.ts';
import { atBeat } from '../src/sched/index.ts';
import { runIfMain, setUp, type ExampleOptions, type ExampleResult } from './midi-common.ts';

/** [beat, note, duration] of the pattern. */
export const PATTERN: Array<[number, number, number]> = [[0, 45, 0.5], [1, 52, 0.5], [1.5, 57, 0.25], [2.5, 52, 0.5], [3, 48, 0.75]];
export const BARS = 4;

export async function main(options: ExampleOptions = {}): Promise<ExampleResult> {
  const { link, output, finish } = setUp(options);
  const seq = new LinkSequencer(link, output, { loop: { lengthBeats: 4 } }).open();
  for (const [beat, note, duration] of PATTERN) seq.scheduleNote(beat, 2, note, 96, duration);
  const t0 = seq.start();
  // Stop after exactly 4 bars (song beat 16), scheduled ahead: the 5th pass never starts.
  seq.stop({ atBeat: BARS * 4 });
  await atBeat(link, BARS * 4, { signal: AbortSignal.timeout(options.durationMs ?? 60_000) }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 60));
  await seq.close();
  return finish(t0);
}

runIfMain(import.meta.url, main);
