/**
 * The phaselock side of the interop tests: a Link peer driven over stdin/stdout with the same
 * JSON-line protocol as ableton-peer.cpp (times are CLOCK_MONOTONIC µs, which is also
 * phaselock's host clock). Run inside a network namespace only.
 *
 * Beyond the shared commands: `info` (node id, session id, ghost time, peer-table entries, RSS,
 * warnings so far) and `drain` (the warnings and debug lines since the last drain), for the
 * hostile-network test (link-hostile.test.ts).
 */
import { createInterface } from 'node:readline';
import { Link } from '../../src/index.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : def;
};
let quantum = opt('--quantum', 4);
/** Recent warnings and debug lines, for `drain` (bounded: a flood must not grow them). */
const LOG_KEPT = 2000;
const log = { warnings: [] as string[], debug: [] as string[], warningCount: 0, dropped: 0 };
const keep = (list: string[], m: string) => {
  list.push(m);
  if (list.length > LOG_KEPT) {
    list.shift();
    log.dropped++;
  }
};
const udpAt = args.indexOf('--udp-latency');
const udpLatency = udpAt >= 0 ? (([receiveMicros, sendMicros]) => ({ receiveMicros: receiveMicros!, sendMicros: sendMicros! }))(args[udpAt + 1]!.split(',').map(Number)) : undefined;
const link = new Link({
  ...(udpLatency ? { udpLatency } : {}),
  bpm: opt('--bpm', 120),
  startStopSync: args.includes('--start-stop-sync'),
  logger: { debug: (m) => {
    keep(log.debug, m);
    process.stderr.write(`debug ${(performance.now() / 1000).toFixed(3)}: ${m}\n`);
  } },
});
const now = () => link.clock.micros();
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

link.on('peers', (n) => out({ event: 'peers', n, t: now() }));
link.on('tempo', (bpm) => out({ event: 'tempo', bpm, t: now() }));
link.on('playing', (isPlaying) => out({ event: 'playing', isPlaying, t: now() }));
link.on('warning', (e) => {
  log.warningCount++;
  keep(log.warnings, e.message);
  process.stderr.write(`warning: ${e.message}\n`);
});

/** Entries in the gateways' peer tables (a diagnostic reached through private fields: Link → PeerEngine → GatewaySet). */
function tableEntries(): number {
  const engine = (link as unknown as { engine?: { gateways?: { values(): Iterable<{ peers: ReadonlyMap<string, unknown> }> } } }).engine;
  const gateways = engine?.gateways;
  if (!gateways) throw new Error('tableEntries: Link internals moved (engine.gateways not found)');
  let n = 0;
  for (const gw of gateways.values()) n += gw.peers.size;
  return n;
}

const num = (s: string | undefined, def: number) => (s === undefined ? def : Number(s));

/**
 * Capture, change, commit. The reply carries `t`: the instant the change applies at (the
 * command's time argument, default: now, read just before the capture, as the C++ driver does).
 */
function commit(t: number, fn: (s: ReturnType<Link['captureAppSessionState']>) => object | void): object {
  const s = link.captureAppSessionState();
  const extra = fn(s) ?? {};
  link.commitAppSessionState(s);
  return { ok: true, t, ...extra };
}

function handle(line: string): object {
  const [cmd, ...a] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'enable': link.enable(); return { ok: true };
    case 'disable': link.disable(); return { ok: true };
    case 'startstopsync': link.startStopSyncEnabled = a[0] === '1'; return { ok: true };
    case 'now': return { ok: true, t: now() };
    case 'quantum': quantum = Number(a[0]); return { ok: true };
    case 'status': {
      const t = num(a[0], now());
      const s = link.captureAppSessionState();
      return {
        ok: true, t, enabled: link.enabled, numPeers: link.numPeers, tempo: s.tempo, isPlaying: s.isPlaying,
        beat: s.beatAtTime(t, quantum), phase: s.phaseAtTime(t, quantum), quantum,
        timeForIsPlaying: s.timeForIsPlaying(), startStopSync: link.startStopSyncEnabled,
      };
    }
    case 'phases': {
      const q = Number(a[0]);
      const s = link.captureAppSessionState();
      const times = a.slice(1).map(Number);
      return { ok: true, phases: times.map((t) => s.phaseAtTime(t, q)), beats: times.map((t) => s.beatAtTime(t, q)) };
    }
    case 'tempo': {
      const t = num(a[1], now());
      return commit(t, (s) => s.setTempo(Number(a[0]), t));
    }
    case 'play': case 'stop': {
      const t = num(a[0], now());
      return commit(t, (s) => s.setIsPlaying(cmd === 'play', t));
    }
    case 'quantized-start': {
      const q = num(a[0], quantum);
      const t = now();
      return commit(t, (s) => {
        s.setIsPlayingAndRequestBeatAtTime(true, t, 0, q);
        return { timeForIsPlaying: s.timeForIsPlaying(), timeAtBeat0: s.timeAtBeat(0, q) };
      });
    }
    case 'force-beat': case 'request-beat': {
      const b = Number(a[0]);
      const q = num(a[1], quantum);
      const t = num(a[2], now());
      return commit(t, (s) => {
        if (cmd === 'force-beat') s.forceBeatAtTime(b, t, q);
        else s.requestBeatAtTime(b, t, q);
        return { timeAtBeat: s.timeAtBeat(b, q) };
      });
    }
    case 'info': {
      const { nodeId, sessionId, ghostOffsetMicros } = link.session;
      const mem = process.memoryUsage();
      return {
        ok: true, nodeId, sessionId, ghostNow: now() + ghostOffsetMicros, numPeers: link.numPeers, tableEntries: tableEntries(),
        rss: mem.rss, heapUsed: mem.heapUsed, warningCount: log.warningCount,
      };
    }
    case 'drain': {
      // The warnings and debug lines since the last drain (the last LOG_KEPT of each).
      const reply = { ok: true, warnings: log.warnings, debug: log.debug, dropped: log.dropped };
      log.warnings = [];
      log.debug = [];
      log.dropped = 0;
      return reply;
    }
    case 'time-at-beat': return { ok: true, t: link.captureAppSessionState().timeAtBeat(Number(a[0]), num(a[1], quantum)) };
    case 'quit': void link.close().then(() => process.exit(0)); return { ok: true };
    case '': case undefined: return { ok: false, error: 'empty command' };
    default: return { ok: false, error: `unknown command ${cmd}` };
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    out(handle(line));
  } catch (err) {
    out({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}).on('close', () => void link.close().then(() => process.exit(0)));
out({ event: 'ready', t: now() });
