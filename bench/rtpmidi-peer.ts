/**
 * The RTP-MIDI benchmark's peer process (bench/rtpmidi.ts): hosts RTP-MIDI endpoints of either
 * implementation — phaselock's `RtpMidiEndpoint` or the npm `rtpmidi` package (a devDependency,
 * driven as in test/rtpmidi/npm-peer.mjs, its quirks worked around the same way) — on
 * 127.0.0.1, and drives them over the JSON-line protocol of test/interop/harness.ts (LinePeer):
 * one command per stdin line (`name {json}`), one reply line per command, `{"event": ...}` lines
 * at any time. Every time is host time in integer µs of CLOCK_MONOTONIC (phaselock's `hrClock`),
 * which all processes on the host share: a send stamped in one process and an arrival stamped
 * in another are directly comparable.
 *
 *   node --import tsx bench/rtpmidi-peer.ts [--label NAME]
 *
 * Commands (JSON arguments):
 *   open {ep, impl: 'phaselock'|'npm', options?}   an endpoint on a free even port pair → {port, ssrc?}
 *   invite {ep, port, options?}                     invite 127.0.0.1:port from endpoint ep → {t0, tag}
 *   record {keep}                                   start recording what every session receives
 *   stop-record                                     → {sessions: {sid: {messages, indexed, ticks, packets}}}
 *   send-indexed {sid, n, gapUs}                    n CC messages carrying their index → {sent: [µs…]}
 *   clock {sids, startAt, n, intervalUs}            F8 ticks on a grid (phaselock: timestamped ahead;
 *                                                   npm: sent from a timer at each tick) → {}
 *   rate {sids, rate, seconds, dry?}                messages at `rate`/s, woken when the next is due (≥ 1 ms) → {sent, cpuMicros, wallMicros}
 *   perf {sids, seconds, startAt}                   the typical performance (perfMessages) → {bytes: {sid: …}}
 *   cpu-start / cpu-stop                            process CPU (all threads) over the window → {cpuMicros, wallMicros}
 *   close-all                                       every session ends (BY), every endpoint closes
 *   quit
 * Events: ready, session {sid, ep, role, t, tag?, ssrc, remote}, synced {sid, t}, closed {sid, reason},
 *   warning {ep, sid?, message} (phaselock's), error {message}.
 */
import dgram from 'node:dgram';
import Module, { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { hrClock, nodeRuntime } from '../src/node/link/node-runtime.ts';
import type { Network, Runtime } from '../src/core/runtime.ts';
import { RtpMidiEndpoint, decodeRtpMidi, type RtpMidiSession } from '../src/rtpmidi/index.ts';
import { freePortPair } from '../test/helpers/ports.ts';

const HOST = '127.0.0.1';
const label = process.argv[process.argv.indexOf('--label') + 1] ?? 'peer';
const now = () => hrClock.micros();
const out = (obj: object) => process.stdout.write(`${JSON.stringify(obj)}\n`);
// Anything that prints (the npm package, its logger) goes to stderr: stdout stays JSON.
console.log = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
process.on('uncaughtException', (err) => out({ event: 'error', message: String((err as Error)?.stack ?? err) }));

// ------------------------------------------------------------------------------------------
// The messages the senders send

/** A controller message carrying `index` (14 bits) in its two data bytes, on `channel`. */
function indexed(index: number, channel = 0): Uint8Array {
  return Uint8Array.of(0xb0 | channel, (index >> 7) & 0x7f, index & 0x7f);
}

/** The throughput mix: note-on, filter controller, note-off, round 4 channels (3-byte messages). */
function mixMessage(i: number): Uint8Array {
  const ch = i % 4;
  const step = Math.floor(i / 4);
  const note = 48 + ch * 7 + (Math.floor(step / 3) % 8);
  switch (step % 3) {
    case 0: return Uint8Array.of(0x90 | ch, note, 100);
    case 1: return Uint8Array.of(0xb0 | ch, 74, (step * 5) & 0x7f);
    default: return Uint8Array.of(0x80 | ch, note, 0);
  }
}

interface TimedBytes {
  t: number;
  data: Uint8Array;
}

/**
 * A typical performance at 120 bpm from `startAt` for `seconds`: Start, MIDI clock (24 ppq),
 * and on each of 4 channels a note on every 16th (off half a 16th later) and a filter
 * controller between them: 48 + 4 × 24 = 144 messages a second.
 */
function perfMessages(startAt: number, seconds: number): TimedBytes[] {
  const beat = 500_000;
  const tick = beat / 24;
  const sixteenth = beat / 4;
  const end = startAt + seconds * 1e6;
  const msgs: TimedBytes[] = [{ t: startAt, data: Uint8Array.of(0xfa) }];
  for (let k = 0; startAt + k * tick < end; k++) msgs.push({ t: startAt + k * tick, data: Uint8Array.of(0xf8) });
  for (let s = 0; startAt + s * sixteenth < end; s++) {
    const t = startAt + s * sixteenth;
    for (let ch = 0; ch < 4; ch++) {
      const note = 48 + ch * 7 + [0, 3, 5, 7, 10, 7, 5, 3][s % 8]!;
      msgs.push({ t, data: Uint8Array.of(0x90 | ch, note, 80 + ((s * 7) % 40)) });
      msgs.push({ t: t + sixteenth / 4, data: Uint8Array.of(0xb0 | ch, 74, (s * 9 + ch * 20) & 0x7f) });
      msgs.push({ t: t + sixteenth / 2, data: Uint8Array.of(0x80 | ch, note, 0) });
    }
  }
  return msgs.sort((a, b) => a.t - b.t);
}

// ------------------------------------------------------------------------------------------
// Sessions of either implementation behind one shape

interface BenchSession {
  sid: number;
  ep: string;
  impl: 'phaselock' | 'npm';
  /** SSRC of our packets (npm: one per endpoint). */
  localSsrc: number;
  /** Messages for now, in one go (phaselock: one `send` each, coalesced into a packet; npm: one packet). */
  sendNow(batch: readonly Uint8Array[]): void;
  /** phaselock only: a message for host time `t` (sent ahead by the session's output). */
  sendAt?(data: Uint8Array, t: number): void;
  close(): Promise<void>;
}

interface Endpoint {
  impl: 'phaselock' | 'npm';
  port: number;
  invite(port: number, options: Record<string, unknown>, tag: number): void;
  close(): Promise<void>;
}

let nextSid = 1;
const sessions = new Map<number, BenchSession>();
const endpoints = new Map<string, Endpoint>();

/** Bytes per outgoing RTP-MIDI packet, per SSRC (counted while `counting`); bench/rtpmidi.ts reads them. */
export interface ByteStats {
  packets: number;
  bytes: number;
  journalBytes: number;
  journalPackets: number;
  guardPackets: number;
  maxBytes: number;
}
let counting = false;
const byteStats = new Map<number, ByteStats>();

/** Clock-sync (CK) datagrams this process sent. */
let ckSent = 0;

function tap(data: Uint8Array): void {
  if (data.length > 4 && data[0] === 0xff && data[1] === 0xff && data[2] === 0x43 && data[3] === 0x4b) ckSent++;
  if (!counting || data.length < 12 || data[0]! >> 6 !== 2) return;
  const packet = decodeRtpMidi(data);
  let s = byteStats.get(packet.ssrc);
  if (!s) byteStats.set(packet.ssrc, (s = { packets: 0, bytes: 0, journalBytes: 0, journalPackets: 0, guardPackets: 0, maxBytes: 0 }));
  s.packets++;
  s.bytes += data.length;
  s.maxBytes = Math.max(s.maxBytes, data.length);
  if (packet.journal) {
    s.journalBytes += packet.journal.length;
    s.journalPackets++;
  }
  if (packet.commands.length === 0) s.guardPackets++;
}

/** nodeRuntime() with every datagram sent passing `tap` (preciseTimers left out: sessions use `timers`). */
function countingRuntime(): Runtime {
  const base = nodeRuntime();
  const net = base.network;
  const network: Network = {
    interfaces: () => net.interfaces(),
    latency: net.latency,
    openUdp: (o) => {
      const s = net.openUdp(o);
      return { send: (d, p, a) => { tap(d); s.send(d, p, a); }, close: () => s.close() };
    },
  };
  return { clock: base.clock, timers: base.timers, random: base.random, network };
}


// ---- recording ----------------------------------------------------------------------------

interface Recording {
  /** Messages received (all kinds). */
  messages: number;
  /** [index, arrival µs, event.timeMicros or -1] of indexed CC messages. */
  indexed: number[][];
  /** [arrival µs, event.timeMicros or -1, event.receivedAtMicros or -1] of F8. */
  ticks: number[][];
  /** npm only: arrival µs of each RTP-MIDI packet with a command section (parsed into commands or not). */
  packets: number[];
}
let recording: Map<number, Recording> | undefined;
let keep = true;

function rec(sid: number): Recording | undefined {
  if (!recording) return undefined;
  let r = recording.get(sid);
  if (!r) recording.set(sid, (r = { messages: 0, indexed: [], ticks: [], packets: [] }));
  return r;
}

function received(sid: number, data: Uint8Array, at: number, timeMicros = -1, receivedAt = -1): void {
  const r = rec(sid);
  if (!r) return;
  r.messages++;
  if (!keep) return;
  const status = data[0]!;
  if (status === 0xf8) r.ticks.push([at, timeMicros, receivedAt]);
  else if ((status & 0xf0) === 0xb0 && data.length === 3) r.indexed.push([(data[1]! << 7) | data[2]!, at, timeMicros]);
}

// ---- phaselock ------------------------------------------------------------------------------

async function openPhaselock(ep: string, options: Record<string, unknown>): Promise<Endpoint> {
  const port = await freePortPair(HOST, { even: true });
  const endpoint = await new RtpMidiEndpoint(countingRuntime(), { name: `${label}-${ep}`, address: HOST, port, ...options }).open();
  endpoint.on('warning', (w) => out({ event: 'warning', ep, message: w.message }));
  // An initiator's session is announced once its invite resolved (invitations may complete in
  // any order); a responder's at once.
  const initiated = new Map<RtpMidiSession, { sid: number; t: number }>();
  endpoint.on('session', (s) => {
    const t = now();
    const sid = nextSid++;
    s.on('message', (e) => received(sid, e.data, now(), e.timeMicros, e.receivedAtMicros));
    s.once('sync', () => out({ event: 'synced', sid, t: now() }));
    s.on('warning', (w) => out({ event: 'warning', ep, sid, message: w.message }));
    s.once('close', (reason) => {
      sessions.delete(sid);
      out({ event: 'closed', sid, reason });
    });
    sessions.set(sid, {
      sid, ep, impl: 'phaselock', localSsrc: s.localSsrc,
      sendNow: (batch) => { for (const m of batch) s.send(m); },
      sendAt: (data, at) => s.send(data, at),
      close: () => s.close(),
    });
    if (s.role === 'initiator') initiated.set(s, { sid, t });
    else out({ event: 'session', sid, ep, role: s.role, t, ssrc: s.localSsrc, remote: s.remoteName });
  });
  return {
    impl: 'phaselock',
    port: endpoint.port,
    invite: (p, o, tag) => {
      endpoint.invite(HOST, p, { timeoutMicros: 20_000_000, ...o }).then((s) => {
        const info = initiated.get(s);
        initiated.delete(s);
        if (info) out({ event: 'session', sid: info.sid, ep, role: s.role, t: info.t, tag, ssrc: s.localSsrc, remote: s.remoteName });
      }, (err) => out({ event: 'error', message: `invite: ${(err as Error).message}` }));
    },
    close: () => endpoint.close(),
  };
}

// ---- npm rtpmidi ----------------------------------------------------------------------------

interface NpmStream {
  ssrc: number | null;
  name?: string;
  isConnected: boolean;
  isInitiator: boolean;
  latency: number | null;
  timeDifference: number | null;
  on(event: string, fn: (...args: any[]) => void): void;
  once(event: string, fn: (...args: any[]) => void): void;
  sendMessage(message: { timestamp: number; commands: Array<{ deltaTime: number; data: Buffer }> }): void;
  end(callback?: () => void): void;
}
interface NpmSession {
  ssrc: number;
  streams: NpmStream[];
  controlChannel: dgram.Socket;
  messageChannel: dgram.Socket;
  addStream(stream: NpmStream): void;
  connect(rinfo: { address: string; port: number }): void;
  now(): number;
  end(callback?: () => void): void;
  on(event: string, fn: (...args: any[]) => void): void;
  once(event: string, fn: (...args: any[]) => void): void;
}
let NpmSessionClass: (new (port: number, localName: string, bonjourName: string, ssrc: undefined, published: boolean, ipVersion: number) => NpmSession) | undefined;

/** Loads the package with test/rtpmidi/npm-peer.mjs's work-arounds: no mDNS modules, logs to stderr. */
function loadNpm(): NonNullable<typeof NpmSessionClass> {
  if (NpmSessionClass) return NpmSessionClass;
  const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = M._load;
  M._load = function guardedLoad(this: unknown, request: string, ...rest: unknown[]) {
    if (request === 'mdns' || request === 'avahi_pub') throw new Error(`${request} is disabled in phaselock's benchmark`);
    return original.call(this, request, ...rest);
  };
  const load = createRequire(import.meta.url);
  const winston = createRequire(load.resolve('rtpmidi'))('winston');
  const logger = load('rtpmidi/src/logger');
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: process.stderr }));
  logger.level = 'warn';
  NpmSessionClass = load('rtpmidi/src/Session');
  return NpmSessionClass!;
}

const isSynced = (s: NpmStream) => s.latency !== null && s.timeDifference !== null;

async function openNpm(ep: string): Promise<Endpoint> {
  const Session = loadNpm();
  const port = await freePortPair(HOST, { even: true });
  // published = false: its mDNS path is never taken.
  const session = new Session(port, `${label}-${ep}`, `${label}-${ep}`, undefined, false, 4);
  const pending: number[] = [];
  const add = session.addStream.bind(session);
  const sidOf = new Map<number, number>();
  session.addStream = (stream: NpmStream) => {
    const sid = nextSid++;
    let tag: number | undefined;
    let announced = false;
    const announce = (role: 'initiator' | 'responder') => {
      if (announced) return;
      announced = true;
      const t = now();
      if (stream.ssrc !== null) sidOf.set(stream.ssrc, sid);
      sessions.set(sid, {
        sid, ep, impl: 'npm', localSsrc: session.ssrc,
        // Stream.sendMessage (the package's Session.sendMessage mis-stamps; see npm-peer.mjs).
        sendNow: (batch) => stream.sendMessage({ timestamp: session.now(), commands: batch.map((d) => ({ deltaTime: 0, data: Buffer.from(d) })) }),
        close: () => new Promise<void>((resolve) => stream.end(resolve)),
      });
      out({ event: 'session', sid, ep, role, t, tag, ssrc: session.ssrc, remote: String(stream.name ?? '').replace(/\0+$/, '') });
    };
    // Initiator: 'established' once the data port said OK. Responder: 'connected' at the second IN.
    stream.on('established', () => announce('initiator'));
    stream.on('connected', () => { if (!stream.isInitiator) announce('responder'); });
    stream.on('message', (_time: number, data: Buffer) => received(sid, data, now()));
    let synced = false;
    stream.on('control-message', () => {
      if (!synced && isSynced(stream)) {
        synced = true;
        out({ event: 'synced', sid, t: now() });
      }
    });
    stream.on('disconnected', () => {
      if (sessions.delete(sid)) out({ event: 'closed', sid, reason: 'disconnected' });
    });
    add(stream);
    // Session.connect adds the stream, then connects it: the oldest invitation is this one.
    queueMicrotask(() => { if (stream.isInitiator) tag = pending.shift(); });
  };
  // Every RTP-MIDI packet with a command section (commands parsed or not: it delivers no lone
  // F8), journal-only packets left out.
  session.on('midi', (msg: { ssrc: number; length: number }) => {
    const sid = sidOf.get(msg.ssrc);
    if (sid === undefined || !(msg.length > 0)) return;
    const r = rec(sid);
    if (r && keep) r.packets.push(now());
  });
  session.on('error', (err: unknown) => out({ event: 'error', message: `npm session: ${String((err as Error)?.message ?? err)}` }));
  const send = session.messageChannel.send.bind(session.messageChannel) as (...args: unknown[]) => void;
  (session.messageChannel as unknown as { send: (...args: unknown[]) => void }).send = (buf: unknown, ...rest: unknown[]) => {
    if (buf instanceof Uint8Array) tap(buf);
    send(buf, ...rest);
  };
  // Bound to 127.0.0.1 rather than every interface (its start() binds 0.0.0.0).
  session.controlChannel.bind(port, HOST);
  session.messageChannel.bind(port + 1, HOST);
  await new Promise((resolve) => session.once('ready', resolve));
  return {
    impl: 'npm',
    port,
    invite: (p, _o, tag) => {
      pending.push(tag);
      session.connect({ address: HOST, port: p });
    },
    close: () => new Promise<void>((resolve) => session.end(resolve)),
  };
}

// ------------------------------------------------------------------------------------------
// Commands

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Sleeps until host time `t` (µs) with Node's ms timers, the way an application paces itself
 * (a timer may fire up to 1 ms early against the µs clock: then it sleeps again).
 */
async function sleepUntil(t: number): Promise<void> {
  while (now() < t) await new Promise((r) => setTimeout(r, Math.max(0, (t - now()) / 1000)));
}

function sessionOf(sid: number): BenchSession {
  const s = sessions.get(sid);
  if (!s) throw new Error(`no session ${sid}`);
  return s;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

let cpuMark = { cpu: 0, wall: 0, ck: 0 };
let nextTag = 1;

type Args = Record<string, any>;
const handlers: Record<string, (a: Args) => Promise<object> | object> = {
  open: async ({ ep, impl, options = {} }) => {
    if (endpoints.has(ep)) throw new Error(`endpoint ${ep} is open already`);
    const e = impl === 'npm' ? await openNpm(ep) : await openPhaselock(ep, options);
    endpoints.set(ep, e);
    return { port: e.port };
  },
  invite: ({ ep, port, options = {} }) => {
    const e = endpoints.get(ep);
    if (!e) throw new Error(`no endpoint ${ep}`);
    const tag = nextTag++;
    const t0 = now();
    e.invite(port, options, tag);
    return { t0, tag };
  },
  close: async ({ sid }) => {
    await sessionOf(sid).close();
    return {};
  },
  record: ({ keep: k = true }) => {
    recording = new Map();
    keep = k;
    return {};
  },
  'stop-record': () => {
    const r = Object.fromEntries(recording ?? new Map());
    recording = undefined;
    return { sessions: r };
  },
  'send-indexed': async ({ sid, n, gapUs }) => {
    const s = sessionOf(sid);
    const sent: number[] = [];
    let next = now();
    for (let i = 0; i < n; i++) {
      const m = indexed(i);
      sent.push(now());
      s.sendNow([m]);
      // A varying gap: the sends do not lock onto the receiver's timers.
      next += gapUs * (0.5 + Math.random());
      await sleepUntil(next);
    }
    await sleepMs(50);
    return { sent };
  },
  clock: async ({ sids, startAt, n, intervalUs }) => {
    const targets = (sids as number[]).map(sessionOf);
    const f8 = Uint8Array.of(0xf8);
    for (const s of targets.filter((x) => x.sendAt)) for (let k = 0; k < n; k++) s.sendAt!(f8, startAt + k * intervalUs);
    const paced = targets.filter((x) => !x.sendAt);
    for (let k = 0; k < n; k++) {
      const t = startAt + k * intervalUs;
      if (paced.length === 0) break;
      await sleepUntil(t);
      for (const s of paced) s.sendNow([f8]);
    }
    await sleepUntil(startAt + n * intervalUs + 100_000);
    return {};
  },
  rate: async ({ sids, rate, seconds, dry = false }) => {
    const targets = (sids as number[]).map(sessionOf);
    const cpu0 = cpuNow();
    const t0 = now();
    const end = t0 + seconds * 1e6;
    let sent = 0;
    let sink = 0;
    for (;;) {
      // Messages due within the next 0.5 ms count as due: a ms timer cannot aim closer.
      const t = Math.min(now() + 500, end);
      const due = Math.floor(((t - t0) * rate) / 1e6) - sent;
      if (due > 0) {
        const batch: Uint8Array[] = [];
        for (let i = 0; i < due; i++) batch.push(mixMessage(sent + i));
        sent += due;
        if (dry) sink += batch.length;
        else for (const s of targets) s.sendNow(batch);
      }
      if (t >= end) break;
      // Asleep until the next message is due (at most 1000 wake-ups a second).
      const next = t0 + ((sent + 1) * 1e6) / rate;
      await sleepMs(Math.max(1, (next - now()) / 1000));
    }
    await sleepMs(20); // what the sessions hold goes out
    return { sent, cpuMicros: cpuNow() - cpu0, wallMicros: now() - t0, sink };
  },
  perf: async ({ sids, seconds, startAt }) => {
    const targets = (sids as number[]).map(sessionOf);
    const msgs = perfMessages(startAt, seconds);
    byteStats.clear();
    counting = true;
    for (const s of targets.filter((x) => x.sendAt)) for (const m of msgs) s.sendAt!(m.data, m.t);
    const paced = targets.filter((x) => !x.sendAt);
    let i = 0;
    while (paced.length > 0 && i < msgs.length) {
      await sleepUntil(msgs[i]!.t);
      const t = now();
      const batch: Uint8Array[] = [];
      while (i < msgs.length && msgs[i]!.t <= t) batch.push(msgs[i++]!.data);
      if (batch.length > 0) for (const s of paced) s.sendNow(batch);
    }
    await sleepUntil(startAt + seconds * 1e6 + 30_000); // short of the 50 ms guard after the last burst
    counting = false;
    const bytes: Record<number, ByteStats | undefined> = {};
    for (const s of targets) bytes[s.sid] = byteStats.get(s.localSsrc);
    return { bytes, messages: msgs.length };
  },
  'cpu-start': () => {
    cpuMark = { cpu: cpuNow(), wall: now(), ck: ckSent };
    return {};
  },
  'cpu-stop': () => ({ cpuMicros: cpuNow() - cpuMark.cpu, wallMicros: now() - cpuMark.wall, ckSent: ckSent - cpuMark.ck }),
  'close-all': async () => {
    await Promise.all([...sessions.values()].map((s) => s.close().catch(() => undefined)));
    sessions.clear();
    await sleepMs(30);
    await Promise.all([...endpoints.values()].map((e) => e.close().catch(() => undefined)));
    endpoints.clear();
    return {};
  },
  quit: async () => {
    setTimeout(() => process.exit(0), 1000).unref();
    return handlers['close-all']!({});
  },
};

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const trimmed = line.trim();
    const space = trimmed.indexOf(' ');
    const cmd = space < 0 ? trimmed : trimmed.slice(0, space);
    const handler = handlers[cmd];
    try {
      if (!handler) throw new Error(`unknown command: ${cmd}`);
      const args = space < 0 ? {} : (JSON.parse(trimmed.slice(space + 1)) as Args);
      out({ ok: true, ...(await handler(args)) });
    } catch (err) {
      out({ ok: false, error: String((err as Error)?.message ?? err) });
    }
    if (cmd === 'quit') process.stdout.write('', () => process.exit(0));
  });
}).on('close', () => {
  // The parent is gone: close what closes within a second (the npm package's end() may never call back), then exit.
  setTimeout(() => process.exit(0), 1000).unref();
  void queue.then(() => handlers['close-all']!({})).finally(() => process.exit(0));
});

out({ event: 'ready', label, pid: process.pid });
