/**
 * Reaching a `LinkPeer`'s injected runtime from the scheduler (L1). `LinkPeer` exposes its
 * `clock` but keeps the runtime protected; until it exposes `timers` (and optionally
 * `preciseTimers`) publicly, this reads them structurally. Tests and users can always pass
 * explicit timers instead.
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
  const rt = (link as unknown as { rt?: SchedRuntime; timers?: Timers; preciseTimers?: PreciseTimers });
  const timers = override.timers ?? rt.timers ?? rt.rt?.timers;
  if (!timers) throw new TypeError('this LinkPeer exposes no timers; pass options.timers');
  const preciseTimers = override.preciseTimers ?? rt.preciseTimers ?? rt.rt?.preciseTimers ?? timerPreciseTimers(clock, timers);
  return { clock, timers, preciseTimers };
}
