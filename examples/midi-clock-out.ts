// Link-synced MIDI clock: 24 ticks per beat on the Link grid, SPP + Start on the next bar,
// Stop at the end. Run: node --import tsx examples/midi-clock-out.ts --duration 5000 [--link]
import { MidiClockOut } from '../src/midi/index.ts';
import { runIfMain, setUp, sleep, type ExampleOptions, type ExampleResult } from './midi-common.ts';

export async function main(options: ExampleOptions = {}): Promise<ExampleResult> {
  const { link, output, finish } = setUp(options);
  const clock = new MidiClockOut(link, output, { quantum: 4, latencyMicros: 0 }).open();
  const startedAt = link.clock.micros();
  const downbeat = clock.start(); // next bar; beats before it are the count-in
  await sleep(Math.max(0, (options.durationMs ?? 8000) - (link.clock.micros() - startedAt) / 1000));
  clock.stop();
  await sleep(60); // Stop goes out after the ticks already scheduled
  await clock.close();
  return finish(downbeat);
}

runIfMain(import.meta.url, main);
