/**
 * The Node runtime as the CLI builds it for its `Link`s.
 * @module
 */
import type { Random, Runtime } from '../core/runtime.ts';
import { nodeRuntime } from '../node/node-runtime.ts';

/**
 * Node ids (the only 8-byte draws Link makes) whose first byte is 0xff: they lose every
 * session-election tie (link-wire-spec 02 §7.1: with ghost times within 500 ms the lower
 * session id wins). A Link peer founds a fresh session when its last peer leaves, so a
 * one-shot command started right after another one left (`phaselock tempo 133 && phaselock
 * play`) meets a session exactly as young as its own, and half of the time the other peer
 * would join *ours* and adopt our default 120 bpm. A one-shot must join, never impose; the
 * live view and the Carabiner server, started next to a running session, should not either.
 */
function yieldingRandom(random: Random): Random {
  return {
    float: () => random.float(),
    bytes(n: number): Uint8Array {
      const b = random.bytes(n);
      if (n === 8) b[0] = 0xff;
      return b;
    },
  };
}

/** A fresh Node runtime for one `Link`, losing session-election ties. */
export function cliRuntime(): Runtime {
  const rt = nodeRuntime();
  return { ...rt, random: yieldingRandom(rt.random) };
}
