/**
 * `--to rtpmidi[:HOST:PORT]` for `clock` and `seq` (L3): an RTP-MIDI endpoint whose sessions all
 * receive what the player sends, each message with its exact time in the RTP timestamp (sent
 * ahead, withdrawable until it leaves). `rtpmidi` accepts sessions on port 5004 (announced on
 * Bonjour when it can be); `rtpmidi:HOST:PORT` invites that peer first and fails if it declines.
 * @module
 */
import type { MidiOutput } from '../midi/output.ts';
import { RtpMidiEndpoint } from '../rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../rtpmidi/session.ts';
import { nodeRuntime } from '../node/link/node-runtime.ts';
import type { TimestampedOutput } from '../sched/output-dispatcher.ts';
import { RTPMIDI_DEFAULT_PORT } from './commands/rtpmidi.ts';
import type { OpenedTarget } from './midi-target.ts';
import { resolveIPv4, unlessAborted } from './rtpmidi-run.ts';

/**
 * One output for every session of `endpoint` (those there now and those that join later). A
 * session that joins mid-song hears the clock from then on, as a cable plugged in would.
 */
export class SessionsOutput implements TimestampedOutput {
  readonly acceptsFutureTimestamps = true as const;

  constructor(private readonly sessions: () => readonly RtpMidiSession[]) {}

  get withdrawLeadMicros(): number {
    return Math.max(0, ...this.sessions().map((s) => s.output.withdrawLeadMicros ?? 0));
  }

  send(data: Uint8Array, timeMicros: number): void {
    for (const s of this.sessions()) s.output.send(data, timeMicros);
  }

  cancelFrom(fromMicros: number): void {
    for (const s of this.sessions()) s.output.cancelFrom(fromMicros);
  }

  async drain(): Promise<void> {
    await Promise.all(this.sessions().map((s) => s.output.drain?.()));
  }
}

export interface RtpMidiTargetOptions {
  /** Status and warning lines. */
  write: (line: string) => void;
  /** Aborting it gives up the invitation (and the clock sync wait): the open rejects. */
  signal?: AbortSignal;
}

/**
 * Opens `--to rtpmidi` (no peer: accept sessions on 5004, announced on Bonjour when possible)
 * or `--to rtpmidi:HOST:PORT` (invite that peer; rejects when it declines, does not answer after
 * 12 invitations, or `signal` aborts first).
 */
export async function openRtpMidiTarget(peer: { host: string; port: number } | undefined, options: RtpMidiTargetOptions): Promise<OpenedTarget> {
  const signal = options.signal ?? new AbortController().signal;
  const port = peer ? 0 : RTPMIDI_DEFAULT_PORT;
  const endpoint = new RtpMidiEndpoint(nodeRuntime(), { name: 'phaselock', port });
  endpoint.on('warning', (w) => options.write(`warning: ${w.message}`));
  try {
    await endpoint.open();
  } catch (e) {
    throw new Error(`RTP-MIDI: cannot open ports ${port}/${port + 1}: ${(e as Error).message}`);
  }
  let advert: { stop(): Promise<void> } | undefined;
  try {
    if (peer) {
      const address = await unlessAborted(resolveIPv4(peer.host), signal);
      const session = await unlessAborted(endpoint.invite(address, peer.port), signal)
        .catch((e: Error) => { throw new Error(`RTP-MIDI peer ${peer.host}:${peer.port}: ${e.message}`); });
      await unlessAborted(session.whenSynced(), signal);
    } else {
      endpoint.on('session', (s) => {
        options.write(`RTP-MIDI session with ${JSON.stringify(s.remoteName)} (${s.remoteAddress}:${s.remotePort})`);
        s.on('close', (reason) => options.write(`RTP-MIDI session with ${JSON.stringify(s.remoteName)} ended: ${reason}`));
      });
      try {
        const { advertiseRtpMidi } = await import('../node/rtpmidi/mdns.ts');
        advert = await advertiseRtpMidi({ name: 'phaselock', port: endpoint.port });
      } catch (e) {
        options.write(`RTP-MIDI: not announced on Bonjour (${(e as Error).message}); peers can still invite port ${endpoint.port}`);
      }
    }
  } catch (e) {
    await advert?.stop().catch(() => undefined);
    await endpoint.close();
    throw e;
  }
  const output: MidiOutput = new SessionsOutput(() => endpoint.sessions);
  return {
    output,
    description: peer ? `RTP-MIDI session with ${peer.host}:${peer.port}` : `RTP-MIDI on port ${endpoint.port}${advert ? ' (announced on Bonjour)' : ''}, sessions: ${endpoint.sessions.length}, more may join`,
    close: async () => {
      await output.drain?.();
      await advert?.stop().catch(() => undefined);
      await endpoint.close(); // BY to every session
    },
  };
}
