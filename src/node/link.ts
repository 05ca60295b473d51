/**
 * `Link`: the Ableton Link peer on Node's network stack.
 * @module
 */
import { LinkPeer, type LinkPeerOptions } from '../link/link-peer.ts';
import { nodeRuntime } from './node-runtime.ts';
import type { Runtime } from '../core/runtime.ts';

export interface LinkOptions extends LinkPeerOptions {
  /** Replace the Node runtime (tests, custom clocks). */
  runtime?: Runtime;
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

  constructor(options: LinkOptions = {}) {
    super(options.runtime ?? nodeRuntime(), options);
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
