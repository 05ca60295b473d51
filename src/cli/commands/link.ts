/**
 * `phaselock [link]`: the live view (the command that runs when none is named).
 * @module
 */
import { defineCommand } from '../spec/command-spec.ts';
import { bpmOption, interfaceOption, quantumOption } from '../spec/common-options.ts';

export const linkCommand = defineCommand({
  name: 'link',
  isDefault: true,
  summary: 'live view (JSON lines when stdout is not a TTY)',
  description: `
Joins the Link session and shows it live (refreshed 50 times a second).
Keys: a enable/disable, space start/stop (quantized to the next bar with peers;
      from an unknown transport: start), w/e tempo -/+1, W/E tempo -/+0.1,
      r/t quantum -/+1, s start/stop sync, T tap tempo, ? help, q quit (also Ctrl-C).
Keys typed before the session is joined wait for it (1.25 s at most), so that
printf eq | phaselock --json raises the session's tempo by 1, then quits.
q, Ctrl-C, SIGINT, SIGTERM, SIGHUP and the death of the parent process end it with
exit 0, terminal restored, byebye sent; a second signal forces the exit (128 + n).`,
  options: {
    bpm: bpmOption('initial tempo; a session you join keeps its own', 120),
    quantum: quantumOption,
    interface: interfaceOption,
    noStartStopSync: { type: 'boolean', help: 'do not follow or send start/stop (default: sync on)' },
    json: {
      type: 'boolean', short: 'j',
      help: 'no UI: one JSON status line per change and every 250 ms; keys are read from stdin. Automatic when stdout is not a TTY.',
    },
  },
  async run({ options: o }, io) {
    const { runLive } = await import('../live.ts');
    return runLive({ bpm: o.bpm, quantum: o.quantum, interfaces: o.interface, startStopSync: !o.noStartStopSync, json: o.json ? true : undefined }, io);
  },
});
