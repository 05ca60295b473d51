/**
 * Where a Node peer's clock-measurement error comes from: one-way UDP latency on loopback,
 * stamped the way each implementation stamps (C: CLOCK_MONOTONIC just before sendto() / just
 * after recvfrom() returns; phaselock: its Node runtime's clock read before `send` / first
 * thing in the receive callback), for every pair of C and Node sender and receiver, with the
 * receiver asleep between datagrams as a Link peer is. Differences of the medians isolate each
 * side's own latency beyond the kernel's:
 *   Node receive overhead = (C → Node) − (C → C),  Node send overhead = (Node → C) − (C → C).
 * Their half-difference is the bias a Node peer's ping/pong midpoints would carry against a C
 * peer's. phaselock takes most of the receive overhead off per datagram, measured at run time
 * (src/node/link/loop-probe.ts): the row "C→Node, corrected" shows what is left (docs/link.md).
 *
 *   node --import tsx bench/udp-latency.ts
 *
 * Needs gcc (bench/native/udp-stamp.c is compiled into a temp dir). Loopback only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import dgram from 'node:dgram';
import { busyMicrosSinceLastCallback, callbackEnded } from '../src/node/link/loop-probe.ts';
import { hrClock, NodeNetwork } from '../src/node/link/node-runtime.ts';
import { quantile } from './stats.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const COUNT = Number(process.env.COUNT ?? 400);
const GAP_US = Number(process.env.GAP_US ?? 5000);


// ---- child modes (the Node receiver and sender, on phaselock's own runtime) ----------------

/** Prints "<raw stamp> <corrected stamp> <sent stamp>" per datagram (see loop-probe.ts). */
async function nodeRecv(port: number, count: number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', (msg) => {
    const raw = hrClock.micros();
    const corrected = raw - Math.round(busyMicrosSinceLastCallback());
    process.stdout.write(`${raw} ${corrected} ${msg.readBigInt64BE(0)}\n`);
    callbackEnded();
    if (++n >= count) { sock.close(); setTimeout(() => process.exit(0), 50); }
  });
  sock.bind(port, '127.0.0.1', () => process.stdout.write('ready\n'));
}

async function nodeSend(port: number, count: number, gapUs: number): Promise<void> {
  const net = new NodeNetwork({ receiveMicros: 0, sendMicros: 0 });
  const sock = net.openUdp({ interfaceAddress: '127.0.0.1', onListening: () => undefined, onMessage: () => undefined, onError: () => undefined });
  await new Promise((r) => setTimeout(r, 50));
  const buf = new Uint8Array(64);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < count; i++) {
    view.setBigInt64(0, BigInt(hrClock.micros()));
    sock.send(buf, port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, gapUs / 1000));
  }
  sock.close();
}

// ---- orchestration ------------------------------------------------------------------------

interface Side { kind: 'C' | 'Node'; }

function startReceiver(kind: Side['kind'], bin: string, port: number): { lines: Promise<{ raw: number[]; corrected: number[] }>; ready: Promise<void> } {
  const child = kind === 'C'
    ? spawn(bin, ['recv', String(port), String(COUNT)], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--node-recv', String(port), String(COUNT)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: path.join(HERE, '..') });
  const raw: number[] = [];
  const corrected: number[] = [];
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') { readyResolve(); return; }
    const v = line.split(' ').map(Number);
    const sent = v[v.length - 1]!;
    raw.push(v[0]! - sent);
    corrected.push(v[v.length - 2]! - sent);
  });
  const lines = new Promise<{ raw: number[]; corrected: number[] }>((resolve) => child.on('close', () => resolve({ raw, corrected })));
  return { lines, ready };
}

function runSender(kind: Side['kind'], bin: string, port: number): Promise<void> {
  const child = kind === 'C'
    ? spawn(bin, ['send', String(port), String(COUNT), String(GAP_US)], { stdio: 'inherit' })
    : spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--node-send', String(port), String(COUNT), String(GAP_US)], { stdio: 'inherit', cwd: path.join(HERE, '..') });
  return new Promise((resolve) => child.on('close', () => resolve()));
}

async function pairLatency(sender: Side['kind'], receiver: Side['kind'], bin: string, port: number): Promise<{ raw: number[]; corrected: number[] }> {
  const rx = startReceiver(receiver, bin, port);
  await rx.ready;
  await runSender(sender, bin, port);
  const none = { raw: [], corrected: [] };
  const all = await Promise.race([rx.lines, new Promise<typeof none>((r) => setTimeout(() => r(none), 10_000))]);
  // The first 10 % are a warm-up (cold code, first wake-ups).
  const skip = (v: number[]) => v.slice(Math.floor(v.length / 10));
  return { raw: skip(all.raw), corrected: skip(all.corrected) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phaselock-udp-stamp-'));
  const bin = path.join(dir, 'udp-stamp');
  const cc = spawnSync('gcc', ['-O2', '-o', bin, path.join(HERE, 'native', 'udp-stamp.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc failed: ${cc.stderr}`);
  try {
    console.log(`udp-latency — node ${process.version}, ${os.cpus().length} cores; ${COUNT} datagrams per pair, ${GAP_US} µs apart (receiver asleep in between)`);
    const pairs = [['C', 'C'], ['C', 'Node'], ['Node', 'C'], ['Node', 'Node']] as const;
    const results = new Map<string, number[]>();
    let port = 47000;
    for (const [s, r] of pairs) {
      const got = await pairLatency(s, r, bin, port++);
      results.set(`${s}→${r}`, got.raw);
      if (r === 'Node') results.set(`${s}→${r}, corrected`, got.corrected);
    }
    console.table([...results].map(([pair, v]) => ({
      'sender → receiver': pair, n: v.length, 'p10 µs': quantile(v, 0.1).toFixed(1), 'p50 µs': quantile(v, 0.5).toFixed(1), 'p90 µs': quantile(v, 0.9).toFixed(1),
    })));
    const med = (k: string) => quantile(results.get(k)!, 0.5);
    console.table([
      { quantity: 'Node receive overhead beyond C (C→Node − C→C), p50 µs', value: (med('C→Node') - med('C→C')).toFixed(1) },
      { quantity: '… left after the per-datagram correction, p50 µs', value: (med('C→Node, corrected') - med('C→C')).toFixed(1) },
      { quantity: 'Node send overhead beyond C (Node→C − C→C), p50 µs', value: (med('Node→C') - med('C→C')).toFixed(1) },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === '--node-recv') await nodeRecv(Number(process.argv[3]), Number(process.argv[4]));
else if (mode === '--node-send') await nodeSend(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
else await main();
