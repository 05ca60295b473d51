/**
 * Usage lines and help texts of every `phaselock` command (pure data).
 * @module
 */

export interface Help {
  /** One line, printed after a usage error. */
  line: string;
  /** The full `--help` text. */
  text: string;
}

const IFACE = '  -i, --interface NAME|ADDR  use this interface (repeatable; default: every IPv4 interface)';

export const USAGE = {
  main: {
    line: 'usage: phaselock [link|status|peers|tempo|play|stop|carabiner|clock|seq|help] [options]',
    text: `phaselock — join the Ableton Link session on this network and show or drive it.

usage:
  phaselock [link] [options]          live terminal UI (JSON lines when stdout is not a TTY)
  phaselock status [--json]           print the session's state and leave
  phaselock peers [--json]            print the number of peers and leave
  phaselock tempo <bpm>               set the session tempo
  phaselock play [--quantized]        start the transport (start/stop sync)
  phaselock stop                      stop the transport (start/stop sync)
  phaselock carabiner [--port 17000]  a drop-in for Deep Symmetry's Carabiner
  phaselock clock ...                 MIDI clock (see phaselock clock --help)
  phaselock seq ...                   sequencer (see phaselock seq --help)
  phaselock help <command>            help on one command
  phaselock --version

Exit codes: 0 success, 1 failure (e.g. no session joined within --timeout), 2 bad arguments.
See docs/cli.md for details.`,
  },
  link: {
    line: 'usage: phaselock [link] [--bpm N] [--quantum N] [--interface NAME|ADDR]... [--no-start-stop-sync] [--json]',
    text: `usage: phaselock [link] [options]

Joins the Link session and shows it live (refreshed 50 times a second).
Keys: a enable/disable, space start/stop (quantized to the next bar with peers),
      w/e tempo -/+1, W/E tempo -/+0.1, r/t quantum -/+1, s start/stop sync,
      T tap tempo, ? help, q quit (also Ctrl-C).

options:
  --bpm N                 initial tempo, 20..999 (default 120)
  --quantum N             beats per bar for phase and quantized start, 1..64 (default 4)
${IFACE}
  --no-start-stop-sync    do not follow or send start/stop (default: sync on)
  -j, --json              no UI: one JSON status line per change and every 250 ms;
                          keys are read from stdin. Automatic when stdout is not a TTY.`,
  },
  status: {
    line: 'usage: phaselock status [--json] [--quantum N] [--timeout S] [--interface NAME|ADDR]...',
    text: `usage: phaselock status [options]

Joins, listens for peers (up to --timeout, default 1 s; 250 ms more once one is found),
prints tempo, beat, phase, transport and peers, and leaves. Exit 0 even when alone.

options:
  -j, --json              one JSON object instead of text
  --quantum N             quantum for beat and phase (default 4)
  --timeout S             how long to listen for peers, seconds (default 1)
${IFACE}`,
  },
  peers: {
    line: 'usage: phaselock peers [--json] [--timeout S] [--interface NAME|ADDR]...',
    text: `usage: phaselock peers [options]

Joins, listens for peers (up to --timeout, default 1 s; 250 ms more once one is found),
prints their number and leaves. Exit 0 even when alone.

options:
  -j, --json              {"numPeers":N} instead of N
  --timeout S             how long to listen for peers, seconds (default 1)
${IFACE}`,
  },
  tempo: {
    line: 'usage: phaselock tempo <bpm> [--timeout S] [--interface NAME|ADDR]...',
    text: `usage: phaselock tempo <bpm> [options]

Joins the session, sets its tempo to <bpm> (20..999) and leaves.
Exit 1 when no session is joined within --timeout.

options:
  --timeout S             how long to look for a session, seconds (default 3)
${IFACE}`,
  },
  play: {
    line: 'usage: phaselock play [--quantized] [--quantum N] [--timeout S] [--interface NAME|ADDR]...',
    text: `usage: phaselock play [options]

Joins the session and starts its transport (peers with start/stop sync follow).
Exit 1 when no session is joined within --timeout.

options:
  --quantized             start on the next bar (beat 0 at the next multiple of --quantum)
  --quantum N             beats per bar (default 4)
  --timeout S             how long to look for a session, seconds (default 3)
${IFACE}`,
  },
  stop: {
    line: 'usage: phaselock stop [--timeout S] [--interface NAME|ADDR]...',
    text: `usage: phaselock stop [options]

Joins the session and stops its transport (peers with start/stop sync follow).
Exit 1 when no session is joined within --timeout.

options:
  --timeout S             how long to look for a session, seconds (default 3)
${IFACE}`,
  },
  carabiner: {
    line: 'usage: phaselock carabiner [--port 17000] [--host 127.0.0.1] [--bpm N] [--start-stop-sync] [--daemon] [--interface NAME|ADDR]...',
    text: `usage: phaselock carabiner [options]

Serves Deep Symmetry's Carabiner line protocol over TCP (status, bpm, beat-at-time,
phase-at-time, time-at-beat, force-beat-at-time, request-beat-at-time,
enable-start-stop-sync, disable-start-stop-sync, start-playing, stop-playing, version).
Times are CLOCK_MONOTONIC microseconds (see docs/cli.md, "Carabiner compatibility").

options:
  -p, --port N            TCP port (default 17000; 0 picks a free one)
  --host ADDR             address to bind (default 127.0.0.1: local clients only)
  --bpm N                 initial tempo (default 120)
  --start-stop-sync       start with start/stop sync on (clients can toggle it)
  --daemon                no status line
${IFACE}`,
  },
  clock: {
    line: 'usage: phaselock clock [options]',
    text: 'usage: phaselock clock [options]   (see phaselock clock --help)',
  },
  seq: {
    line: 'usage: phaselock seq [options]',
    text: 'usage: phaselock seq [options]   (see phaselock seq --help)',
  },
} satisfies Record<string, Help>;

export type Topic = keyof typeof USAGE;
