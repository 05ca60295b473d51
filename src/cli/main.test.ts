// `main(argv, io)`: the exit codes and what goes to stdout and stderr, for commands that never
// join Link (help, version, bad arguments, an offline seq of a missing file).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main } from './main.ts';

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('main', () => {
  it('--version and --help exit 0 on stdout', async () => {
    const v = await run(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.out, /^phaselock \d+\.\d+\.\d+/);
    const h = await run(['--help']);
    assert.equal(h.code, 0);
    assert.equal(h.err, '');
    for (const c of ['status', 'peers', 'tempo <bpm>', 'carabiner', 'clock --to OUTPUT', 'seq <FILE.mid> --to OUTPUT', 'help']) {
      assert.match(h.out, new RegExp(`phaselock ${c.replace(/[.[\]]/g, '\\$&')}`));
    }
    assert.match(h.out, /Exit codes: 0 success, 1 failure/);
    assert.equal((await run(['help'])).out, h.out);
  });

  it('help help exits 0 (issue 12)', async () => {
    const r = await run(['help', 'help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^usage: phaselock help \[<command>\.\.\.\]/);
  });

  it('a usage error is `phaselock: <what>` and the usage line on stderr, exit 2, nothing on stdout', async () => {
    const r = await run(['tempo', 'fast']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.equal(r.err, "phaselock: <bpm> must be a number in [20, 999] bpm, got 'fast'\nusage: phaselock tempo <bpm> [--timeout S] [--interface NAME|ADDR]...");
  });

  it('a command that fails exits 1 with its reason', async () => {
    const r = await run(['seq', '/nonexistent/song.mid', '--to', 'console', '--no-link']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^phaselock seq: .*ENOENT/);
  });
});
