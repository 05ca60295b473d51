/**
 * End to end: `phaselock rtpmidi list|listen|send` and `clock`/`seq --to rtpmidi[:HOST:PORT]`
 * as a user runs them (issue 13), spawning bin/phaselock.mjs on the source tree.
 *
 * Network safety: Bonjour multicasts. Outside a namespace only unicast runs here — `listen`
 * with `--no-advertise` bound to 127.0.0.1, `send` and `--to rtpmidi:127.0.0.1:PORT` (which
 * never advertise), and `--no-link` (`start` refuses anything else). `rtpmidi list`, an
 * advertising `listen` and `--to rtpmidi` (sessions accepted on 5004, announced on Bonjour) run
 * only inside a network namespace made here, with only `lo` up.
 *
 * Times printed by `listen --print` are CLOCK_MONOTONIC µs, the clock of `hrClock` here.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { hrClock } from '../../src/node/host-clock.ts';
import { nodeRuntime } from '../../src/node/link/node-runtime.ts';
import { RtpMidiEndpoint } from '../../src/rtpmidi/endpoint.ts';
import { LinePeer, Netns, sleep, waitFor } from '../interop/harness.ts';
import { BIN, ENV, exited, Lines, ROOT, runOffline, type RunResult } from './helpers.ts';
import { freePortPair } from '../helpers/ports.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INVITER = path.join(HERE, 'fixtures', 'rtpmidi-inviter.ts');
const NO_BONJOUR = path.join(HERE, 'fixtures', 'no-bonjour.mjs');
const NPM_PEER = path.join(ROOT, 'test', 'rtpmidi', 'npm-peer.mjs');

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-rtpmidi-e2e-'));
const children = new Set<ChildProcess>();
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** What may run outside a namespace: nothing that multicasts (Bonjour, Link). */
function assertUnicastOnly(args: readonly string[]): void {
  const [cmd, sub] = args;
  const to = args.includes('--to') ? args[args.indexOf('--to') + 1] : undefined;
  assert.ok(!(cmd === 'rtpmidi' && sub === 'list'), 'rtpmidi list browses mDNS: run it in a namespace');
  assert.ok(!(cmd === 'rtpmidi' && sub === 'listen' && !args.includes('--no-advertise')), 'rtpmidi listen advertises: --no-advertise or a namespace');
  assert.ok(to !== 'rtpmidi', '--to rtpmidi advertises: run it in a namespace');
  assert.ok(!((cmd === 'clock' || cmd === 'seq') && !args.includes('--no-link')), 'clock/seq enable Link: --no-link or a namespace');
}

interface Running {
  child: ChildProcess;
  out: Lines;
  err: Lines;
}

/** Starts phaselock with piped stdout/stderr: in `ns` when given, else only unicast commands. */
function start(args: readonly string[], ns?: Netns, nodeArgs: readonly string[] = []): Running {
  const opts: SpawnOptions = { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] };
  const argv = [...nodeArgs, BIN, ...args];
  if (!ns) assertUnicastOnly(args);
  const child = ns ? ns.exec(process.execPath, argv, opts) : spawn(process.execPath, argv, opts);
  children.add(child);
  return { child, out: new Lines(child.stdout!), err: new Lines(child.stderr!) };
}

/** Runs a unicast-only command to completion outside any namespace. */
function runUnicast(args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  assertUnicastOnly(args);
  return runOffline(args, timeoutMs);
}

/** Runs phaselock to completion in `ns` (every line read). */
async function runInNs(ns: Netns, args: readonly string[], timeoutMs = 20_000, nodeArgs: readonly string[] = []): Promise<RunResult> {
  const p = start(args, ns, nodeArgs);
  const started = Date.now();
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => p.child.once('close', (code, signal) => resolve([code, signal])));
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await closed;
  clearTimeout(timer);
  await sleep(20); // readline's last 'line' events
  return { code, signal, stdout: p.out.lines.join('\n'), stderr: p.err.lines.join('\n'), ms: Date.now() - started };
}

interface MidiLine {
  t: number;
  hex: string;
}
const MIDI_LINE = /^(\d+) ((?:[0-9a-f]{2} )*[0-9a-f]{2})$/;
function midiLines(lines: readonly string[]): MidiLine[] {
  return lines.flatMap((l) => {
    const m = MIDI_LINE.exec(l);
    return m ? [{ t: Number(m[1]), hex: m[2]! }] : [];
  });
}

interface Listener extends Running {
  port: number;
  midi(): MidiLine[];
}

/** `phaselock rtpmidi listen --print` (by default on a free pair on 127.0.0.1, not advertised). */
async function startListener(ns?: Netns, options: readonly string[] = ['--port', '0', '--address', '127.0.0.1', '--no-advertise']): Promise<Listener> {
  const p = start(['rtpmidi', 'listen', '--print', ...options], ns);
  const line = await p.err.wait((l) => l.startsWith('listening as '), 'the listening line', 20_000)
    .catch((e: Error) => assert.fail(`${e.message}; stderr: ${p.err.lines.join(' | ')}`));
  const port = Number(/:(\d+) \(data \d+\)/.exec(line)?.[1]);
  assert.ok(port > 0, line);
  return { ...p, port, midi: () => midiLines(p.out.lines) };
}

async function interrupt(p: Running, signal: NodeJS.Signals = 'SIGINT', timeoutMs = 10_000): Promise<number | string> {
  p.child.kill(signal);
  return exited(p.child, timeoutMs);
}

function assertUsageError(r: RunResult, message: RegExp, usage: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.match(r.stderr, usage);
  assert.doesNotMatch(r.stderr, /^ {4}at /m, 'no stack trace');
  assert.equal(r.stdout, '');
}

/** A UDP port on 127.0.0.1 that was free a moment ago (with the next one: an RTP-MIDI pair). */
async function closedPortPair(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    if (port < 65534) return port;
  }
}

/** A socket that receives on 127.0.0.1 and never answers: an invitation waits there. */
async function silentPeer(): Promise<{ port: number; received: () => number; close(): Promise<void> }> {
  const s = dgram.createSocket('udp4');
  let received = 0;
  s.on('message', () => received++);
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return { port: s.address().port, received: () => received, close: () => new Promise((resolve) => s.close(() => resolve())) };
}


const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const spacings = (ts: readonly number[]): number[] => ts.slice(1).map((t, i) => t - ts[i]!);

describe('rtpmidi listen and send on 127.0.0.1 (unicast, --no-advertise)', () => {
  it('send delivers both messages; listen prints them with their time on our clock; SIGINT: BY to a session, exit 0', async () => {
    const listener = await startListener();
    const t0 = hrClock.micros();
    const r = await runUnicast(['rtpmidi', 'send', `127.0.0.1:${listener.port}`, '903c64', '80 3c 00']);
    const t1 = hrClock.micros();
    assert.equal(r.code, 0, `stderr: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^sent 2 message\\(s\\) to "phaselock" \\(ssrc [0-9a-f]{8}\\) at 127\\.0\\.0\\.1:${listener.port}\\n$`));
    const got = await waitFor(() => (listener.midi().length >= 2 ? listener.midi() : undefined), { timeoutMs: 5000, what: 'two MIDI lines' });
    assert.deepEqual(got.map((m) => m.hex), ['90 3c 64', '80 3c 00']);
    for (const m of got) {
      // Stamped when send sent them (between t0 and t1, both on CLOCK_MONOTONIC), mapped back here.
      assert.ok(m.t >= t0 - 50_000 && m.t <= t1 + 50_000, `time ${m.t} not within [${t0}, ${t1}] (±50 ms)`);
    }
    assert.ok(got[1]!.t >= got[0]!.t, 'in order');
    await listener.err.wait((l) => /^session with "phaselock" \(ssrc [0-9a-f]{8}\)$/.test(l), 'the session line');
    await listener.err.wait((l) => /^session with "phaselock" .* ended: bye$/.test(l), "the sender's BY");

    // A third party in session with the listener: a message stamped ahead arrives with that time,
    // and the listener's BY on SIGINT ends the session there.
    const endpoint = await new RtpMidiEndpoint(nodeRuntime(), { name: 'third party', port: 0, address: '127.0.0.1', reinvite: false }).open();
    try {
      const session = await endpoint.invite('127.0.0.1', listener.port, { timeoutMicros: 5_000_000 });
      await session.whenSynced(5_000_000);
      const at = hrClock.micros() + 300_000;
      const from = listener.out.lines.length;
      session.send(Uint8Array.of(0xb0, 0x07, 0x5a), at);
      const line = await listener.out.wait((l) => l.endsWith(' b0 07 5a'), 'the controller line', 5000, from);
      const t = Number(line.split(' ')[0]);
      assert.ok(Math.abs(t - at) <= 20_000, `printed ${t}, stamped ${at}: ${t - at} µs apart`);
      const closed = new Promise<string>((resolve) => session.once('close', resolve));
      assert.equal(await interrupt(listener), 0, `stderr: ${listener.err.lines.join(' | ')}`);
      assert.equal(await Promise.race([closed, sleep(3000).then(() => 'no BY within 3 s')]), 'bye');
      assert.ok(listener.err.lines.some((l) => /^session with "third party" .* ended: closed$/.test(l)), listener.err.lines.join(' | '));
    } finally {
      await endpoint.close();
    }
  });

  it('send resolves a host name (localhost); sysex and running status go through', async () => {
    const listener = await startListener();
    const r = await runUnicast(['rtpmidi', 'send', `localhost:${listener.port}`, 'f0 7e 7f 06 01 f7', '903c64 3e64', '--name', 'Named']);
    assert.equal(r.code, 0, `stderr: ${r.stderr}`);
    const got = await waitFor(() => (listener.midi().length >= 3 ? listener.midi() : undefined), { timeoutMs: 5000, what: 'three MIDI lines' });
    assert.deepEqual(got.map((m) => m.hex), ['f0 7e 7f 06 01 f7', '90 3c 64', '90 3e 64']);
    assert.ok(listener.err.lines.some((l) => l.startsWith('session with "Named"')), listener.err.lines.join(' | '));
    assert.equal(await interrupt(listener, 'SIGTERM'), 0);
  });

  it('listen accepts the npm rtpmidi package as initiator and prints its notes', async () => {
    const port = await freePortPair('127.0.0.1', { even: true });
    const listener = await startListener(undefined, ['--port', String(port), '--address', '127.0.0.1', '--no-advertise']);
    const npmChild = spawn(process.execPath, [NPM_PEER, '--host', '127.0.0.1', '--name', 'npm-rtpmidi'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(npmChild);
    const npm = await LinePeer.start(npmChild, 'npm rtpmidi', 10_000);
    try {
      await npm.command(`invite 127.0.0.1 ${port}`);
      await npm.waitForEvent((e) => e.event === 'synced', 20_000);
      await npm.command('send 903c64 803c00');
      const got = await waitFor(() => (listener.midi().length >= 2 ? listener.midi() : undefined), { timeoutMs: 5000, what: 'two MIDI lines' });
      assert.deepEqual(got.map((m) => m.hex), ['90 3c 64', '80 3c 00']);
      assert.ok(listener.err.lines.some((l) => l.startsWith('session with "npm-rtpmidi"')), listener.err.lines.join(' | '));
      await npm.command('end');
      await listener.err.wait((l) => /^session with "npm-rtpmidi" .* ended: bye$/.test(l), "the npm peer's BY");
    } finally {
      await npm.close();
    }
    assert.equal(await interrupt(listener), 0);
  });

  it('listen on a port in use: exit 1 naming the ports', async () => {
    const listener = await startListener();
    const r = await runUnicast(['rtpmidi', 'listen', '--port', String(listener.port), '--address', '127.0.0.1', '--no-advertise']);
    assert.equal(r.code, 1, `stderr: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^phaselock rtpmidi listen: cannot open ports ${listener.port}/${listener.port + 1}: `));
    assert.equal(await interrupt(listener), 0);
  });
});

describe('rtpmidi send failures and arguments (no peer, no multicast)', () => {
  it('nobody listening, --timeout 2: exit 1 with a clear message after about 2 s', async () => {
    const port = await closedPortPair();
    const r = await runUnicast(['rtpmidi', 'send', `127.0.0.1:${port}`, '903c64', '--timeout', '2'], 15_000);
    assert.equal(r.code, 1, `stderr: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^phaselock rtpmidi send: .*127\\.0\\.0\\.1:${port}.*(timed out|no answer)`, 'm'));
    assert.equal(r.stdout, '');
    assert.ok(r.ms < 8000, `took ${r.ms} ms`);
  });

  it('SIGINT while the invitation waits: exit 1 at once, "interrupted"', async () => {
    const peer = await silentPeer();
    try {
      const p = start(['rtpmidi', 'send', `127.0.0.1:${peer.port}`, '903c64', '--timeout', '60']);
      await waitFor(() => peer.received() > 0, { timeoutMs: 20_000, what: 'the first invitation' });
      const sent = Date.now();
      assert.equal(await interrupt(p, 'SIGINT', 5000), 1);
      assert.ok(Date.now() - sent < 3000, `exited ${Date.now() - sent} ms after SIGINT`);
      await sleep(50);
      assert.match(p.err.lines.join('\n'), /^phaselock rtpmidi send: interrupted \(SIGINT\) before the messages were sent$/m);
    } finally {
      await peer.close();
    }
  });

  it('bad arguments: exit 2 with the message and the usage line', async () => {
    const usage = /usage: phaselock rtpmidi send <HOST:PORT> <HEX>\.\.\./;
    const cases: Array<[string[], RegExp]> = [
      [['127.0.0.1', '903c64'], /<HOST:PORT> must be a host and a port/],
      [['127.0.0.1:', '903c64'], /<HOST:PORT> must be a host and a port/],
      [['127.0.0.1:65535', '903c64'], /control port in \[1, 65534\]/],
      [['[::1]:5004', '903c64'], /IPv4/],
      [['127.0.0.1:5004', '903'], /<HEX> must be whole bytes in hex.*'903'/],
      [['127.0.0.1:5004', 'zz'], /<HEX> must be whole bytes in hex/],
      [['127.0.0.1:5004', '90 3c'], /incomplete/],
      [['127.0.0.1:5004', '903c64', '90'], /the last message is incomplete/],
      [['127.0.0.1:5004', '903c64', 'f0 01'], /the last message is incomplete/],
      [['127.0.0.1:5004', '3c64'], /not MIDI messages: data byte 0x3C without a status byte/],
      [['127.0.0.1:5004'], /missing <HEX>/],
    ];
    for (const [args, message] of cases) {
      assertUsageError(await runUnicast(['rtpmidi', 'send', ...args]), message, usage);
    }
    assertUsageError(await runUnicast(['rtpmidi', 'listen', '--no-advertise', '--journal', 'some']), /must be full, one-channel or off/, /usage: phaselock rtpmidi listen/);
    assertUsageError(await runUnicast(['rtpmidi', 'listen', '--no-advertise', '--port', '65535']), /--port/, /usage: phaselock rtpmidi listen/);
    assertUsageError(await runUnicast(['clock', '--no-link', '--to', 'rtpmidi:nohostport']), /--to.*<HOST:PORT> must be a host and a port/, /usage: phaselock clock/);
  });

  it('rtpmidi alone or with an unknown word: exit 2 listing list, listen, send', async () => {
    for (const [args, message] of [[['rtpmidi'], /phaselock rtpmidi needs one of: list, listen, send/], [['rtpmidi', 'nosuch'], /unknown command 'rtpmidi nosuch' \(one of: list, listen, send\)/]] as const) {
      assertUsageError(await runUnicast(args), message, /usage: phaselock \[rtpmidi list\|rtpmidi listen\|rtpmidi send\]/);
    }
  });

  it('help rtpmidi listen and rtpmidi listen --help print its help, exit 0', async () => {
    for (const args of [['help', 'rtpmidi', 'listen'], ['rtpmidi', 'listen', '--help']]) {
      const r = await runOffline(args); // help only: no socket is opened
      assert.equal(r.code, 0, `stderr: ${r.stderr}`);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^usage: phaselock rtpmidi listen \[options\]\n/);
      for (const option of ['--port N', '--name NAME', '--print', '--no-advertise', '--journal MODE']) assert.ok(r.stdout.includes(option), `${args.join(' ')}: ${option}`);
    }
    const send = await runOffline(['help', 'rtpmidi', 'send']);
    assert.equal(send.code, 0);
    assert.match(send.stdout, /^usage: phaselock rtpmidi send <HOST:PORT> <HEX>\.\.\./);
  });
});

describe('clock and seq --to rtpmidi:HOST:PORT (unicast, --no-link)', () => {
  it('clock: the listener gets Start, ticks ~20833 µs apart at 120 bpm (median), Stop', async () => {
    const listener = await startListener();
    const r = await runUnicast(['clock', '--no-link', '--to', `rtpmidi:127.0.0.1:${listener.port}`, '--duration', '1']);
    assert.equal(r.code, 0, `stderr: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`RTP-MIDI session with 127\\.0\\.0\\.1:${listener.port}`));
    await listener.err.wait((l) => / ended: bye$/.test(l), "the clock's BY");
    const got = listener.midi();
    const kinds = got.map((m) => m.hex);
    const ticks = got.filter((m) => m.hex === 'f8').map((m) => m.t);
    assert.ok(kinds.includes('fa'), `no Start in ${kinds.join(',')}`);
    assert.ok(kinds.indexOf('fa') < kinds.indexOf('f8'), 'Start before the first tick');
    assert.equal(kinds.at(-1), 'fc', 'Stop last');
    assert.ok(ticks.length >= 20, `only ${ticks.length} ticks in 1 s`);
    const spacing = median(spacings(ticks));
    assert.ok(Math.abs(spacing - 20_833) <= 2000, `median tick spacing ${spacing} µs`);
    assert.equal(await interrupt(listener), 0);
  });

  it('seq: the notes of a small file arrive in order, half a beat apart', async () => {
    const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));
    const events = [
      0x00, 0xff, 0x51, 0x03, 0x07, 0xa1, 0x20, // 120 bpm
      0x00, 0x90, 60, 100,
      0x30, 0x80, 60, 0, // 48 ticks: half a beat at 96 per beat
      0x00, 0x90, 64, 100,
      0x30, 0x80, 64, 0,
      0x00, 0xff, 0x2f, 0x00,
    ];
    const file = path.join(dir, 'two-notes.mid');
    writeFileSync(file, Uint8Array.from([...ascii('MThd'), ...u32(6), 0, 0, 0, 1, 0, 96, ...ascii('MTrk'), ...u32(events.length), ...events]));
    const listener = await startListener();
    const r = await runUnicast(['seq', file, '--no-link', '--to', `rtpmidi:127.0.0.1:${listener.port}`, '--duration', '5']);
    assert.equal(r.code, 0, `stderr: ${r.stderr}`);
    await listener.err.wait((l) => / ended: bye$/.test(l), "seq's BY");
    const notes = listener.midi().filter((m) => /^[89]/.test(m.hex));
    assert.deepEqual(notes.map((m) => m.hex), ['90 3c 64', '80 3c 00', '90 40 64', '80 40 00']);
    const apart = notes[2]!.t - notes[0]!.t;
    assert.ok(Math.abs(apart - 250_000) <= 20_000, `note-ons ${apart} µs apart (250 000 expected)`);
    assert.equal(await interrupt(listener), 0);
  });

  it('clock to a port nobody listens on: exit 1 naming the peer, after the 12 invitations', async () => {
    const port = await closedPortPair();
    const r = await runUnicast(['clock', '--no-link', '--to', `rtpmidi:127.0.0.1:${port}`, '--duration', '1'], 30_000);
    assert.equal(r.code, 1, `stderr: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^phaselock clock: RTP-MIDI peer 127\\.0\\.0\\.1:${port}: .*(no answer|timed out)`, 'm'));
    assert.doesNotMatch(r.stderr, /^ {4}at /m);
  });

  it('SIGINT while clock invites a silent peer: exit 0 at once', async () => {
    const peer = await silentPeer();
    try {
      const p = start(['clock', '--no-link', '--to', `rtpmidi:127.0.0.1:${peer.port}`]);
      await waitFor(() => peer.received() > 0, { timeoutMs: 20_000, what: 'the first invitation' });
      const sent = Date.now();
      assert.equal(await interrupt(p, 'SIGINT', 5000), 0, `stderr: ${p.err.lines.join(' | ')}`);
      assert.ok(Date.now() - sent < 3000, `exited ${Date.now() - sent} ms after SIGINT`);
    } finally {
      await peer.close();
    }
  });
});

describe('in a network namespace (Bonjour, port 5004)', () => {
  let ns: Netns;
  before(async () => {
    ns = await Netns.create('plrtpcli');
  });
  after(async () => {
    await ns?.close();
  });

  it('rtpmidi list finds an advertising listen by name and port (JSON and text); gone after its SIGINT', async () => {
    const listener = await startListener(ns, ['--port', '5004', '--name', 'Stage']);
    assert.equal(listener.port, 5004);
    assert.ok(listener.err.lines.some((l) => l.endsWith(', announced on Bonjour')), listener.err.lines.join(' | '));
    const json = await runInNs(ns, ['rtpmidi', 'list', '--timeout', '2', '--json']);
    assert.equal(json.code, 0, `stderr: ${json.stderr}`);
    const sessions = JSON.parse(json.stdout) as Array<{ name: string; port: number; address: string }>;
    const stage = sessions.find((s) => s.name === 'Stage');
    assert.ok(stage, `Stage not among ${json.stdout}`);
    assert.equal(stage.port, 5004);
    assert.equal(stage.address, '127.0.0.1');
    const text = await runInNs(ns, ['rtpmidi', 'list', '--timeout', '1']);
    assert.equal(text.code, 0, `stderr: ${text.stderr}`);
    assert.match(text.stdout, /^Stage\t127\.0\.0\.1:5004\t\(.+\.local\)$/m);
    assert.equal(await interrupt(listener), 0, listener.err.lines.join(' | '));
    const none = await runInNs(ns, ['rtpmidi', 'list', '--timeout', '1']);
    assert.equal(none.code, 0, `stderr: ${none.stderr}`);
    assert.equal(none.stdout, 'no RTP-MIDI session announced within 1 s');
  });

  it('without bonjour-service: list exits 1 naming the package; listen runs unannounced', async () => {
    const list = await runInNs(ns, ['rtpmidi', 'list', '--timeout', '1'], 20_000, ['--import', NO_BONJOUR]);
    assert.equal(list.code, 1, `stdout: ${list.stdout} stderr: ${list.stderr}`);
    assert.match(list.stderr, /^phaselock rtpmidi list: .*bonjour-service.*not installed \(npm install bonjour-service\)/);
    const listener = start(['rtpmidi', 'listen', '--port', '0'], ns, ['--import', NO_BONJOUR]);
    await listener.err.wait((l) => l.startsWith('listening as '), 'the listening line', 20_000);
    assert.match(listener.err.lines.join('\n'), /^phaselock rtpmidi listen: not announced on Bonjour: .*bonjour-service/m);
    assert.doesNotMatch(listener.err.lines.join('\n'), /announced on Bonjour$/m);
    assert.equal(await interrupt(listener), 0);
  });

  it('clock --to rtpmidi accepts a session on 5004 and clocks it: ticks, Stop, then BY', async () => {
    const clock = start(['clock', '--no-link', '--to', 'rtpmidi', '--duration', '4'], ns);
    await clock.out.wait((l) => l.includes('RTP-MIDI on port 5004'), 'the status line', 20_000)
      .catch((e: Error) => assert.fail(`${e.message}; stderr: ${clock.err.lines.join(' | ')}`));
    const child = ns.exec(process.execPath, ['--import', 'tsx', INVITER, '127.0.0.1', '5004'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const inviter = new Lines(child.stdout!);
    let inviterErr = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (inviterErr += s));
    await inviter.wait((l) => l === 'session phaselock', 'the session', 20_000).catch((e: Error) => assert.fail(`${e.message}; stderr: ${inviterErr}`));
    await inviter.wait((l) => l.startsWith('closed '), 'the end of the session', 15_000);
    assert.equal(inviter.lines.at(-1), 'closed bye');
    assert.equal(await exited(clock.child, 10_000), 0, clock.err.lines.join(' | '));
    assert.ok(clock.out.lines.some((l) => l.startsWith('RTP-MIDI session with "inviter"')), clock.out.lines.join(' | '));
    const got = midiLines(inviter.lines);
    const ticks = got.filter((m) => m.hex === 'f8').map((m) => m.t);
    assert.ok(ticks.length >= 20, `only ${ticks.length} ticks: ${inviter.lines.slice(0, 5).join(' | ')}`);
    assert.equal(got.at(-1)?.hex, 'fc', 'Stop last');
    const spacing = median(spacings(ticks));
    assert.ok(Math.abs(spacing - 20_833) <= 2000, `median tick spacing ${spacing} µs`);
  });

  it('clock --to rtpmidi with 5004 taken: exit 1 naming the ports', async () => {
    const listener = await startListener(ns, ['--port', '5004', '--no-advertise']);
    const r = await runInNs(ns, ['clock', '--no-link', '--to', 'rtpmidi', '--duration', '1']);
    assert.equal(r.code, 1, `stdout: ${r.stdout} stderr: ${r.stderr}`);
    assert.match(r.stderr, /^phaselock clock: RTP-MIDI: cannot open ports 5004\/5005: /m);
    assert.equal(await interrupt(listener), 0);
  });
});
