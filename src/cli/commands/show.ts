/**
 * `phaselock show`: play a show's media in mpv from a DAW's transport — its MIDI clock over
 * RTP-MIDI or a MIDI port (`--from`), or a Link session's start/stop (`--link`). The
 * implementation is src/cli/show-run.ts; the concepts are docs/show.md.
 * @module
 */
import { defineCommand } from '../spec/command-spec.ts';
import { interfaceOption, quantumOption } from '../spec/common-options.ts';
import { usageLine } from '../spec/help.ts';
import { UsageError } from '../spec/parse.ts';
import { midiSourceProblem, parseMidiSource } from '../midi-source.ts';
import { MAX_DURATION_S } from './midi.ts';
import { RTPMIDI_DEFAULT_PORT } from './rtpmidi.ts';

export const showCommand = defineCommand({
  name: 'show',
  summary: "stage video in mpv from a DAW's transport or Link",
  description: `
Plays a media file, or a cue list (.json or .yaml: files, seeks, pauses, mpv properties and commands at
bar positions; docs/show.md), in mpv, following a DAW's transport: --from takes its MIDI clock,
Song Position Pointer and Start/Stop/Continue over RTP-MIDI or a MIDI input port; --link
follows a Link session's start/stop (the show starts from the top on the session's next bar,
and rewinds on stop). The show arms when the transport stands stopped at the top; a Start while
armed fires it from the top, a Start elsewhere does not; Continue resumes, Stop pauses, a song
position while stopped seeks; drift is corrected with small speed changes or a seek.
Starts mpv (fullscreen; --mpv-arg passes flags on, e.g. --mpv-arg=--screen=1) with its IPC
socket at --mpv-socket, or attaches to the mpv already listening there; an mpv we started is
started again if it dies, and ended on exit. One line per show event on stdout (host time in
µs first): armed, fired (then the latency from the Start to mpv playing), paused, resumed,
seek, cue, drift corrections, mpv lost/back. Ends on SIGINT, SIGTERM or SIGHUP (exit 0); exit 1
when the media or cue list is bad (every problem listed), mpv cannot start, or the MIDI ports
cannot be opened.`,
  positionals: [{ name: 'show', value: 'MEDIA|CUES', type: 'string', help: 'a media file (or URL) played from the top, or a cue list (.json, .yaml, .yml)' }],
  options: {
    from: {
      type: 'string', value: 'SOURCE',
      help: `follow a MIDI clock: rtpmidi (accept sessions on port ${RTPMIDI_DEFAULT_PORT}), rtpmidi:PORT, or midi:PORT (a native input port: its name, part of it, or its index)`,
      check: midiSourceProblem,
    },
    link: { type: 'boolean', help: "follow a Link session's start/stop instead (start/stop sync on)" },
    mpvSocket: { type: 'string', value: 'PATH', help: "mpv's IPC socket: attach to the mpv listening there, else start one there", defaultHelp: 'start mpv on a private socket' },
    mpvArg: { type: 'string', value: 'ARG', multiple: true, help: 'one more argument for the mpv we start (write --mpv-arg=--vo=null for one that starts with a dash)' },
    quantum: { ...quantumOption, help: 'with --link: beats per bar (the show starts on a bar)' },
    name: { type: 'string', value: 'NAME', default: 'phaselock show', help: 'the RTP-MIDI session name peers see' },
    address: { type: 'string', value: 'ADDR', default: '0.0.0.0', help: 'local address to bind (RTP-MIDI)' },
    noAdvertise: { type: 'boolean', help: 'do not announce the RTP-MIDI session on Bonjour' },
    interface: interfaceOption,
    duration: { type: 'number', range: [0, MAX_DURATION_S], unit: 'seconds', help: 'stop after this long', defaultHelp: 'until Ctrl-C' },
    print: { type: 'boolean', help: 'print the show events (the default)' },
  },
  async run({ options: o, args }, io) {
    if ((o.from === undefined) === !o.link) {
      throw new UsageError(o.link ? 'give --from SOURCE or --link, not both' : 'needs --from SOURCE (a MIDI clock) or --link (a Link session)', usageLine(showCommand));
    }
    const { runShow } = await import('../show-run.ts');
    return runShow({
      show: args.show,
      follow: o.from !== undefined ? { kind: 'midi', from: parseMidiSource(o.from) } : { kind: 'link', quantum: o.quantum, interfaces: o.interface },
      mpvSocket: o.mpvSocket,
      mpvArgs: o.mpvArg ?? [],
      name: o.name,
      address: o.address,
      advertise: !o.noAdvertise,
      durationSeconds: o.duration,
    }, io);
  },
});
