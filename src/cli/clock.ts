/**
 * `phaselock clock --to <output>`: a Link-synced MIDI clock (composition root, L3).
 * Wired by `src/cli/main.ts` through `runClockCommand(args)`.
 * @module
 */
import { MidiClockOut } from '../midi/clock-out.ts';
import { commandOutput, commonMidiOptions, parseCommandArgs, runUntil, withTargetAndLink, type CommandIo } from './seq.ts';

export const CLOCK_HELP = `usage: phaselock clock --to OUTPUT [options]

Sends MIDI clock (24 ticks per beat) locked to the Link session, with Song Position Pointer,
Start on the next bar, Stop and Continue; follows the session's start/stop both ways.

${commonMidiOptions}
  --clock-while-stopped   keep ticking while the transport is stopped
  --no-start              do not start the transport; follow the session's
`;

/** `phaselock clock …`: resolves to the exit code (0 ok, 1 failure, 2 usage). */
export async function runClockCommand(args: readonly string[], io: CommandIo = {}): Promise<number> {
  const { out, err } = commandOutput(io);
  const a = parseCommandArgs('clock', CLOCK_HELP, args, { flags: ['--clock-while-stopped', '--no-start'], positional: 0 }, { out, err });
  if (typeof a === 'number') return a;
  return withTargetAndLink('clock', a, a.bpm ?? 120, { out, err }, async (link, target) => {
    const clock = new MidiClockOut(link, target.output, {
      quantum: a.quantum,
      latencyMicros: a.latencyMs * 1000,
      clockWhileStopped: a.flags.has('--clock-while-stopped'),
      ...(target.preciseTimers ? { preciseTimers: target.preciseTimers } : {}),
    }).open();
    const ms = (t: number) => `${((t - link.clock.micros()) / 1000).toFixed(1)} ms`;
    clock.on('start', (t) => out(`start (in ${ms(t)})`));
    clock.on('continue', (t, p) => out(`continue at song position ${p / 4} beats (in ${ms(t)})`));
    clock.on('stop', () => out('stop'));
    clock.on('warning', (w) => err(`warning: ${w.message}`));
    out(`MIDI clock to ${target.description}; ${link.captureAppSessionState().tempo.toFixed(2)} bpm, ${link.numPeers} peer(s)`);
    if (!a.flags.has('--no-start')) clock.start();
    await runUntil(a.durationMs, io.signal);
    clock.stop();
    await clock.close(); // Stop sent and delivered
    return 0;
  });
}
