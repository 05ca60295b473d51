/**
 * `phaselock follow`: follow a DAW's MIDI clock and transport: the clock follower on an
 * RTP-MIDI endpoint or a native MIDI input, printing tempo and transport as they change; with
 * `--to-link`, publishing them into a Link session (the clock → Link bridge).
 * @module
 */
import { defineCommand } from '../spec/command-spec.ts';
import { interfaceOption, quantumOption } from '../spec/common-options.ts';
import { midiSourceProblem, parseMidiSource } from '../midi-source.ts';
import { RTPMIDI_DEFAULT_PORT } from './rtpmidi.ts';

export const followCommand = defineCommand({
  name: 'follow',
  summary: "follow a DAW's MIDI clock and transport (RTP-MIDI or a MIDI port)",
  description: `
Accepts RTP-MIDI sessions, or reads a native MIDI input port, where a DAW sends MIDI clock,
Song Position Pointer and Start/Stop/Continue, and follows them: one line per change — the tempo estimated from the clock
(with its uncertainty), start, continue, stop, the song position on a seek, armed (stopped at
the top), clock lost or back. Times are this host's clock (CLOCK_MONOTONIC µs), the sender's
timestamps mapped through the session's clock sync (a native port: the arrival time).
With --to-link it joins Link (start/stop sync on) and leads the session while the clock
arrives: the tempo (changes beyond 0.05 bpm and twice the estimate's uncertainty, at most 4
commits a second), the DAW's bar lines (Link beat = song position modulo --quantum, set on
Start, Continue and a relocation, re-aligned beyond 1 ms of drift) and start/stop; one line per
commit (link tempo, link start at beat, link stop, link align …). When the clock stops
arriving the session carries on alone at its tempo; when it comes back it leads again.
Ends on SIGINT, SIGTERM or SIGHUP (BY sent, the Link byebye, exit 0); exit 1 when the ports
cannot be opened, the MIDI port does not exist or the system has no MIDI subsystem.`,
  options: {
    from: {
      type: 'string', value: 'SOURCE', default: 'rtpmidi',
      help: `where the clock comes from: rtpmidi (accept sessions on port ${RTPMIDI_DEFAULT_PORT}), rtpmidi:PORT, or midi:PORT (a native input port: its name, part of it, or its index)`,
      check: midiSourceProblem,
    },
    name: { type: 'string', value: 'NAME', default: 'phaselock follow', help: 'the session name peers see' },
    address: { type: 'string', value: 'ADDR', default: '0.0.0.0', help: 'local address to bind' },
    noAdvertise: { type: 'boolean', help: 'do not announce the session on Bonjour' },
    print: { type: 'boolean', help: 'print the changes (the default, with --to-link too)' },
    toLink: { type: 'boolean', help: 'publish the followed tempo, bar lines and start/stop into a Link session' },
    quantum: { ...quantumOption, help: 'with --to-link: beats per bar' },
    joinWait: { type: 'number', range: [0, 10], unit: 'seconds', default: 0.6, help: 'with --to-link: listen for the session this long first' },
    interface: { ...interfaceOption, help: `with --to-link: ${interfaceOption.help}` },
    duration: { type: 'number', range: [0, 2_000_000], unit: 'seconds', help: 'stop after this long', defaultHelp: 'until Ctrl-C' },
  },
  async run({ options: o }, io) {
    const { runFollow } = await import('../follow-run.ts');
    return runFollow({
      from: parseMidiSource(o.from), name: o.name, address: o.address, advertise: !o.noAdvertise, durationSeconds: o.duration,
      toLink: o.toLink, quantum: o.quantum, interfaces: o.interface, joinWaitSeconds: o.joinWait,
    }, io);
  },
});
