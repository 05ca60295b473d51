/**
 * End to end: `phaselock` (the live terminal UI) under tmux, in a network namespace next to a
 * real Ableton Link peer. The screen is read with capture-pane; keys go one per send-keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAbletonPeer, monoMicros, Netns, sleep, startAbletonPeer, waitFor, type LinePeer } from '../interop/harness.ts';
import { BIN, shq, Tmux, running } from './helpers.ts';

const near = (a: number, b: number, eps = 0.01) => Math.abs(a - b) < eps;

describe('phaselock live UI under tmux, next to an Ableton peer', () => {
  let ns: Netns | undefined;
  let ableton: LinePeer;
  let tmux: Tmux | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-tui-'));
  const pidFile = (tag: string) => path.join(dir, tag);
  const pidOf = (tag: string) => waitFor(() => {
    try {
      return Number(readFileSync(pidFile(tag), 'utf8')) || undefined;
    } catch {
      return undefined;
    }
  }, { what: `the pid of ${tag}` });

  before(async () => {
    await buildAbletonPeer();
    ns = await Netns.create('plcli');
    ableton = await startAbletonPeer(ns, { startStopSync: true, bpm: 120, label: 'ableton' });
    await ableton.command('enable');
    // Save the terminal settings, run the UI, then report its exit code and whether the
    // terminal settings came back exactly; keep the pane open for inspection. Four runs, each
    // after an Enter: ended by q, by Ctrl-C, by a forced exit, by its parent's death.
    const same = `SAME_TTY=$([ "$S" = "$(stty -g)" ] && echo yes || echo no)`;
    const run = (tag: string) =>
      `sh -c 'echo $$ > ${shq(pidFile(tag))}; exec node ${shq(BIN)} --quantum 4'; echo "${tag}=$? ${same}"`;
    // Like npx: an intermediate parent (npm) runs phaselock; the parent dies (SIGKILL here; npm
    // on SIGTERM does not forward it) and phaselock, orphaned, must still give the terminal back.
    const orphan = `sh -c 'echo $$ > ${shq(pidFile('PARENT4'))}; node ${shq(BIN)} --quantum 4 </dev/tty & ` +
      `echo $! > ${shq(pidFile('EXIT4'))}; wait'; read -r _; echo "EXIT4 ${same}"`;
    const cmd = `S=$(stty -g); ${run('EXIT')}; read -r _; ${run('EXIT2')}; read -r _; ${run('EXIT3')}; read -r _; ${orphan}; sleep 60`;
    tmux = await Tmux.start(ns, cmd);
  });

  after(async () => {
    await tmux?.kill();
    await ableton?.close();
    await ns?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the session: enabled, 1 peer, quantum, sync, transport, tempo, beat and the phase bar', async () => {
    const screen = await tmux!.waitForScreen(/peers\s+1\b/, 'the UI to show 1 peer', 8000);
    // Joined a session whose start/stop state it has not heard (Link shares changes, not the state).
    for (const re of [/enabled\s+yes/, /quantum\s+4\b/, /start\/stop\s+sync on/, /transport\s+unknown/,
      /tempo\s+120\.00 bpm/, /beat\s+-?\d+\.\d\d/, /(\[ {3}\]|\[###\]){4}/]) {
      assert.match(screen, re);
    }
    assert.equal(await tmux!.format('#{alternate_on} #{cursor_flag}'), '1 0', 'alternate screen, cursor hidden');
  });

  it('refreshes at least 30 times a second: the beat on screen lags real time by under 1/30 s', async () => {
    const beat = (screen: string) => Number(/beat\s+(-?\d+\.\d\d)/.exec(screen)?.[1]);
    const samples: Array<{ before: number; after: number; beat: number }> = [];
    for (let i = 0; i < 10; i++) {
      const before = monoMicros();
      const b = beat(await tmux!.capture());
      samples.push({ before, after: monoMicros(), beat: b });
      await new Promise((r) => setTimeout(r, 37));
    }
    // A capture shows a frame drawn at most one frame period before it was taken. At 120 bpm
    // (2 beats/s) with a period under 1/30 s, the beat moves between two captures by the time
    // between them, ± one period (± 0.01: the screen rounds to 1/100 beat).
    const rate = 2 / 1e6;
    const slack = (1e6 / 30) * rate + 0.01;
    for (let i = 1; i < samples.length; i++) {
      const [a, b] = [samples[i - 1]!, samples[i]!];
      const lo = (b.before - a.after) * rate - slack;
      const hi = (b.after - a.before) * rate + slack;
      assert.ok(b.beat - a.beat >= lo && b.beat - a.beat <= hi,
        `beat ${a.beat} → ${b.beat}: moved ${b.beat - a.beat}, expected [${lo}, ${hi}]`);
    }
  });

  it('e raises the Ableton peer\'s tempo by 1 bpm', async () => {
    const mark = ableton.events.length;
    await tmux!.key('e');
    await ableton.waitForEvent((e) => e.event === 'tempo' && near(e.bpm, 121), 3000, mark);
    assert.ok(near((await ableton.status()).tempo, 121));
    await tmux!.waitForScreen(/tempo\s+121\.00 bpm/, 'the UI to show 121 bpm', 2000);
  });

  it('space starts the Ableton peer\'s transport (quantized: the UI counts in with negative beats, the message counts down)', async () => {
    // Press early in a bar, so that the count-in to the next bar lasts over a second.
    await ableton.waitFor(async () => {
      const phase = (await ableton.status()).phase;
      return phase > 0.1 && phase < 1.2;
    }, { timeoutMs: 4000, what: 'the start of a bar' });
    const mark = ableton.events.length;
    const pressedAt = monoMicros();
    await tmux!.key('Space');
    const playing = await ableton.waitForEvent((e) => e.event === 'playing' && e.isPlaying === true, 2000, mark);
    assert.ok(playing.t - pressedAt < 1_000_000, `Ableton started ${(playing.t - pressedAt) / 1000} ms after the key`);
    const screen = await tmux!.waitForScreen(/transport\s+playing/, 'the UI to show playing', 1000);
    assert.match(screen, /beat\s+-\d\.\d\d/, 'negative beats during the count-in');
    assert.match(screen, /count-in\s+-[1-4]\s+\(beat 0 in \d\.\d\d s\)/);
    // The transport was unknown (see the first test): space starts, and says so.
    const countdown = (text: string) => {
      const row = /count-in\s+-[1-4]\s+\(beat 0 in (\d\.\d\d) s\)/.exec(text)?.[1];
      const message = /^ {2}transport was unknown: start at the next bar \(in (\d\.\d\d) s\)$/m.exec(text)?.[1];
      return { row: Number(row), message: Number(message) };
    };
    const first = countdown(screen);
    assert.ok(Number.isFinite(first.row), `a count-in row:\n${screen}`);
    assert.equal(first.message, first.row, `the message counts what the count-in row shows:\n${screen}`);
    await sleep(150);
    const laterScreen = await tmux!.capture();
    const later = countdown(laterScreen);
    assert.ok(Number.isFinite(later.row), `still counting in 150 ms later (a loaded machine?):\n${laterScreen}`);
    assert.equal(later.message, later.row);
    assert.ok(first.message - later.message >= 0.1, `the message counted down: ${first.message} s, then ${later.message} s`);
    const started = await tmux!.waitForScreen(/count-in\s+-\s*$/m, 'the count-in to end on the bar', 3000);
    assert.match(started, /^ {2}transport was unknown: started on the bar$/m);
    assert.equal((await ableton.status()).isPlaying, true);
  });

  it('q quits: exit code 0, terminal restored, byebye sent (the peer leaves at once, not after its timeout)', async () => {
    const mark = ableton.events.length;
    const t0 = monoMicros();
    await tmux!.key('q');
    const screen = await tmux!.waitForScreen(/EXIT=\d+/, 'phaselock to exit', 4000);
    assert.match(screen, /EXIT=0 SAME_TTY=yes/);
    assert.doesNotMatch(screen, /phaselock · Ableton Link/, 'the UI left the alternate screen');
    assert.equal(await tmux!.format('#{alternate_on} #{cursor_flag}'), '0 1', 'normal screen, cursor visible');
    const gone = await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 8000, mark);
    assert.ok(gone.t - t0 < 1_500_000, `the Ableton peer saw phaselock leave only after ${(gone.t - t0) / 1000} ms (no byebye?)`);
  });

  it('Ctrl-C quits the same way', async () => {
    await tmux!.key('Enter');
    await tmux!.waitForScreen(/peers\s+1\b/, 'the second UI to show 1 peer', 8000);
    await ableton.waitFor(async () => (await ableton.status()).numPeers === 1, { what: 'the Ableton peer to count phaselock' });
    const mark = ableton.events.length;
    const t0 = monoMicros();
    await tmux!.key('C-c');
    const screen = await tmux!.waitForScreen(/EXIT2=\d+/, 'the second phaselock to exit', 4000);
    assert.match(screen, /EXIT2=0 SAME_TTY=yes/);
    assert.equal(await tmux!.format('#{alternate_on} #{cursor_flag}'), '0 1');
    const gone = await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 8000, mark);
    assert.ok(gone.t - t0 < 1_500_000, `left after ${(gone.t - t0) / 1000} ms`);
  });

  it('two signals at once (the second forces the exit if the cleanup still runs): the terminal is restored either way', async () => {
    await tmux!.key('Enter');
    await tmux!.waitForScreen(/peers\s+1\b/, 'the third UI to show 1 peer', 8000);
    const pid = await pidOf('EXIT3');
    // Both signals are delivered together, on SIGCONT. The clean exit usually completes within
    // the first one's turn of the event loop (0); a forced exit is 128 + n, and its process.exit
    // restores the terminal through the view's 'exit' listener.
    process.kill(pid, 'SIGSTOP');
    process.kill(pid, 'SIGINT');
    process.kill(pid, 'SIGTERM');
    process.kill(pid, 'SIGCONT');
    const screen = await tmux!.waitForScreen(/EXIT3=\d+/, 'the third phaselock to exit', 4000);
    assert.match(screen, /EXIT3=(0|130|143) SAME_TTY=yes/);
    assert.equal(await tmux!.format('#{alternate_on} #{cursor_flag}'), '0 1');
  });

  it('its parent killed (npx on SIGTERM): the orphaned UI notices, gives the terminal back and leaves (byebye)', async () => {
    await tmux!.key('Enter');
    await tmux!.waitForScreen(/peers\s+1\b/, 'the fourth UI to show 1 peer', 8000);
    await ableton.waitFor(async () => (await ableton.status()).numPeers === 1, { what: 'the Ableton peer to count phaselock' });
    const [parent, pid] = [await pidOf('PARENT4'), await pidOf('EXIT4')];
    const mark = ableton.events.length;
    const t0 = monoMicros();
    process.kill(parent, 'SIGKILL');
    await waitFor(() => !running(pid), { timeoutMs: 5000, what: 'the orphaned phaselock to exit' });
    const gone = await ableton.waitForEvent((e) => e.event === 'peers' && e.n === 0, 8000, mark);
    assert.ok(gone.t - t0 < 3_000_000, `left after ${(gone.t - t0) / 1000} ms (the parent is checked every second)`);
    assert.equal(await tmux!.format('#{alternate_on} #{cursor_flag}'), '0 1', 'normal screen, cursor visible');
    await tmux!.key('Enter');
    const screen = await tmux!.waitForScreen(/EXIT4 SAME_TTY=\w+/, 'the shell to compare the terminal settings', 4000);
    assert.match(screen, /EXIT4 SAME_TTY=yes/, 'raw mode undone');
  });
});
