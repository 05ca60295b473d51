/**
 * `Link`: the Ableton Link peer on Node's network stack.
 * @module
 */
import { LinkPeer, type LinkPeerOptions } from '../link/link-peer.ts';
import { nodeRuntime } from './node-runtime.ts';
import { nodePreciseTimers } from './precise-timers.ts';
import type { Runtime } from '../core/runtime.ts';
import { atBeat, sync, type AtBeatOptions, type BeatArrival, type SyncOptions } from '../sched/at-beat.ts';
import type { PreciseTimers } from '../sched/precise-timers.ts';

export interface LinkOptions extends LinkPeerOptions {
  /** Replace the Node runtime (tests, custom clocks). */
  runtime?: Runtime;
  /**
   * Extra UDP latencies clock measurement corrects for (µs), on top of what the runtime measures
   * itself per datagram: how late this process reads a datagram's receive time, and how long
   * after the clock read a send leaves. Default `{ receiveMicros: 0, sendMicros: 0 }`
   * (docs/link.md, "Clock measurement").
   */
  udpLatency?: { receiveMicros: number; sendMicros: number };
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
  private closedFlag = false;
  private precise: PreciseTimers | undefined;

  constructor(options: LinkOptions = {}) {
    super(options.runtime ?? nodeRuntime(options.udpLatency ? { udpLatency: options.udpLatency } : {}), options);
  }

  /**
   * Timers that fire at the exact host time on the main thread (a libuv timer ~2 ms early, then
   * a short sleep and spin). Used by `atBeat`/`sync` and by schedulers driving a main-thread
   * output; the timing-thread output (`openPreciseOutput`) needs none.
   */
  get preciseTimers(): PreciseTimers {
    return (this.precise ??= nodePreciseTimers());
  }

  /**
   * Resolves at the exact host time of `beat` on the session timeline (quantum default 4).
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

  /** Sends byebye, closes every socket and timer. Idempotent. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.disable();
  }

  override enable(): void {
    if (this.closedFlag) throw new Error('this Link was closed; create a new one');
    super.enable();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
