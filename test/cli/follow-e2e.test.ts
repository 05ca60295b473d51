/**
 * `phaselock follow` end to end, unicast on 127.0.0.1 (no Bonjour: --no-advertise, so nothing
 * multicasts and no namespace is needed): `phaselock clock --to rtpmidi:127.0.0.1:P` plays the
 * DAW; follow prints the tempo it estimates from the clock, the start and the stop.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { midiSubsystemProblem } from '../../src/node/midi/native-midi.ts';
import { resolve } from '../../src/cli/registry.ts';
import { UsageError } from '../../src/cli/spec/parse.ts';
import { BIN, ENV, exited, Lines, ROOT, runOffline } from './helpers.ts';
import { freePortPair } from '../helpers/ports.ts';


describe('phaselock follow', () => {
  it('follows a MIDI clock sent over RTP-MIDI: start, the tempo within 0.5 bpm, stop; exit 0 on SIGINT', { timeout: 60_000 }, async () => {
    const port = await freePortPair();
    const follow = spawn(process.execPath, [BIN, 'follow', '--from', `rtpmidi:${port}`, '--address', '127.0.0.1', '--no-advertise'],
      { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    follow.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const out = new Lines(follow.stdout!);
    try {
      await waitForText(() => stderr, /following MIDI clock/, 10_000);
      const clock = await runOffline(['clock', '--no-link', '--bpm', '131', '--to', `rtpmidi:127.0.0.1:${port}`, '--duration', '3'], 30_000);
      assert.equal(clock.code, 0, clock.stderr);
      await out.wait((l) => / stop at beat /.test(l), 'the stop', 5000);
      const lines = out.lines;
      assert.ok(lines.some((l) => /^\d+ start/.test(l)), lines.join('\n'));
      const tempos = lines.map((l) => /^\d+ tempo (\d+\.\d+) bpm/.exec(l)?.[1]).filter((x): x is string => x !== undefined).map(Number);
      assert.ok(tempos.length > 0, `no tempo line: ${lines.join('\n')}`);
      assert.ok(Math.abs(tempos.at(-1)! - 131) < 0.5, `last tempo ${tempos.at(-1)} bpm (clock at 131)`);
      const stop = Number(/ stop at beat (\d+\.\d+)/.exec(lines.find((l) => / stop at beat /.test(l))!)![1]);
      assert.ok(stop > 4 && stop < 8, `stopped at beat ${stop} after ~3 s at 131 bpm`);
      follow.kill('SIGINT');
      assert.equal(await exited(follow, 10_000), 0, stderr);
    } finally {
      if (follow.exitCode === null) follow.kill('SIGKILL');
    }
  });

  it('bad --from: exit 2 with the usage line', async () => {
    for (const [from, msg] of [['osc', /must be rtpmidi, rtpmidi:PORT or midi:PORTNAME/], ['rtpmidi:0', /needs a port/], ['rtpmidi:x', /needs a port/], ['midi:', /needs a port name/]] as const) {
      const r = await runOffline(['follow', '--from', from]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, msg);
      assert.match(r.stderr, /usage: phaselock follow/);
    }
  });

  it('bad --to-link options: a usage error (exit 2 with the usage line), before anything is opened', () => {
    // Parsed in-process: a --to-link that parsed would join Link, and this test runs outside a
    // network namespace.
    for (const [args, msg] of [[['--quantum', '0'], /--quantum/], [['--join-wait', '11'], /--join-wait/], [['-i', 'nosuch0'], /names no interface of this machine/]] as const) {
      assert.throws(() => resolve(['follow', '--to-link', ...args]), (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, msg);
        assert.match(e.usage, /usage: phaselock follow/);
        return true;
      });
    }
  });

  it('help: --to-link, --quantum and --interface are documented', async () => {
    const r = await runOffline(['follow', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const opt of ['--to-link', '--quantum N', '--join-wait S', '-i, --interface NAME|ADDR']) assert.ok(r.stdout.includes(opt), `${opt} in:\n${r.stdout}`);
    assert.match(r.stdout, /carries on alone/);
  });

  it('--from midi:PORT where the system has no MIDI subsystem (this container: no ALSA sequencer): exit 1 saying so, no stack trace', async () => {
    const problem = midiSubsystemProblem();
    const r = await runOffline(['follow', '--from', 'midi:IAC Driver Bus 1']);
    assert.equal(r.code, 1, r.stderr);
    // Where a sequencer exists (a desktop), the port named here does not: the error lists those there are.
    assert.match(r.stderr, problem ? /^phaselock follow: no MIDI subsystem \(ALSA sequencer not available/m : /^phaselock follow: no MIDI input port "IAC Driver Bus 1"; available:/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

async function waitForText(get: () => string, re: RegExp, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!re.test(get())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${re}: ${get()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
