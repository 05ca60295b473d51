/**
 * Benchmark helpers shared by bench/link-interop.ts: phaselock's interop driver bundled to
 * plain JavaScript (so a peer runs under `node` as a user's compiled program would, without the
 * tsx loader), CPU time of a process from /proc (ns, all threads), and the many-peer scenario.
 */
import { build } from 'esbuild';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LinePeer, monoMicros, phaseDifference, sleep, startAbletonPeer, type AbletonPeerOptions, type Netns, type PeerKind,
} from '../test/interop/harness.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The phaselock driver (test/interop/phaselock-peer.ts) bundled into one .mjs file. */
export async function bundlePhaselockPeer(): Promise<{ file: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'phaselock-bench-peer-'));
  const file = path.join(dir, 'phaselock-peer.mjs');
  await build({
    entryPoints: [path.join(HERE, '..', 'test', 'interop', 'phaselock-peer.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: file, logLevel: 'error',
  });
  return { file, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts a peer of `kind`; phaselock runs the bundle under plain `node`. */
export function startBenchPeer(ns: Netns, kind: PeerKind, bundle: string, opts: AbletonPeerOptions = {}): Promise<LinePeer> {
  if (kind === 'ableton') return startAbletonPeer(ns, opts);
  const args = [...(process.env.PEER_NODE_ARGS ? process.env.PEER_NODE_ARGS.split(' ') : []), bundle];
  if (opts.startStopSync) args.push('--start-stop-sync');
  return LinePeer.start(ns.exec(process.execPath, args), opts.label ?? 'phaselock', 15000);
}

/** CPU time (ns) a process has used so far, all threads (/proc/<pid>/task/<tid>/schedstat). */
export async function cpuNanos(pid: number): Promise<number> {
  let total = 0;
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      total += Number((await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')).split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
}

export interface ScaleResult {
  kind: PeerKind;
  peers: number;
  /** Worst pairwise phase gap (µs at 120 bpm, q = 4) at each checkpoint (s after the enable). */
  gaps: Array<{ atSeconds: number; worstMicros: number; sessions: number; minPeers: number }>;
}

/**
 * `n` peers of one kind started in `ns`, enabled at the same moment; at each checkpoint every
 * peer evaluates its phase at the same 5 instants, and the worst pairwise disagreement counts.
 */
export async function scaleScenario(ns: Netns, kind: PeerKind, n: number, bundle: string, checkpoints: readonly number[]): Promise<ScaleResult> {
  const peers = await Promise.all(Array.from({ length: n }, (_, i) => startBenchPeer(ns, kind, bundle, { label: `${kind}-${i}` })));
  try {
    await sleep(500); // every process idle before the start
    const cpu0 = await Promise.all(peers.map((p) => cpuNanos(p.proc.pid!)));
    const enabledAt = monoMicros();
    await Promise.all(peers.map((p) => p.command('enable')));
    if (process.env.SCALE_DEBUG) {
      void sleep(3000).then(async () => {
        const cpu1 = await Promise.all(peers.map((p) => cpuNanos(p.proc.pid!)));
        const total = cpu1.reduce((a, c, i) => a + c - cpu0[i]!, 0) / 1e6;
        console.log(`CPU of the ${n} ${kind} peers in the first ${((monoMicros() - enabledAt) / 1e6).toFixed(1)} s: ${total.toFixed(0)} ms`);
      });
    }
    const gaps: ScaleResult['gaps'] = [];
    for (const at of checkpoints) {
      await sleep(Math.max(0, enabledAt / 1000 + at * 1000 - monoMicros() / 1000));
      const instants = Array.from({ length: 5 }, (_, i) => monoMicros() + 100_000 + i * 37_000);
      const [phases, statuses] = await Promise.all([
        Promise.all(peers.map((p) => p.phases(4, instants))),
        Promise.all(peers.map((p) => p.status())),
      ]);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          for (let k = 0; k < instants.length; k++) {
            const d = Math.abs(phaseDifference(phases[i]!.phases[k]!, phases[j]!.phases[k]!, 4)) * 500_000;
            worst = Math.max(worst, d);
          }
        }
      }
      const minPeers = Math.min(...statuses.map((s) => s.numPeers));
      // Peers that see all others are in one session (numPeers counts our session only).
      const sessions = minPeers === n - 1 ? 1 : NaN;
      gaps.push({ atSeconds: at, worstMicros: worst, sessions, minPeers });
    }
    if (process.env.SCALE_DEBUG) for (const p of peers.slice(0, 2)) console.log(p.label, p.stderr.split('\n').filter((l) => l.startsWith('debug')).slice(0, 40).join('\n'));
    return { kind, peers: n, gaps };
  } finally {
    await Promise.all(peers.map((p) => p.close()));
  }
}
