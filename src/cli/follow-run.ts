/**
 * `phaselock follow` at run time (L3): an RTP-MIDI endpoint or a native MIDI input feeding one
 * `MidiClockFollower`; its changes printed as lines. With `--to-link`, a Link peer (start/stop
 * sync on) joins the session and a `ClockLinkBridge` publishes the followed clock into it, one
 * line per commit.
 * @module
 */
import { MidiClockFollower } from '../midi/clock-follower.ts';
import { Link } from '../node/link/link.ts';
import { nodeRuntime } from '../node/link/node-runtime.ts';
import { ClockLinkBridge, type ClockLinkCommit } from '../sched/clock-link-bridge.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { runUntil } from './midi-session.ts';
import { openMidiSource, type MidiSource, type MidiSourceSpec } from './midi-source.ts';

export interface FollowConfig {
  from: MidiSourceSpec;
  name: string;
  address: string;
  advertise: boolean;
  durationSeconds: number | undefined;
  /** Publish the followed clock into a Link session. */
  toLink: boolean;
  /** Beats per bar on Link: Link beat ≡ song position modulo this. */
  quantum: number;
  /** Link interfaces (names or IPv4 addresses); undefined = every IPv4 interface. */
  interfaces: string[] | undefined;
  /** How long to listen for the Link session before bridging (seconds). */
  joinWaitSeconds: number;
}

const beats = (b: number) => b.toFixed(2);

/** The line for one commit into Link (after the time). */
export function commitText(c: ClockLinkCommit): string {
  const at = c.beat === undefined ? '' : ` at beat ${beats(c.beat)}`;
  switch (c.kind) {
    case 'tempo': return `link tempo ${c.tempoBpm.toFixed(2)}`;
    case 'start': return `link start${at}`;
    case 'continue': return `link continue${at}`;
    case 'stop': return `link stop${at}`;
    case 'relocate': return `link relocate${at}`;
    case 'align': return `link align${at} (phase was ${((c.phaseErrorMicros ?? 0) / 1000).toFixed(2)} ms off), tempo ${c.tempoBpm.toFixed(2)}`;
  }
}

/** Runs `phaselock follow`; resolves to the exit code. */
export async function runFollow(cfg: FollowConfig, io: CommandIo): Promise<number> {
  const runtime = nodeRuntime();
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
  let source: MidiSource;
  try {
    source = await openMidiSource(cfg.from, {
      runtime, name: cfg.name, address: cfg.address, advertise: cfg.advertise, command: 'phaselock follow', io,
      onInput: (input) => follower.attach(input),
      onInputGone: (input) => follower.detach(input),
    });
  } catch (e) {
    io.err(`phaselock follow: ${(e as Error).message}`);
    await follower.close();
    return 1;
  }
  io.err(`following MIDI clock from ${source.description}`);
  // Built only with --to-link: without it nothing here touches Link or multicast.
  const link = cfg.toLink ? new Link({ runtime, yieldTies: true, startStopSync: true, ...(cfg.interfaces ? { interfaces: cfg.interfaces } : {}) }) : undefined;
  let bridge: ClockLinkBridge | undefined;
  try {
    if (link) bridge = await startBridge(link, follower, cfg, io, line);
    if (!io.signal.aborted) await runUntil(cfg.durationSeconds, io.signal);
  } finally {
    // The bridge first: what the session holds stays (Link carries on without us).
    await bridge?.close();
    await follower.close();
    await source.close();
    await link?.close(); // ByeBye
  }
  return 0;
}

/** Joins the Link session (for `joinWaitSeconds`, or until a signal) and bridges the follower into it. */
async function startBridge(link: Link, follower: MidiClockFollower, cfg: FollowConfig, io: CommandIo, line: (t: number, what: string) => void): Promise<ClockLinkBridge | undefined> {
  link.on('warning', (w) => io.err(`phaselock follow: warning: ${w.message}`));
  link.on('peers', (n) => line(link.clock.micros(), `link peers ${n}`));
  link.enable();
  // Joined first: a session found later would replace what the bridge committed to our own.
  await runUntil(cfg.joinWaitSeconds, io.signal);
  if (io.signal.aborted) return undefined;
  const bridge = new ClockLinkBridge(follower, link, { quantum: cfg.quantum });
  bridge.on('commit', (c) => line(c.timeMicros, commitText(c)));
  bridge.on('lead', (leading, t) => line(t, leading ? 'link led by the clock' : 'link carries on alone'));
  bridge.on('warning', (w) => io.err(`phaselock follow: warning: ${w.message}`));
  io.err(`bridging into Link (quantum ${cfg.quantum}, ${link.numPeers} peer(s)); tempo ${link.captureAppSessionState().tempo.toFixed(2)} bpm`);
  return bridge.open();
}
