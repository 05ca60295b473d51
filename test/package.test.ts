// The built package, as a user gets it: compiled to JavaScript (no tsx), imported through its
// entry points, the timing thread started from its compiled script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

test('the compiled package root exports the Node MIDI adapters, and its timing thread runs without tsx', { timeout: 120_000 }, () => {
  // Inside the repository so that bare imports resolve from its node_modules.
  const out = mkdtempSync(path.join(ROOT, '.test-build-'));
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out], { stdio: 'inherit' });
    const script = `
      const root = await import(${JSON.stringify(path.join(out, 'index.js'))});
      const midi = await import(${JSON.stringify(path.join(out, 'midi/index.js'))});
      for (const name of ['Link', 'openPreciseOutput', 'openNativeMidiOutput', 'listNativeMidiOutputs', 'nodePreciseTimers', 'PreciseWorkerOutput'])
        if (typeof root[name] !== 'function') throw new Error('phaselock has no ' + name);
      if (typeof midi.MidiClockOut !== 'function') throw new Error('phaselock/midi has no MidiClockOut');
      const rtpmidi = await import(${JSON.stringify(path.join(out, 'rtpmidi/index.js'))});
      for (const name of ['RtpMidiEndpoint', 'JournalSender', 'JournalReceiver', 'decodeRtpMidi'])
        if (typeof rtpmidi[name] !== 'function') throw new Error('phaselock/rtpmidi has no ' + name);
      const show = await import(${JSON.stringify(path.join(out, 'show/index.js'))});
      if (typeof show.MpvClient !== 'function') throw new Error('phaselock/show has no MpvClient');
      for (const name of ['nodeRuntime', 'advertiseRtpMidi', 'browseRtpMidi', 'spawnMpv'])
        if (typeof root[name] !== 'function') throw new Error('phaselock has no ' + name);
      const output = await root.openPreciseOutput({ kind: 'record' }, { realtime: false, nice: false });
      const t0 = root.hrClock.micros() + 20000;
      for (let i = 0; i < 5; i++) output.send(Uint8Array.of(0xf8), t0 + i * 1000);
      await new Promise((r) => setTimeout(r, 200));
      await output.close();
      process.stdout.write(JSON.stringify({ sent: output.sent.length, early: output.sent.filter((s) => s.sentAtMicros < s.timeMicros).length, gc: output.gc }));`;
    // No --import tsx here: plain Node, as an installed package runs; run as `node -e` with a
    // V8 flag, the two kinds of parent flag a worker must not be given.
    const result = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' })) as { sent: number; early: number; gc: unknown };
    assert.equal(result.sent, 5);
    assert.equal(result.early, 0);
    assert.ok(result.gc, 'the compiled thread reports its collections');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
