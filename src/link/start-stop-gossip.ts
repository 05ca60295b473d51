/**
 * Start/stop gossip of one session (link-wire-spec 02 §8), L0: time is passed in. Each peer's
 * state is edge-triggered (a state it keeps repeating is not news), the latest stamp wins, a
 * state outside what we can represent is refused (plausibility.ts), and every adopted state is
 * relayed by the owner, whether or not the application syncs start/stop.
 * @module
 */
import { startStopProblem } from './plausibility.ts';
import { DEFAULT_START_STOP, sameStartStop, type NodeId, type StartStopState } from './types.ts';

export type Heard =
  /** Nothing new: a repeat, an older stamp, or no state at all. */
  | { kind: 'none' }
  | { kind: 'adopted'; state: StartStopState }
  | { kind: 'refused'; problem: string };

export class StartStopGossip {
  /** The session's start/stop state as we hold and relay it. */
  state: StartStopState = DEFAULT_START_STOP;
  private readonly lastByPeer = new Map<NodeId, StartStopState>();

  /** A peer of our session announced `st`, at our ghost time `ghostNow`. */
  heard(peerId: NodeId, st: StartStopState | undefined, ghostNow: number): Heard {
    if (!st) return { kind: 'none' };
    const last = this.lastByPeer.get(peerId);
    this.lastByPeer.set(peerId, st);
    if (last && sameStartStop(last, st)) return { kind: 'none' };
    if (st.timestamp <= this.state.timestamp) return { kind: 'none' };
    const problem = startStopProblem(st, ghostNow);
    if (problem !== undefined) return { kind: 'refused', problem };
    this.state = st;
    return { kind: 'adopted', state: st };
  }

  /** Remembers what a peer of another session announced (so joining it does not replay it as news). */
  remember(peerId: NodeId, st: StartStopState | undefined): void {
    if (st) this.lastByPeer.set(peerId, st);
  }

  forget(peerId: NodeId): void {
    this.lastByPeer.delete(peerId);
  }

  /** A new session (founded or joined): its state comes from gossip (spec 02 §8 rule 4). */
  reset(): void {
    this.state = DEFAULT_START_STOP;
  }

  clearPeers(): void {
    this.lastByPeer.clear();
  }

  /** The state a local change produces: stamped now, after every stamp we know. */
  local(isPlaying: boolean, beats: number, ghostNow: number): StartStopState {
    return { isPlaying, beats, timestamp: Math.max(ghostNow, this.state.timestamp + 1) };
  }
}

/** Whether `st` is the default state (relayed, never surfaced to the application). */
export function isDefaultStartStop(st: StartStopState): boolean {
  return sameStartStop(st, DEFAULT_START_STOP);
}
