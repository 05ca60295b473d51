/**
 * `phaselock carabiner`: a drop-in for Deep Symmetry's Carabiner.
 * @module
 */
import { defineCommand } from '../spec/command-spec.ts';
import { bpmOption, interfaceOption } from '../spec/common-options.ts';

export const carabinerCommand = defineCommand({
  name: 'carabiner',
  summary: "a drop-in for Deep Symmetry's Carabiner",
  description: `
Serves Deep Symmetry's Carabiner line protocol over TCP (status, bpm, beat-at-time,
phase-at-time, time-at-beat, force-beat-at-time, request-beat-at-time,
enable-start-stop-sync, disable-start-stop-sync, start-playing, stop-playing, version)
until SIGINT, SIGTERM, SIGHUP or the death of the parent process (exit 0; a second
signal forces the exit). Exit 1 when the port cannot be opened.
Times are CLOCK_MONOTONIC microseconds
(see docs/cli.md, "Carabiner compatibility").`,
  options: {
    port: { type: 'number', short: 'p', range: [0, 65535], integer: true, default: 17000, help: 'TCP port; 0 picks a free one' },
    host: { type: 'string', value: 'ADDR', default: '127.0.0.1', help: 'address to bind; 127.0.0.1 lets only local clients in' },
    bpm: bpmOption('initial tempo', 120),
    startStopSync: { type: 'boolean', help: 'start with start/stop sync on (clients can toggle it)' },
    daemon: { type: 'boolean', help: 'no status line' },
    interface: interfaceOption,
  },
  async run({ options: o }, io) {
    const { runCarabiner } = await import('../carabiner-command.ts');
    return runCarabiner({
      port: o.port, host: o.host, bpm: o.bpm, startStopSync: o.startStopSync, daemon: o.daemon, interfaces: o.interface,
    }, io);
  },
});
