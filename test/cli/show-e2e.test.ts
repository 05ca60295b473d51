/**
 * `phaselock show` end to end with a real mpv (`--vo=null --ao=null`, a video made by mpv at
 * test time). The MIDI mode runs unicast on 127.0.0.1 (`--no-advertise`: nothing multicasts, no
 * namespace): the test is the DAW, an RtpMidiEndpoint inviting the show's session and sending
 * SPP, Start, Stop and the clock. The Link mode runs only inside a network namespace the test
 * creates, next to the Ableton C++ test peer, which starts and stops the session. The test
 * watches mpv over its IPC socket with an MpvClient of its own. Waits are generous; the only
 * timing checked is where the Link fire lands (computed host times, not a stopwatch).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeRuntime } from '../../src/node/link/node-runtime.ts';
import { mpvSocketAccepts, spawnMpv } from '../../src/node/show/spawn-mpv.ts';
import { RtpMidiEndpoint } from '../../src/rtpmidi/endpoint.ts';
import type { RtpMidiSession } from '../../src/rtpmidi/session.ts';
import { MpvClient } from '../../src/show/mpv-client.ts';
import { monoMicros, waitFor, withAbletonNamespace, type LinePeer, type Netns } from '../interop/harness.ts';
import { freePortPair } from '../helpers/ports.ts';
import { BIN, ENV, exited, Lines, ROOT, runOffline } from './helpers.ts';

const HEADLESS = ['--vo=null', '--ao=null', '--no-config', '--msg-level=all=warn'];
const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-show-e2e-'));
let media = '';

before(() => {
  try {
    execFileSync('mpv', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('mpv is not installed: run .ci/run (or apt-get install mpv)');
  }
  // 60 s of test picture, encoded by mpv itself (no ffmpeg needed); a lavfi URL if that fails.
  const file = path.join(dir, 'show.mkv');
  try {
    execFileSync('mpv', ['--no-config', '--msg-level=all=error', 'av://lavfi:testsrc=duration=60:size=64x64:rate=25', `--o=${file}`, '--of=matroska', '--ovc=mpeg4'], { stdio: 'ignore', timeout: 60_000 });
  } catch { /* below */ }
  media = existsSync(file) ? file : 'av://lavfi:testsrc=duration=60:size=64x64:rate=25';
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A running `phaselock show`: its stdout lines and stderr. */
function showProcess(child: ChildProcess) {
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return { child, out: new Lines(child.stdout!), err: () => stderr };
}

/** Ends a show still running after a failure: SIGTERM first, so that it ends its mpv too. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await exited(child, 10_000).catch(() => child.kill('SIGKILL'));
}

const headlessArgs = HEADLESS.map((a) => `--mpv-arg=${a}`);
const num = (re: RegExp, s: string) => Number(re.exec(s)?.[1]);

/** Polls mpv's property until `ok` holds. */
async function mpvUntil<T>(mpv: MpvClient, name: string, ok: (v: T) => boolean, what: string, timeoutMs = 8000): Promise<T> {
  let last: T | undefined;
  try {
    const found = await waitFor(async () => {
      last = await mpv.getProperty(name as 'pause').catch(() => undefined) as T | undefined;
      return last !== undefined && ok(last) ? { value: last } : undefined;
    }, { timeoutMs, what });
    return found.value;
  } catch (e) {
    throw new Error(`${(e as Error).message} (mpv's ${name} is ${JSON.stringify(last)})`);
  }
}

describe('phaselock show --from rtpmidi (a DAW over RTP-MIDI on 127.0.0.1)', () => {
  it('SPP 0 + Start fires mpv (latency printed), Stop pauses, SPP elsewhere + Start does not fire; our mpv ends on SIGINT', { timeout: 90_000 }, async () => {
    const port = await freePortPair();
    const socket = path.join(dir, 'midi.sock');
    const show = showProcess(spawn(process.execPath, [BIN, 'show', media, '--from', `rtpmidi:${port}`, '--address', '127.0.0.1', '--no-advertise',
      '--mpv-socket', socket, ...headlessArgs], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    const runtime = nodeRuntime();
    const daw = new RtpMidiEndpoint(runtime, { name: 'test DAW', port: 0, address: '127.0.0.1' });
    const mpv = new MpvClient(runtime, { socket, openTimeoutMicros: 10_000_000 });
    let ticker: NodeJS.Timeout | undefined;
    let ticking = true;
    try {
      await waitFor(() => /showing .* in mpv at /.test(show.err()), { timeoutMs: 20_000, what: `the show to start (stderr: ${show.err()})` });
      await show.out.wait((l) => /^\d+ armed$/.test(l), 'armed', 10_000);
      await mpv.open();
      await mpvUntil<boolean>(mpv, 'pause', (p) => p === true, 'paused at the top');
      await daw.open();
      const session: RtpMidiSession = await daw.invite('127.0.0.1', port);
      await session.whenSynced();
      const send = (...bytes: number[]) => session.send(Uint8Array.from(bytes));
      // 24 ticks a beat at 120 bpm, on a grid (timers alone would run fast: they round to whole ms).
      const first = performance.now();
      let n = 0;
      const tick = () => {
        if (!ticking) return;
        send(0xf8);
        n++;
        ticker = setTimeout(tick, Math.max(0, first + (n * 1000) / 48 - performance.now()));
      };
      tick();
      await new Promise((r) => setTimeout(r, 500));

      send(0xf2, 0, 0); // SPP 0
      send(0xfa); // Start
      await show.out.wait((l) => / fired at beat /.test(l), 'fired', 10_000);
      const latency = await show.out.wait((l) => / latency /.test(l), 'the latency line', 10_000);
      const m = /^\d+ latency (-?\d+\.\d) ms from the Start \((-?\d+\.\d) ms from beat 0\)$/.exec(latency);
      assert.ok(m, `latency line: ${latency}`);
      assert.ok(Number(m[1]) >= 0 && Number(m[1]) < 5000, latency);
      await mpvUntil<boolean>(mpv, 'pause', (p) => p === false, 'mpv playing');
      await mpvUntil<number>(mpv, 'time-pos', (t) => t > 1, 'mpv to play on', 10_000);

      const stopAt = show.out.lines.length;
      send(0xfc); // Stop
      await show.out.wait((l) => / paused at beat /.test(l), 'paused', 10_000, stopAt);
      await mpvUntil<boolean>(mpv, 'pause', (p) => p === true, 'mpv paused on Stop');

      const seekAt = show.out.lines.length;
      send(0xf2, 32, 0); // SPP: 32 sixteenths = beat 8 (bar 3)
      await show.out.wait((l) => / seek to beat 8\.00 /.test(l), 'the seek', 10_000, seekAt);
      send(0xfa); // Start away from the top: not armed
      await waitFor(() => /Start while stopped away from the top/.test(show.err()), { timeoutMs: 10_000, what: 'the warning' });
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await mpv.getProperty('pause'), true, 'a Start elsewhere did not play the media');
      assert.equal(show.out.lines.filter((l) => / fired /.test(l)).length, 1, show.out.lines.join('\n'));

      ticking = false;
      show.child.kill('SIGINT');
      assert.equal(await exited(show.child, 15_000), 0, show.err());
      assert.doesNotMatch(show.err(), /\n\s+at /, 'no stack trace');
      assert.equal(await mpvSocketAccepts(socket), false, 'the mpv we started has ended');
    } catch (e) {
      console.log(show.out.lines.join('\n'), show.err());
      throw e;
    } finally {
      ticking = false;
      clearTimeout(ticker);
      await mpv.close();
      await daw.close();
      await stop(show.child);
    }
  });

  it('mpv killed mid-show: a line says so, it is started again and the show loads its media again', { timeout: 60_000 }, async () => {
    const port = await freePortPair();
    const socket = path.join(dir, 'restart.sock');
    const show = showProcess(spawn(process.execPath, [BIN, 'show', media, '--from', `rtpmidi:${port}`, '--address', '127.0.0.1', '--no-advertise',
      '--mpv-socket', socket, ...headlessArgs], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    const mpv = new MpvClient(nodeRuntime(), { socket, openTimeoutMicros: 10_000_000 });
    try {
      await show.out.wait((l) => /^\d+ armed$/.test(l), 'armed', 20_000);
      await mpv.open();
      await mpvUntil<string>(mpv, 'path', (p) => p.length > 0, 'the media loaded');
      const pid = await mpv.getProperty('pid') as number;
      process.kill(pid, 'SIGKILL');
      await show.out.wait((l) => / mpv exited \(SIGKILL\): starting it again$/.test(l), 'the exit line', 10_000);
      await show.out.wait((l) => / mpv back$/.test(l), 'mpv back', 15_000);
      await waitFor(async () => (await mpv.getProperty('pid').catch(() => pid)) !== pid, { timeoutMs: 10_000, what: 'the test client on the new mpv' });
      await mpvUntil<string>(mpv, 'path', (p) => p === media, 'the media loaded again', 10_000);
      assert.equal(await mpv.getProperty('pause'), true);
      show.child.kill('SIGTERM');
      assert.equal(await exited(show.child, 15_000), 0, show.err());
    } finally {
      await mpv.close();
      await stop(show.child);
    }
  });

  it('bad input: a missing file, a bad cue list (each problem on its line), no mpv socket directory — exit 1, no stack trace', async () => {
    const missing = await runOffline(['show', path.join(dir, 'nope.mp4'), '--from', 'rtpmidi:5004', '--address', '127.0.0.1', '--no-advertise']);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /^phaselock show: no such file: .*nope\.mp4$/m);
    const cues = path.join(dir, 'cues.json');
    writeFileSync(cues, '{"cues": [\n{"at": "1.1", "do": "load", "file": "gone.mp4"},\n{"at": "0.5", "do": "pause"}\n]}\n');
    const bad = await runOffline(['show', cues, '--from', 'rtpmidi:5004', '--address', '127.0.0.1', '--no-advertise']);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /cue list: 2 problems:\n {2}cue 1, line 2: file not found: .*gone\.mp4.*\n {2}cue 2, line 3: bad position "0\.5"/);
    const yamlCues = path.join(dir, 'cues.yaml');
    writeFileSync(yamlCues, 'cues:\n  # the opener\n  - { at: 1.1, do: load, file: gone.mp4 }\n  - at: 0.5\n    do: pause\n');
    const badYaml = await runOffline(['show', yamlCues, '--from', 'rtpmidi:5004', '--address', '127.0.0.1', '--no-advertise']);
    assert.equal(badYaml.code, 1, badYaml.stderr);
    assert.match(badYaml.stderr, /cue list: 2 problems:\n {2}cue 1, line 3: file not found: .*gone\.mp4.*\n {2}cue 2, line 4: bad position "0\.5"/);
    const nodir = await runOffline(['show', media, '--from', 'rtpmidi:5004', '--address', '127.0.0.1', '--no-advertise', '--mpv-socket', path.join(dir, 'no', 'such', 'mpv.sock')]);
    assert.equal(nodir.code, 1, nodir.stderr);
    assert.match(nodir.stderr, /^phaselock show: spawnMpv: no directory /m);
    const usage = await runOffline(['show', media]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /needs --from SOURCE .* or --link/);
    for (const r of [missing, bad, badYaml, nodir, usage]) assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

describe('phaselock show --link (in a network namespace, next to an Ableton peer)', () => {
  let ns: Netns;
  let ableton: LinePeer;
  withAbletonNamespace('plshow', { bpm: 120, startStopSync: true }, (fx) => {
    ({ ns, ableton } = fx);
  });

  it('attached to a running mpv: the Ableton peer starts playing → fired on its next bar; stop → paused, rewound, armed; mpv left running', { timeout: 90_000 }, async () => {
    const socket = path.join(dir, 'link.sock');
    await using player = await spawnMpv({ socketPath: socket, fullscreen: false, args: HEADLESS });
    const mpv = await new MpvClient(nodeRuntime(), { socket }).open();
    const mark = ableton.events.length;
    const show = showProcess(ns.exec(process.execPath, [BIN, 'show', media, '--link', '--mpv-socket', socket, '--quantum', '4'],
      { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 15_000, mark);
      await show.out.wait((l) => /^\d+ armed$/.test(l), 'armed', 15_000);
      assert.match(show.err(), /in mpv at .* \(attached\)/);
      await mpvUntil<string>(mpv, 'path', (p) => p === media, 'the media loaded, paused at the top');
      await new Promise((r) => setTimeout(r, 1000)); // the session settles
      // Start well inside a bar (phase 0.5..2.5 of 4 at 120 bpm: the next bar 0.75 s or more away).
      await ableton.waitFor(async () => {
        const { phases } = await ableton.phases(4, [monoMicros()]);
        return phases[0]! >= 0.5 && phases[0]! <= 2.5;
      }, { timeoutMs: 5000, what: 'a moment inside a bar' });
      const start = await ableton.command('quantized-start 4');
      const beat0 = start.timeAtBeat0 as number;
      const fired = await show.out.wait((l) => / fired at beat /.test(l), 'fired', 10_000);
      assert.ok(num(/^(\d+) /, fired) < beat0, `fired (at ${num(/^(\d+) /, fired)}) ahead of the bar (${beat0}): the media waits for it`);
      const latency = await show.out.wait((l) => / latency /.test(l), 'the latency line', 15_000);
      const t = num(/^(\d+) /, latency);
      const fromBeat0 = num(/\((-?\d+\.\d) ms from beat 0\)/, latency);
      const ourBeat0 = t - fromBeat0 * 1000;
      assert.ok(Math.abs(ourBeat0 - beat0) < 10_000, `the show's beat 0 at ${ourBeat0}, the Ableton peer's at ${beat0}: ${(ourBeat0 - beat0) / 1000} ms apart`);
      assert.ok(fromBeat0 > -5, `mpv played before the bar: ${latency}`);
      await mpvUntil<boolean>(mpv, 'pause', (p) => p === false, 'mpv playing');
      await mpvUntil<number>(mpv, 'time-pos', (p) => p > 0.5, 'mpv to play on');

      const stopAt = show.out.lines.length;
      await ableton.command('stop');
      const paused = await show.out.wait((l) => / paused at beat /.test(l), 'paused', 10_000, stopAt);
      assert.ok(num(/paused at beat (\d+\.\d+)/, paused) > 0.5, paused);
      await show.out.wait((l) => /^\d+ armed$/.test(l), 'armed again', 10_000, stopAt);
      await show.out.wait((l) => / seek to beat 0\.00 /.test(l), 'rewound', 10_000, stopAt);
      await mpvUntil<boolean>(mpv, 'pause', (p) => p === true, 'mpv paused');
      await mpvUntil<number>(mpv, 'time-pos', (p) => Math.abs(p) < 0.05, 'mpv at the top');

      show.child.kill('SIGINT');
      assert.equal(await exited(show.child, 15_000), 0, show.err());
      assert.ok(player.running && await mpvSocketAccepts(socket), 'an mpv we attached to is left running');
      assert.ok(!show.out.lines.some((l) => / mpv lost$/.test(l)), 'no mpv lost at our own close');
    } finally {
      await mpv.close();
      await stop(show.child);
    }
  });
});
