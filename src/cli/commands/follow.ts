/**
 * `phaselock follow`: follow a DAW's MIDI clock and transport (issue 14, first part): the
 * clock follower on an RTP-MIDI endpoint, printing tempo and transport as they change. The
 * clock → Link bridge (`--to-link`) and native MIDI inputs come next.
 * @module
 */
import { defineCommand } from '../spec/command-spec.ts';
import { RTPMIDI_DEFAULT_PORT } from './rtpmidi.ts';

/** `--from`: `rtpmidi` or `rtpmidi:PORT`; what is wrong, or undefined. Pure. */
export function followSourceProblem(v: string): string | undefined {
  if (v === 'rtpmidi') return undefined;
  const m = /^rtpmidi:(\d+)$/.exec(v);
  if (m) return Number(m[1]) >= 1 && Number(m[1]) <= 65534 ? undefined : `rtpmidi:PORT needs a port in [1, 65534]; got ${m[1]}`;
  if (v.startsWith('midi:')) return "native MIDI inputs are not supported yet: use 'rtpmidi' (network MIDI)";
  return `must be rtpmidi or rtpmidi:PORT; got '${v}'`;
}

export const followCommand = defineCommand({
  name: 'follow',
  summary: "follow a DAW's MIDI clock and transport (RTP-MIDI)",
  description: `
Accepts RTP-MIDI sessions (a DAW sending MIDI clock, Song Position Pointer and
Start/Stop/Continue) and follows them: one line per change — the tempo estimated from the clock
(with its uncertainty), start, continue, stop, the song position on a seek, armed (stopped at
the top), clock lost or back. Times are this host's clock (CLOCK_MONOTONIC µs), the sender's
timestamps mapped through the session's clock sync. Ends on SIGINT, SIGTERM or SIGHUP (BY sent,
exit 0); exit 1 when the port cannot be opened.`,
  options: {
    from: {
      type: 'string', value: 'SOURCE', default: 'rtpmidi',
      help: `where the clock comes from: rtpmidi (accept sessions on port ${RTPMIDI_DEFAULT_PORT}) or rtpmidi:PORT`,
      check: followSourceProblem,
    },
    name: { type: 'string', value: 'NAME', default: 'phaselock follow', help: 'the session name peers see' },
    address: { type: 'string', value: 'ADDR', default: '0.0.0.0', help: 'local address to bind' },
    noAdvertise: { type: 'boolean', help: 'do not announce the session on Bonjour' },
    print: { type: 'boolean', help: 'print the changes (the default; --to-link is not available yet)' },
    duration: { type: 'number', range: [0, 2_000_000], unit: 'seconds', help: 'stop after this long', defaultHelp: 'until Ctrl-C' },
  },
  async run({ options: o }, io) {
    const { runFollow } = await import('../follow-run.ts');
    const port = o.from === 'rtpmidi' ? RTPMIDI_DEFAULT_PORT : Number(o.from.slice('rtpmidi:'.length));
    return runFollow({ port, name: o.name, address: o.address, advertise: !o.noAdvertise, durationSeconds: o.duration }, io);
  },
});
