/**
 * The npm `rtpmidi` package (MIT, unmaintained since 2019) as an independent RTP-MIDI
 * counterpart for interop tests, driven over the JSON-line protocol of
 * test/interop/harness.ts (LinePeer): one command per stdin line, exactly one reply line per
 * command, unsolicited `{"event": ...}` lines at any time. Plain JavaScript, no tsx needed.
 *
 *   node test/rtpmidi/npm-peer.mjs [--port N (even; 0 = a free even pair)] [--host 127.0.0.1] [--name NAME] [--verbose]
 *
 * Commands:
 *   invite HOST PORT   the package invites HOST:PORT (IN every 1.5 s until OK; CK follows)
 *   send HEX [HEX…]    one RTP-MIDI packet with these MIDI messages (each a complete message,
 *                      e.g. 903c64) to every synchronized stream; fails when none is
 *   status             {"streams":[{name, ssrc, connected, synced, initiator, latency}]}
 *   end                BY to every stream
 *   quit               BY to every stream, sockets closed, exit 0
 * Events:
 *   ready {port, ssrc, name}            both sockets bound
 *   session {state: connected|disconnected, name, ssrc, initiator, address, port}
 *   synced {name, ssrc, latency}        the stream may send from now on
 *   message {bytes, ssrc}               one MIDI message received
 *   rtp {ssrc, sequence, timestamp, marker, journal, commands}  one RTP-MIDI packet received
 *   control {command, ssrc, …}          one AppleMIDI command received (IN, OK, CK, RS, BY, …)
 *   error {message}                     an exception inside the package (the process goes on)
 *
 * The package's quirks, worked around here:
 * - mDNS: it loads the native `mdns` / `avahi_pub` modules when they are installed and would
 *   then multicast; they are made unloadable below, whatever is installed.
 * - It binds every interface; here its two sockets are bound to --host instead.
 * - Its `Session.sendMessage` (the README's way to send) throws for a single argument and
 *   mis-stamps commands otherwise; packets go out through `Stream.sendMessage` instead.
 * - It silently drops what is sent before its clock sync finished (`latency` and
 *   `timeDifference` set): `send` refuses until then and `synced` tells when.
 * - It picks the socket to send from by the parity of the destination port (even = control),
 *   so its counterpart should use an even control port.
 * - It logs through winston to stdout; that is moved to stderr, which keeps stdout JSON.
 * - It parses no packet whose MIDI list is a single one-byte message (F8, FA, FC alone).
 */
import dgram from 'node:dgram';
import Module, { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const load = createRequire(import.meta.url);

// Never mDNS: the package requires these inside try/catch and runs without discovery.
const BLOCKED = new Set(['mdns', 'avahi_pub']);
const originalLoad = Module._load;
Module._load = function guardedLoad(request, ...rest) {
  if (BLOCKED.has(request)) throw new Error(`${request} is disabled in phaselock's tests (no multicast outside a namespace)`);
  return originalLoad.call(this, request, ...rest);
};

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    name: { type: 'string', default: 'npm-rtpmidi' },
    verbose: { type: 'boolean', default: false },
  },
});

const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
// Anything that prints (the package, winston, a stray console.log) goes to stderr.
console.log = (...args) => process.stderr.write(`${args.map(String).join(' ')}\n`);
const rtpmidiRequire = createRequire(load.resolve('rtpmidi'));
const winston = rtpmidiRequire('winston');
const logger = load('rtpmidi/src/logger');
logger.clear();
logger.add(new winston.transports.Stream({ stream: process.stderr }));
logger.level = values.verbose ? 'verbose' : 'warn';

const Session = load('rtpmidi/src/Session');

process.on('uncaughtException', (err) => out({ event: 'error', message: String(err?.stack ?? err) }));

/** Binds a throw-away socket pair to find an even port N with N and N+1 free on `host`. */
async function freeEvenPort(host) {
  for (let i = 0; i < 100; i++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 20000);
    const sockets = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    const ok = await Promise.all(sockets.map((s, k) => new Promise((resolve) => {
      s.once('error', () => resolve(false));
      s.bind(port + k, host, () => resolve(true));
    })));
    await Promise.all(sockets.map((s) => new Promise((resolve) => {
      try {
        s.close(resolve);
      } catch {
        resolve();
      }
    })));
    if (ok.every(Boolean)) return port;
  }
  throw new Error(`no free even port pair on ${host}`);
}

const host = values.host;
let port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65534 || port % 2 !== 0) {
  process.stderr.write(`--port must be an even port (or 0), got ${values.port}\n`);
  process.exit(2);
}
if (port === 0) port = await freeEvenPort(host);

// published = false: the package's own publish path (mDNS) is never taken.
const session = new Session(port, values.name, values.name, undefined, false, 4);
const reported = new WeakSet();

function streamInfo(stream) {
  const rinfo = stream.rinfo1 ?? {};
  return { name: String(stream.name ?? '').replace(/\0+$/, ''), ssrc: stream.ssrc, initiator: stream.isInitiator, address: rinfo.address, port: rinfo.port };
}

const isSynced = (stream) => stream.latency !== null && stream.timeDifference !== null;

// Every stream (both roles) passes through addStream: watch it from the start.
const addStream = session.addStream.bind(session);
session.addStream = (stream) => {
  stream.on('connected', () => out({ event: 'session', state: 'connected', ...streamInfo(stream) }));
  stream.on('disconnected', () => out({ event: 'session', state: 'disconnected', ...streamInfo(stream) }));
  stream.on('message', (_time, data) => out({ event: 'message', ssrc: stream.ssrc, bytes: [...data] }));
  stream.on('control-message', () => {
    if (isSynced(stream) && !reported.has(stream)) {
      reported.add(stream);
      out({ event: 'synced', ...streamInfo(stream), latency: stream.latency });
    }
  });
  addStream(stream);
};

session.on('controlMessage', (msg) => {
  const event = { event: 'control', command: msg.command, ssrc: msg.ssrc };
  if (msg.command === 'synchronization') event.count = msg.count;
  if (msg.command === 'receiver_feedback') event.sequence = msg.sequenceNumber;
  if (msg.token !== undefined) event.token = msg.token;
  if (msg.name) event.name = String(msg.name).replace(/\0+$/, '');
  out(event);
});
session.on('midi', (msg) => out({
  event: 'rtp', ssrc: msg.ssrc, sequence: msg.sequenceNumber, timestamp: msg.timestamp, marker: msg.marker,
  journal: Boolean(msg.hasJournal), commands: (msg.commands ?? []).map((c) => [...c.data]),
}));
session.on('error', (err) => out({ event: 'error', message: String(err?.message ?? err) }));

// Bound to --host rather than every interface (the package's start() binds 0.0.0.0).
session.controlChannel.bind(port, host);
session.messageChannel.bind(port + 1, host);
await new Promise((resolve) => session.once('ready', resolve));
out({ event: 'ready', port, ssrc: session.ssrc, name: values.name });

function parseHex(word) {
  if (!/^([0-9a-f]{2})+$/i.test(word)) throw new Error(`not hex bytes: ${word}`);
  return Buffer.from(word, 'hex');
}

function send(words) {
  if (words.length === 0) throw new Error('send: no message');
  const commands = words.map((w) => ({ deltaTime: 0, data: parseHex(w) }));
  const streams = session.streams.filter((s) => s.isConnected && isSynced(s));
  if (streams.length === 0) throw new Error('no synchronized stream (the package drops messages until its clock sync finished)');
  for (const stream of streams) stream.sendMessage({ timestamp: session.now(), commands });
  return streams.length;
}

const endAll = () => new Promise((resolve) => session.end(resolve));

const handlers = {
  invite: ([address, p]) => {
    const target = Number(p);
    if (!address || !Number.isInteger(target) || target < 1 || target > 65535) throw new Error('usage: invite HOST PORT');
    session.connect({ address, port: target });
    return {};
  },
  send: (words) => ({ streams: send(words) }),
  status: () => ({ streams: session.streams.map((s) => ({ ...streamInfo(s), connected: s.isConnected, synced: isSynced(s), latency: s.latency })) }),
  end: async () => {
    await Promise.all(session.streams.slice().map((s) => new Promise((resolve) => s.end(resolve))));
    return {};
  },
  quit: async () => {
    await endAll();
    return {};
  },
};

let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    const [cmd, ...args] = line.trim().split(/\s+/);
    const handler = handlers[cmd];
    try {
      if (!handler) throw new Error(`unknown command: ${cmd}`);
      out({ ok: true, ...(await handler(args)) });
    } catch (err) {
      out({ ok: false, error: String(err?.message ?? err) });
    }
    if (cmd === 'quit') process.stdout.write('', () => process.exit(0));
  });
}).on('close', () => {
  queue.then(endAll).finally(() => process.exit(0));
});
