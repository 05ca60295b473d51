// A CC 74 (filter cutoff) sweep in 1/8-beat steps: up over 4 beats, down over the next 4,
// looping, under a held chord. Run: node --import tsx examples/midi-filter-sweep.ts --duration 6000
import { LinkSequencer } from '../src/midi/index.ts';
import { runIfMain, setUp, type ExampleOptions, type ExampleResult, playFor } from './midi-common.ts';

export const STEPS = 32; // 4 beats of eighth-beat steps each way

export function sweepValue(step: number): number {
  const up = step < STEPS ? step : 2 * STEPS - 1 - step;
  return Math.round((up * 127) / (STEPS - 1));
}

export async function main(options: ExampleOptions = {}): Promise<ExampleResult> {
  const { link, output, finish } = setUp(options);
  const seq = new LinkSequencer(link, output, { loop: { lengthBeats: 8 } }).open();
  for (let i = 0; i < 2 * STEPS; i++) seq.scheduleCc(i / 8, 1, 74, sweepValue(i));
  for (const note of [48, 55, 64]) seq.scheduleNote(0, 1, note, 80, 7.9);
  return finish(await playFor(link, seq, options.durationMs ?? 8000));
}

runIfMain(import.meta.url, main);
