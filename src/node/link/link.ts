/**
 * `Link`: the Ableton Link peer on Node's network stack (L2): `LinkPeer` on the Node runtime,
 * whose precise timers call at the exact host instant on the main thread.
 * @module
 */
import type { Runtime } from '../../core/runtime.ts';
import { LinkPeer, type LinkPeerOptions } from '../../link/link-peer.ts';
import { atBeat, sync, type AtBeatOptions, type BeatArrival, type SyncOptions } from '../../sched/at-beat.ts';
import { nodeRuntime, type UdpLatency } from './node-runtime.ts';

export interface LinkOptions extends LinkPeerOptions {
  /** Replace the Node runtime (tests, custom clocks). */
  runtime?: Runtime;
  /**
   * Extra UDP latencies clock measurement corrects for (µs), on top of what the runtime measures
   * itself per datagram: how late this process reads a datagram's receive time, and how long
   * after the clock read a send leaves. Default `{ receiveMicros: 0, sendMicros: 0 }`
   * (docs/link.md, "Clock measurement").
   */
  udpLatency?: UdpLatency;
}

/**
 * An Ableton Link peer. Nothing touches the network until `enable()`.
 * @example
 * await using link = new Link({ bpm: 120 });
 * link.enable();
 * const s = link.captureAppSessionState();
 * console.log(s.beatAtTime(link.clock.micros(), 4));
 */
export class Link extends LinkPeer {
  constructor(options: LinkOptions = {}) {
    super(options.runtime ?? nodeRuntime(options.udpLatency ? { udpLatency: options.udpLatency } : {}), options);
  }

  /**
   * Resolves at the exact host time of `beat` on the session timeline (quantum default 4);
   * rejects with E_CLOSED if the Link closes first.
   * @example const { timeMicros } = await link.atBeat(16, { quantum: 4 });
   */
  atBeat(beat: number, options: AtBeatOptions = {}): Promise<BeatArrival> {
    return atBeat(this, beat, options);
  }

  /**
   * Resolves at the next beat that is a multiple of `beatMultiple` (plus `offset`): `sync(4)` is
   * the next bar line at quantum 4, `sync(1)` the next beat.
   * @example await link.sync(4); // the next downbeat
   */
  sync(beatMultiple: number, options: SyncOptions = {}): Promise<BeatArrival> {
    return sync(this, beatMultiple, options);
  }
}
