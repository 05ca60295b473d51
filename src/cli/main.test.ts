import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runExternal } from './main.ts';

describe('runExternal (phaselock clock / seq, loaded lazily)', () => {
  let dir: string;
  let baseUrl: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'phaselock-ext-'));
    baseUrl = pathToFileURL(path.join(dir, 'main.ts')).href;
    await writeFile(path.join(dir, 'clock.ts'),
      'export async function runClockCommand(args: string[]): Promise<number> { return args.length === 2 && args[0] === "--x" ? 7 : 3; }\n');
    await writeFile(path.join(dir, 'seq.ts'), 'export const somethingElse = 1;\n');
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it('passes the arguments and returns the exit code of runClockCommand', async () => {
    assert.equal(await runExternal('clock', ['--x', 'y'], { baseUrl }), 7);
  });

  it('a module without the expected export is a clear error, exit 1', async () => {
    let err = '';
    assert.equal(await runExternal('seq', [], { baseUrl, stderr: (t) => (err += t) }), 1);
    assert.match(err, /seq\.ts does not export runSeqCommand\(\)/);
  });

  it('a missing module is a clear error, exit 1', async () => {
    await rm(path.join(dir, 'clock.ts'));
    let err = '';
    assert.equal(await runExternal('clock', [], { baseUrl, stderr: (t) => (err += t) }), 1);
    assert.match(err, /the 'clock' command is not available in this build \(.*clock\.ts is missing\)/);
  });
});
