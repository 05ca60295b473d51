// A C-major arpeggio, one note per beat (C4 E4 G4 C5), looping every bar on channel 1.
// Run: node --import tsx examples/midi-arpeggio.ts --duration 6000
import { LinkSequencer } from '../src/midi/index.ts';
import { runIfMain, setUp, type ExampleOptions, type ExampleResult, playFor } from './midi-common.ts';

export const NOTES = [60, 64, 67, 72];

export async function main(options: ExampleOptions = {}): Promise<ExampleResult> {
  const { link, output, finish } = setUp(options);
  const seq = new LinkSequencer(link, output, { loop: { lengthBeats: 4 } }).open();
  NOTES.forEach((note, beat) => seq.scheduleNote(beat, 1, note, 100, 0.9));
  return finish(await playFor(link, seq, options.durationMs ?? 8000));
}

runIfMain(import.meta.url, main);
