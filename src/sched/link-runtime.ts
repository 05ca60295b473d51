/**
 * The clock and timers a scheduler on a `LinkPeer` uses: the peer's own (`clock`, `timers`),
 * and precise timers when the peer offers them (`Link` on Node does, see src/node/link.ts).
 * Tests and users can always pass explicit timers instead.
 * @module
 */
import type { Clock, Runtime, Timers } from '../core/runtime.ts';
import type { LinkPeer } from '../link/link-peer.ts';
import { timerPreciseTimers, type PreciseTimers } from './precise-timers.ts';

/** A runtime that may also offer precise timers (the Node runtime can, see `src/node/precise-timers.ts`). */
export type SchedRuntime = Pick<Runtime, 'clock' | 'timers'> & { preciseTimers?: PreciseTimers };

/** The clock, timers and precise timers a scheduler on `link` uses. */
export function schedRuntimeOf(link: LinkPeer, override: { timers?: Timers; preciseTimers?: PreciseTimers } = {}): Required<SchedRuntime> {
  const clock: Clock = link.clock;
  const timers = override.timers ?? link.timers;
  const offered = (link as LinkPeer & { preciseTimers?: PreciseTimers }).preciseTimers;
  const preciseTimers = override.preciseTimers ?? offered ?? timerPreciseTimers(clock, timers);
  return { clock, timers, preciseTimers };
}
