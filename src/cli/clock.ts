/**
 * `phaselock clock --to <output>`: a Link-synced MIDI clock (composition root, L3). Its options
 * are defined in src/cli/commands/midi.ts.
 * @module
 */
import { MidiClockOut } from '../midi/clock-out.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { runUntil, withTargetAndLink, type MidiRunConfig } from './midi-session.ts';

export interface ClockRunConfig extends MidiRunConfig {
  clockWhileStopped: boolean;
  /** false: do not start the transport, follow the session's. */
  start: boolean;
}

/** Runs `phaselock clock`; resolves to the exit code (0 ok, 1 failure). */
export async function runClock(cfg: ClockRunConfig, io: CommandIo): Promise<number> {
  const { out, err } = io;
  return withTargetAndLink('clock', cfg, cfg.bpm ?? 120, io, async (link, target) => {
    const clock = new MidiClockOut(link, target.output, {
      quantum: cfg.quantum,
      latencyMicros: cfg.latencyMs * 1000,
      clockWhileStopped: cfg.clockWhileStopped,
      ...(target.preciseTimers ? { preciseTimers: target.preciseTimers } : {}),
    }).open();
    const ms = (t: number) => `${((t - link.clock.micros()) / 1000).toFixed(1)} ms`;
    clock.on('start', (t) => out(`start (in ${ms(t)})`));
    clock.on('continue', (t, p) => out(`continue at song position ${p / 4} beats (in ${ms(t)})`));
    clock.on('stop', () => out('stop'));
    clock.on('warning', (w) => err(`warning: ${w.message}`));
    out(`MIDI clock to ${target.description}; ${link.captureAppSessionState().tempo.toFixed(2)} bpm, ${link.numPeers} peer(s)`);
    if (cfg.start) clock.start();
    await runUntil(cfg.durationSeconds, io.signal);
    clock.stop();
    await clock.close(); // Stop sent and delivered
    return 0;
  });
}
