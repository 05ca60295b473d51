// Drums on channel 10 (General MIDI): kick on 1 and 3, snare on 2 and 4, closed hi-hat on
// eighths, an open hat on the last off-beat. Run: node --import tsx examples/midi-drums.ts
import { LinkSequencer } from '../src/midi/index.ts';
import { runIfMain, setUp, type ExampleOptions, type ExampleResult, playFor } from './midi-common.ts';

export const KICK = 36;
export const SNARE = 38;
export const CLOSED_HAT = 42;
export const OPEN_HAT = 46;

export async function main(options: ExampleOptions = {}): Promise<ExampleResult> {
  const { link, output, finish } = setUp(options);
  const seq = new LinkSequencer(link, output, { loop: { lengthBeats: 4 } }).open();
  for (const beat of [0, 2]) seq.scheduleNote(beat, 10, KICK, 120, 0.1);
  for (const beat of [1, 3]) seq.scheduleNote(beat, 10, SNARE, 110, 0.1);
  for (let i = 0; i < 7; i++) seq.scheduleNote(i / 2, 10, CLOSED_HAT, i % 2 ? 60 : 90, 0.05);
  seq.scheduleNote(3.5, 10, OPEN_HAT, 90, 0.25);
  return finish(await playFor(link, seq, options.durationMs ?? 8000));
}

runIfMain(import.meta.url, main);
