/**
 * `phaselock follow` at run time (L3): an RTP-MIDI endpoint whose sessions feed one
 * `MidiClockFollower`; its changes printed as lines.
 * @module
 */
import { MidiClockFollower } from '../midi/clock-follower.ts';
import { RtpMidiEndpoint } from '../rtpmidi/endpoint.ts';
import { nodeRuntime } from '../node/link/node-runtime.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { runUntil } from './midi-session.ts';
import { announce } from './rtpmidi-run.ts';

export interface FollowConfig {
  port: number;
  name: string;
  address: string;
  advertise: boolean;
  durationSeconds: number | undefined;
}

const beats = (b: number) => b.toFixed(2);

/** Runs `phaselock follow`; resolves to the exit code. */
export async function runFollow(cfg: FollowConfig, io: CommandIo): Promise<number> {
  const runtime = nodeRuntime();
  const endpoint = new RtpMidiEndpoint(runtime, { name: cfg.name, port: cfg.port, address: cfg.address });
  endpoint.on('warning', (w) => io.err(`phaselock follow: warning: ${w.message}`));
  try {
    await endpoint.open();
  } catch (e) {
    io.err(`phaselock follow: cannot open ports ${cfg.port}/${cfg.port + 1}: ${(e as Error).message}`);
    return 1;
  }
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
  endpoint.on('session', (s) => {
    io.err(`session with ${JSON.stringify(s.remoteName)}`);
    follower.attach(s);
    s.on('close', (reason) => {
      follower.detach(s);
      io.err(`session with ${JSON.stringify(s.remoteName)} ended: ${reason}`);
    });
  });
  const advert = cfg.advertise ? await announce(cfg.name, endpoint.port, 'follow', io) : undefined;
  io.err(`following MIDI clock from RTP-MIDI sessions on port ${endpoint.port} as ${JSON.stringify(cfg.name)}${advert ? ', announced on Bonjour' : ''}`);
  try {
    await runUntil(cfg.durationSeconds, io.signal);
  } finally {
    await advert?.stop().catch(() => undefined);
    await follower.close();
    await endpoint.close();
  }
  return 0;
}
