/**
 * Cost of one app-thread query: captureAppSessionState + beatAtTime + phaseAtTime (ns/call).
 * Runs in-process on the testing runtime (no network). `node --import tsx bench/timeline.ts`
 */
import { LinkPeer } from '../src/link/link-peer.ts';
import { FakeNetwork } from '../src/testing/fake-network.ts';
import { VirtualTime } from '../src/testing/virtual-time.ts';
import { hrClock } from '../src/node/link/node-runtime.ts';

const net = new FakeNetwork(new VirtualTime());
const host = net.addHost({ name: 'bench' });
const link = new LinkPeer({ ...host.runtime, clock: hrClock }, { bpm: 123.45 });

function measure(label: string, iterations: number, fn: (i: number) => number): { label: string; nsPerCall: number } {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink += fn(i);
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  if (sink === 42.4242) console.log('');
  return { label, nsPerCall: Math.round(ns * 10) / 10 };
}

export function runTimelineBench(iterations = 1_000_000) {
  const now = link.clock.micros();
  const rows = [
    measure('captureAppSessionState', iterations, () => link.captureAppSessionState().tempo),
    measure('beatAtTime (captured state)', iterations, (i) => state.beatAtTime(now + i, 4)),
    measure('phaseAtTime (captured state)', iterations, (i) => state.phaseAtTime(now + i, 4)),
    measure('capture + beatAtTime + phaseAtTime', iterations, (i) => {
      const s = link.captureAppSessionState();
      const t = link.clock.micros() + i;
      return s.beatAtTime(t, 4) + s.phaseAtTime(t, 4);
    }),
  ];
  return rows;
}

const state = link.captureAppSessionState();

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = runTimelineBench();
  console.log('phaselock timeline query cost (target: capture + beat + phase < 200 ns)');
  console.table(rows.map((r) => ({ query: r.label, 'ns/call': r.nsPerCall })));
  const total = rows[rows.length - 1]!.nsPerCall;
  console.log(`capture + beatAtTime + phaseAtTime: ${total} ns/call — target < 200 ns: ${total < 200 ? 'met' : 'NOT met'}`);
}
