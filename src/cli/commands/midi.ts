/**
 * The MIDI family: `clock` (a Link-synced MIDI clock) and `seq` (a Standard MIDI File on the
 * Link timeline), which take the same output, timing and Link options, and `midi ports` (the
 * MIDI ports `--to` can name).
 * @module
 */
import { defineCommand, type OptionValues } from '../spec/command-spec.ts';
import { BPM_RANGE, interfaceOption, quantumOption } from '../spec/common-options.ts';
import type { MidiRunConfig } from '../midi-session.ts';
import { hostPortProblem } from './rtpmidi.ts';

/** Longest `--duration`: what a Node timer can wait (2^31 - 1 ms, about 24.8 days), rounded down. */
export const MAX_DURATION_S = 2_000_000;

const midiOptions = {
  to: {
    type: 'string', value: 'OUTPUT', required: true,
    help: 'where MIDI goes: record:FILE writes timestamped bytes as JSON lines, console prints them, a MIDI port name or index (or native:NAME) plays them (phaselock midi ports lists them), virtual:NAME opens a virtual port others connect to, rtpmidi accepts RTP-MIDI sessions on port 5004 and rtpmidi:HOST:PORT invites one',
    check: (v: string) => (['record:', 'native:', 'virtual:', 'rtpmidi:'].includes(v) ? `needs a name after '${v}'`
      : v.startsWith('rtpmidi:') ? hostPortProblem(v.slice('rtpmidi:'.length)) : undefined),
  },
  bpm: { type: 'number', range: BPM_RANGE, unit: 'bpm', help: 'tempo', defaultHelp: "the session's; 120 for a new session" },
  quantum: quantumOption,
  latency: { type: 'number', range: [-1000, 1000], unit: 'ms', default: 0, help: 'send this much earlier; negative: later' },
  duration: { type: 'number', range: [0, MAX_DURATION_S], unit: 'seconds', help: 'stop after this long', defaultHelp: 'until Ctrl-C' },
  joinWait: { type: 'number', range: [0, 10], unit: 'seconds', default: 0.6, help: 'how long to listen for the session before starting' },
  mainThread: { type: 'boolean', help: 'call a native port from the main thread, not from a timing thread' },
  showClock: { type: 'boolean', help: 'with --to console, print clock ticks too' },
  noLink: { type: 'boolean', help: 'stay offline (a session of one)' },
  interface: interfaceOption,
} as const;

function midiConfig(o: OptionValues<typeof midiOptions>): MidiRunConfig {
  return {
    to: o.to, bpm: o.bpm, quantum: o.quantum, latencyMs: o.latency, durationSeconds: o.duration, joinWaitSeconds: o.joinWait,
    mainThread: o.mainThread, showClock: o.showClock, link: !o.noLink, interfaces: o.interface,
  };
}

export const clockCommand = defineCommand({
  name: 'clock',
  summary: 'a Link-synced MIDI clock',
  description: `
Sends MIDI clock (24 ticks per beat) locked to the Link session, with Song Position Pointer,
Start, Stop and Continue; follows the session's start/stop both ways. With peers it starts on
the session's next bar; alone (--no-link, or nobody joined within --join-wait) it starts now.
Ends after --duration or on SIGINT, SIGTERM or SIGHUP (also during the join wait) with Stop
sent and the Link byebye (exit 0; a second signal forces the exit, 128 + its number); exit 1
when the output cannot be opened or written.`,
  options: {
    ...midiOptions,
    clockWhileStopped: { type: 'boolean', help: 'keep ticking while the transport is stopped' },
    noStart: { type: 'boolean', help: "do not start the transport; follow the session's" },
  },
  async run({ options: o }, io) {
    const { runClock } = await import('../clock.ts');
    return runClock({ ...midiConfig(o), clockWhileStopped: o.clockWhileStopped, start: !o.noStart }, io);
  },
});

export const seqCommand = defineCommand({
  name: 'seq',
  summary: 'play a MIDI file on the Link timeline',
  description: `
Plays a Standard MIDI File on the Link timeline: with peers it starts on the session's next
bar, alone at once. A stop — the song's end, or a peer's stop, even with --loop — ends it with
note-offs for the sounding notes. The Link tempo replaces the file's tempo map (alone, the session takes the file's first
tempo unless --bpm is given).
Ends with the song, after --duration or on SIGINT, SIGTERM or SIGHUP (also during the join
wait) with note-offs sent and the Link byebye (exit 0; a second signal forces the exit);
exit 1 when the file cannot be read or the output cannot be opened or written.`,
  positionals: [{ name: 'file', value: 'FILE.mid', type: 'string', help: 'the Standard MIDI File to play' }],
  options: {
    ...midiOptions,
    bpm: { ...midiOptions.bpm, defaultHelp: "the session's; the file's first tempo for a new session" },
    loop: { type: 'boolean', help: 'loop the song (length rounded up to whole bars)' },
  },
  async run({ options: o, args }, io) {
    const { runSeq } = await import('../seq.ts');
    return runSeq({ ...midiConfig(o), file: args.file, loop: o.loop }, io);
  },
});

export const midiCommand = defineCommand({
  name: 'midi',
  summary: 'list the MIDI ports --to and --from midi: can name',
  description: `
phaselock midi ports lists the MIDI output ports by index and name, as --to takes them, and the
input ports, as follow and show take them (--from midi:NAME or midi:INDEX); native MIDI through
the optional dependency @julusian/midi. Exit 1 when there is no MIDI subsystem (on Linux the
ALSA sequencer, /dev/snd/seq; containers usually have none) or @julusian/midi is not installed.`,
  positionals: [{
    name: 'what', value: 'ports', type: 'string', choices: () => ['ports'],
    help: 'what to list',
  }],
  options: {
    json: { type: 'boolean', short: 'j', help: 'print {"outputs":[{"index":0,"name":"…"}],"inputs":[…]}' },
  },
  async run({ options: o }, io) {
    const [{ listNativeMidiOutputs }, { listNativeMidiInputs }] = await Promise.all([
      import('../../node/midi/native-midi.ts'), import('../../node/midi/native-midi-input.ts'),
    ]);
    let names: string[];
    let inputs: string[];
    try {
      names = await listNativeMidiOutputs();
      inputs = await listNativeMidiInputs();
    } catch (e) {
      io.err(`phaselock midi ports: ${(e as Error).message}`);
      return 1;
    }
    if (o.json) {
      io.out(JSON.stringify({ outputs: names.map((name, index) => ({ index, name })), inputs: inputs.map((name, index) => ({ index, name })) }));
      return 0;
    }
    io.out(names.length > 0 ? `MIDI outputs (--to INDEX or NAME):\n${names.map((n, i) => `  ${i}  ${n}`).join('\n')}` : 'MIDI outputs: none (--to virtual:NAME makes one)');
    io.out(inputs.length > 0 ? `MIDI inputs (--from midi:INDEX or midi:NAME):\n${inputs.map((n, i) => `  ${i}  ${n}`).join('\n')}` : 'MIDI inputs: none');
    return 0;
  },
});
