/**
 * `phaselock follow` at run time (L3): an RTP-MIDI endpoint whose sessions feed one
 * `MidiClockFollower`; its changes printed as lines.
 * @module
 */
import { MidiClockFollower } from '../midi/clock-follower.ts';
import { nodeRuntime } from '../node/link/node-runtime.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { runUntil } from './midi-session.ts';
import { openMidiSource, type MidiSource, type MidiSourceSpec } from './midi-source.ts';

export interface FollowConfig {
  from: MidiSourceSpec;
  name: string;
  address: string;
  advertise: boolean;
  durationSeconds: number | undefined;
}

const beats = (b: number) => b.toFixed(2);

/** Runs `phaselock follow`; resolves to the exit code. */
export async function runFollow(cfg: FollowConfig, io: CommandIo): Promise<number> {
  const runtime = nodeRuntime();
  const follower = new MidiClockFollower({ clock: runtime.clock, timers: runtime.timers, ...(runtime.preciseTimers ? { preciseTimers: runtime.preciseTimers } : {}) }).open();
  const line = (t: number, what: string) => io.out(`${Math.round(t)} ${what}`);
  follower.on('tempo', (bpm) => line(runtime.clock.micros(), `tempo ${bpm.toFixed(2)} bpm${follower.uncertaintyBpm === undefined ? "" : ` ±${follower.uncertaintyBpm.toFixed(2)}`}`));
  follower.on('start', (e) => line(e.timeMicros, `start${e.wasArmed ? ' (armed: from the top)' : ''}`));
  follower.on('continue', (e) => line(e.timeMicros, `continue at beat ${beats(e.positionBeats)}`));
  follower.on('stop', (e) => line(e.timeMicros, `stop at beat ${beats(e.positionBeats)}`));
  follower.on('position', (b, t) => line(t, `position ${beats(b)}`));
  follower.on('armed', (armed, t) => line(t, armed ? 'armed' : 'disarmed'));
  follower.on('clockpresent', (present, t) => line(t, present ? 'clock' : 'clock lost'));
  follower.on('warning', (w) => io.err(`phaselock follow: warning: ${w.message}`));
  let source: MidiSource;
  try {
    source = await openMidiSource(cfg.from, {
      runtime, name: cfg.name, address: cfg.address, advertise: cfg.advertise, command: 'phaselock follow', io,
      onInput: (input) => follower.attach(input),
      onInputGone: (input) => follower.detach(input),
    });
  } catch (e) {
    io.err(`phaselock follow: ${(e as Error).message}`);
    await follower.close();
    return 1;
  }
  io.err(`following MIDI clock from ${source.description}`);
  try {
    await runUntil(cfg.durationSeconds, io.signal);
  } finally {
    await follower.close();
    await source.close();
  }
  return 0;
}
