/**
 * A real terminal hangup (a closed terminal window, a dropped ssh session): the command runs
 * on a pseudo-terminal whose master side is then closed (test/cli/fixtures/pty-hangup.py).
 * Everything owed goes out (MIDI Stop, byebye) and the process ends by SIGHUP or exit 0 —
 * never by Node's abort (SIGABRT, a core dump) when it cannot restore the vanished terminal's
 * modes at exit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { withAbletonNamespace, type LinePeer, type Netns } from '../interop/harness.ts';
import { BIN, ENV, ROOT } from './helpers.ts';

const PTY = path.join(ROOT, 'test', 'cli', 'fixtures', 'pty-hangup.py');
const run = promisify(execFile);

/** What pty-hangup.py reports: the output, and how the process ended. */
function outcome(stdout: string): { output: string; how: string } {
  const at = stdout.lastIndexOf('\nRESULT ');
  assert.ok(at >= 0, `pty-hangup.py reported nothing: ${stdout}`);
  return { output: stdout.slice(0, at), how: stdout.slice(at + 8).trim() };
}

const ENDED_BY_HANGUP = /^(signal 1|exit 0)$/;

describe('a terminal hangup', () => {
  it('clock on a terminal: Stop written, then it ends by SIGHUP (no abort, no core)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-hup-'));
    const file = path.join(dir, 'clock.jsonl');
    const { stdout } = await run('python3', [PTY, '10', 'start in', process.execPath, BIN, 'clock', '--no-link', '--to', `record:${file}`],
      { env: ENV, cwd: ROOT, timeout: 20_000 });
    const { output, how } = outcome(stdout);
    assert.match(output, /start in [\d.]+ ms/);
    assert.match(how, ENDED_BY_HANGUP, `phaselock ended by ${how}; output: ${output}`);
    const last = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!) as { bytes: number[] };
    assert.deepEqual(last.bytes, [0xfc], 'the last message recorded is a MIDI Stop');
  });

  describe('the live view on a terminal, next to an Ableton peer', () => {
    let ns: Netns;
    let ableton: LinePeer;
    withAbletonNamespace('plhup', { bpm: 120 }, (fx) => {
      ({ ns, ableton } = fx);
    });

    it('hung up: terminal gone, byebye sent (the peer sees it leave), ends by SIGHUP', async () => {
      const mark = ableton.events.length;
      const child = ns.exec('python3', [PTY, '20', '-', process.execPath, BIN], { env: { ...ENV, TERM: 'xterm' }, cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 1, 8000, mark);
      const joined = ableton.events.length;
      child.stdin!.end('hang up\n'); // pty-hangup.py closes the terminal now
      await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 5000, joined);
      await closed;
      const { how } = outcome(stdout);
      assert.match(how, ENDED_BY_HANGUP, `phaselock ended by ${how}`);
    });
  });
});
