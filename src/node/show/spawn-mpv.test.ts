// spawnMpv's failures, without mpv: a missing executable, one that exits at once, a socket
// path already in use, bad options. (Real mpv: test/show/mpv.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { PhaselockError } from '../../core/errors.ts';
import { mpvSocketAccepts, spawnMpv } from './spawn-mpv.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-spawn-mpv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const code = (c: string, re?: RegExp) => (err: unknown) => err instanceof PhaselockError && err.code === c && (!re || re.test(err.message));

describe('spawnMpv without mpv', () => {
  it('a missing executable: E_UNAVAILABLE saying how to install it', async () => {
    await assert.rejects(spawnMpv({ mpvPath: path.join(dir, 'no-such-mpv') }), code('E_UNAVAILABLE', /mpv not found .*apt install mpv/));
  });

  it('an mpv that exits before its socket accepts: E_UNAVAILABLE with its exit and last words', async () => {
    const fake = path.join(dir, 'dying-mpv.sh');
    writeFileSync(fake, '#!/bin/sh\necho "cannot open display" >&2\nexit 3\n', { mode: 0o755 });
    await assert.rejects(spawnMpv({ mpvPath: fake }), code('E_UNAVAILABLE', /exited \(code 3\).*cannot open display/));
  });

  it('a socket path where something listens is refused (E_STATE): attach instead of taking it over', async () => {
    const where = path.join(dir, 'busy.sock');
    const server = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(where, r));
    try {
      assert.equal(await mpvSocketAccepts(where), true);
      await assert.rejects(spawnMpv({ socketPath: where, mpvPath: path.join(dir, 'never-run') }), code('E_STATE', /already listens/));
    } finally {
      await new Promise((r) => server.close(r));
    }
    assert.equal(await mpvSocketAccepts(where), false);
  });

  it('a socket path in a missing directory, and bad options, fail at once', async () => {
    await assert.rejects(spawnMpv({ socketPath: path.join(dir, 'nope', 'mpv.sock') }), code('E_UNAVAILABLE', /no directory/));
    await assert.rejects(spawnMpv({ startTimeoutMicros: 0 }), RangeError);
    await assert.rejects(spawnMpv({ args: ['--ok', 3 as never] }), TypeError);
  });
});
