/**
 * End to end: `phaselock carabiner` in a network namespace next to a real Ableton Link peer,
 * with a Carabiner client (over a relay inside the namespace, whose 127.0.0.1 is its own).
 * It proves the times on the Carabiner interface are CLOCK_MONOTONIC µs: the Ableton peer's
 * driver converts its Link clock to CLOCK_MONOTONIC, and both agree on the phase at the same
 * CLOCK_MONOTONIC instants.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildAbletonPeer, monoMicros, Netns, phaseDifference, startAbletonPeer, waitFor, type LinePeer } from '../interop/harness.ts';
import { parseResponse, STATUS_LINE, type Response } from './carabiner-client.ts';
import { BIN, ENV, exited, Lines, ROOT, running } from './helpers.ts';

const RELAY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tcp-relay.mjs');
const near = (a: number, b: number, eps = 0.01) => Math.abs(a - b) < eps;

describe('phaselock carabiner next to an Ableton peer', () => {
  let ns: Netns;
  let ableton: LinePeer;
  let server: ReturnType<Netns['exec']>;
  let serverOut: Lines;
  let relay: ReturnType<Netns['exec']>;
  let client: Lines;

  const responses = (from = 0): Response[] => client.lines.slice(from).map(parseResponse);
  const request = async (line: string, type: string, timeoutMs = 3000): Promise<Response> => {
    const from = client.lines.length;
    relay.stdin!.write(`${line}\n`);
    return waitFor(() => responses(from).find((r) => r.type === type), { timeoutMs, what: `'${type}' after '${line}'` });
  };

  before(async () => {
    await buildAbletonPeer();
    ns = await Netns.create('plcli');
    ableton = await startAbletonPeer(ns, { startStopSync: true, bpm: 120, label: 'ableton' });
    await ableton.command('enable');
    server = ns.exec(process.execPath, [BIN, 'carabiner', '--port', '0'], { env: ENV, cwd: ROOT });
    serverOut = new Lines(server.stdout!);
    const banner = await serverOut.wait((l) => l.startsWith('Starting'), 'the banner', 10_000);
    const port = Number(/tcp:\/\/127\.0\.0\.1:(\d+)/.exec(banner)?.[1]);
    assert.ok(port > 0, banner);
    relay = ns.exec(process.execPath, [RELAY, String(port)], { cwd: ROOT });
    client = new Lines(relay.stdout!);
  });

  after(async () => {
    relay?.stdin?.end();
    await ns?.close();
  });

  it('greets, then reports the Ableton peer in an unsolicited status', async () => {
    await waitFor(() => client.lines[0], { what: 'the greeting' });
    assert.match(client.lines[0]!, STATUS_LINE);
    const joined = await waitFor(() => responses().find((r) => r.type === 'status' && r.map.peers === 1),
      { timeoutMs: 5000, what: 'a status with :peers 1' });
    assert.equal(joined.map.bpm, 120);
    await serverOut.wait((l) => /^Link bpm: 120 Peers: 1 Connections: 1$/.test(l), 'the status line');
  });

  it('phase-at-time agrees with the Ableton peer at the same CLOCK_MONOTONIC instants', async () => {
    const times = [0, 1, 2, 3].map((i) => monoMicros() + 200_000 + i * 377_777);
    const ref = await ableton.phases(4, times);
    for (const [i, t] of times.entries()) {
      const r = await request(`phase-at-time ${t} 4`, 'phase-at-time');
      const diff = Math.abs(phaseDifference(r.map.phase as number, ref.phases[i]!, 4));
      assert.ok(diff < 0.002, `at ${t}: carabiner ${r.map.phase}, Ableton ${ref.phases[i]} (${diff} beats)`);
    }
  });

  it('bpm changes the Ableton peer\'s tempo; the Ableton peer\'s change comes back as a status', async () => {
    const mark = ableton.events.length;
    const r = await request('bpm 140', 'status');
    assert.equal(r.map.bpm, 140);
    await ableton.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, 140), 3000, mark);
    const from = client.lines.length;
    await ableton.command('tempo 150');
    const back = await waitFor(() => responses(from).find((x) => x.type === 'status'), { what: 'an unsolicited status' });
    assert.ok(near(back.map.bpm as number, 150), back.line);
  });

  it('with start/stop sync, start-playing starts the Ableton peer and its stop comes back', async () => {
    let lines = serverOut.lines.length;
    // The protocol's :playing is a boolean (Carabiner's README): false while it is only Link's
    // default; the human-readable status line says what is known.
    assert.equal((await request('enable-start-stop-sync', 'status')).map.playing, false);
    await serverOut.wait((l) => /^Link bpm: \S+ Peers: 1 Connections: 1 Transport: unknown$/.test(l), 'the status line: unknown', 3000, lines);
    const mark = ableton.events.length;
    lines = serverOut.lines.length;
    assert.equal((await request(`start-playing ${monoMicros()}`, 'status')).map.playing, true);
    await ableton.waitForEvent((e) => e.event === 'playing' && e.isPlaying === true, 3000, mark);
    await serverOut.wait((l) => /Transport: playing$/.test(l), 'the status line: playing', 3000, lines);
    const from = client.lines.length;
    lines = serverOut.lines.length;
    await ableton.command('stop');
    const stopped = await waitFor(() => responses(from).find((x) => x.type === 'status' && x.map.playing === false),
      { what: 'a status with :playing false' });
    assert.match(stopped.line, STATUS_LINE);
    await serverOut.wait((l) => /Transport: stopped$/.test(l), 'the status line: stopped', 3000, lines);
    lines = serverOut.lines.length;
    assert.equal('playing' in (await request('disable-start-stop-sync', 'status')).map, false);
    await serverOut.wait((l) => /^Link bpm: \S+ Peers: 1 Connections: 1$/.test(l), 'the status line without transport', 3000, lines);
  });

  it('exits 0 on SIGTERM and leaves the session at once (byebye)', async () => {
    const mark = ableton.events.length;
    const t0 = monoMicros();
    server.kill('SIGTERM');
    assert.equal(await exited(server, 4000), 0);
    const gone = await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 8000, mark);
    assert.ok(gone.t - t0 < 1_500_000, `left after ${(gone.t - t0) / 1000} ms`);
  });

  it('its parent killed without a signal for it (npx on SIGTERM): it notices, leaves at once (byebye) and exits', async () => {
    const joinMark = ableton.events.length;
    const sh = ns.exec('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} carabiner --port 0 & echo "pid $!"; wait`],
      { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    sh.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const out = new Lines(sh.stdout!);
    const pid = Number((await out.wait((l) => l.startsWith('pid '), 'the pid')).slice(4));
    try {
      await out.wait((l) => /Peers: 1 /.test(l), 'a peer', 8000);
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 3000, joinMark);
      const mark = ableton.events.length;
      const t0 = monoMicros();
      sh.kill('SIGKILL');
      await exited(sh, 2000);
      await waitFor(() => !running(pid), { timeoutMs: 5000, what: 'the orphaned carabiner to exit' });
      const gone = await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 8000, mark);
      assert.ok(gone.t - t0 < 3_000_000, `left after ${(gone.t - t0) / 1000} ms (the parent is checked every second)`);
      assert.equal(stderr, '');
    } finally {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
