/**
 * End to end: `phaselock seq` on files that are not what they should be — not a MIDI file,
 * truncated, beyond the size and event limits. Offline (`--no-link`: no network), recording to a
 * file.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, ENV, ROOT, runOffline, type RunResult } from './helpers.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-seq-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const u32 = (n: number): number[] => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const MTHD = [...ascii('MThd'), ...u32(6), 0, 0, 0, 1, 0, 96]; // format 0, one track, 96 ticks per beat

function seqArgs(file: string): string[] {
  return ['seq', file, '--no-link', '--to', `record:${path.join(dir, `${path.basename(file)}.jsonl`)}`, '--duration', '5'];
}

const recorded = (file: string) =>
  readFileSync(path.join(dir, `${path.basename(file)}.jsonl`), 'utf8').trim().split('\n').filter(Boolean)
    .map((l) => (JSON.parse(l) as { bytes: number[] }).bytes);

function assertCleanFailure(r: RunResult): void {
  assert.equal(r.code, 1, `exit ${r.code}; stderr: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^ {4}at /m, 'no stack trace');
  assert.match(r.stderr, /^[\x20-\x7e\n]*$/, 'only printable text on stderr');
}

/**
 * A valid format 1 file of about `bytes` bytes: 16 tracks of note-on/note-off pairs under
 * running status (3 bytes per event), written by hand (fast, unlike a general writer).
 */
function bigSmf(bytes: number): Uint8Array {
  const tracks = 16;
  const events = Math.floor((bytes / tracks - 16) / 3);
  const body = 4 + 3 * events + 4;
  const out = new Uint8Array(14 + tracks * (8 + body));
  out.set([...ascii('MThd'), ...u32(6), 0, 1, 0, tracks, 0x01, 0xe0]);
  let p = 14;
  for (let t = 0; t < tracks; t++) {
    out.set([...ascii('MTrk'), ...u32(body), 0, 0x90 | t, 60, 100], p);
    p += 12;
    for (let k = 0; k < events; k++, p += 3) {
      out[p] = k & 1 ? 0x30 : 0;
      out[p + 1] = 36 + ((k >> 1) % 60);
      out[p + 2] = k & 1 ? 0 : 100;
    }
    out.set([0, 0xff, 0x2f, 0], p);
    p += 4;
  }
  return out;
}

/** Runs phaselock under /usr/bin/time when it exists: the result and the peak RSS (kB), if measured. */
function runMeasured(args: string[], timeoutMs: number): Promise<RunResult & { maxRssKb?: number }> {
  if (!existsSync('/usr/bin/time')) return runOffline(args, timeoutMs);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'maxrss-kb=%M', process.execPath, BIN, ...args], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`phaselock did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const m = /^maxrss-kb=(\d+)\n?$/m.exec(stderr);
      const exit = /^Command exited with non-zero status (\d+)\n/m.exec(stderr);
      const rest = stderr.replace(/^Command exited with non-zero status \d+\n/m, '').replace(/^maxrss-kb=\d+\n?$/m, '');
      resolve({ code: exit ? Number(exit[1]) : code, signal, stdout, stderr: rest, ms: Date.now() - started, ...(m ? { maxRssKb: Number(m[1]) } : {}) });
    });
  });
}

describe('phaselock seq: files that are not what they should be', () => {
  it('a file that is not a MIDI file: exit 1 naming MThd, its bytes quoted, no stack', async () => {
    const file = path.join(dir, 'corrupt.mid');
    writeFileSync(file, Uint8Array.from([0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x00, 0xff, ...ascii('garbage')]));
    const r = await runOffline(seqArgs(file));
    assertCleanFailure(r);
    assert.equal(r.stderr, `phaselock seq: ${file}: not a Standard MIDI File: the file does not start with an MThd chunk (it starts with "\\x1b[2J") (at offset 0)\n`);
  });

  it('a truncated file plays what was read (exit 0) and says so on stderr', async () => {
    const file = path.join(dir, 'truncated.mid');
    const track = [0, 0x90, 60, 100, 48, 0x80, 60, 0, 0, 0x90, 62, 100, 48, 0x80, 62, 0, 0, 0x90, 64, 100, 48, 0x80, 64, 0, 0, 0xff, 0x2f, 0];
    const whole = [...MTHD, ...ascii('MTrk'), ...u32(track.length), ...track];
    const cut = whole.slice(0, whole.length - 6); // inside the last note-off: the song ends at beat 1
    writeFileSync(file, Uint8Array.from(cut));
    const r = await runOffline(seqArgs(file), 15_000);
    assert.equal(r.code, 0, `exit ${r.code}; stderr: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^phaselock seq: warning: track 0 is truncated at byte ${cut.length}: its last events are missing \\(`, 'm'));
    assert.deepEqual(recorded(file), [[0x90, 60, 100], [0x80, 60, 0], [0x90, 62, 100], [0x80, 62, 0]]);
  });

  it('a file beyond 64 MiB is refused before it is read', async () => {
    const file = path.join(dir, 'huge.mid');
    writeFileSync(file, Uint8Array.from(MTHD));
    await truncate(file, 80_000_000); // sparse: costs no disk
    const r = await runOffline(seqArgs(file));
    assertCleanFailure(r);
    assert.equal(r.stderr, `phaselock seq: ${file} is 76.3 MiB; the limit is 64 MiB\n`);
  });

  it('a valid 50 MB file (16 million events) is refused at once, naming the event limit', async (t) => {
    const file = path.join(dir, 'black.mid');
    writeFileSync(file, bigSmf(50_000_000));
    const r = await runMeasured(seqArgs(file), 60_000);
    assertCleanFailure(r);
    assert.match(r.stderr, /^phaselock seq: .*black\.mid: the file has more events than the limit of 1,000,000 \(maxEvents\) \(at offset \d+\)\n$/);
    t.diagnostic(`refused in ${r.ms} ms${r.maxRssKb ? `, peak RSS ${(r.maxRssKb / 1024).toFixed(0)} MiB` : ' (no /usr/bin/time: RSS not measured)'}`);
    assert.ok(r.maxRssKb !== undefined, 'peak RSS not measured: /usr/bin/time (Debian package time, installed by .ci/run) is missing');
    assert.ok(r.maxRssKb < 600 * 1024, `peak RSS ${r.maxRssKb} kB`);
  });

  it('a pipe (no size to check first) is read only up to the limit, then refused', async () => {
    const fifo = path.join(dir, 'pipe.mid');
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [BIN, ...seqArgs(fifo)], { env: ENV, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const writer = createWriteStream(fifo);
    writer.on('error', () => undefined); // phaselock stops reading: EPIPE here is expected
    const mib = new Uint8Array(1 << 20);
    // 80 MiB offered; phaselock must stop at 64 MiB + 1 byte.
    for (let written = 0; written < 80 && !writer.destroyed; written++) {
      if (!writer.write(mib)) await new Promise<void>((r) => { writer.once('drain', r); writer.once('close', r); });
    }
    writer.destroy();
    assert.equal(await code, 1, stderr);
    assert.equal(stderr, `phaselock seq: ${fifo} is more than 64 MiB; the limit is 64 MiB\n`);
  });
});
