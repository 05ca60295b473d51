// The `--to` outputs of clock and seq: spec parsing, a file that cannot be written (at open and
// later), and the native outputs' errors where there is no MIDI subsystem.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { hrClock } from '../node/host-clock.ts';
import { midiSubsystemProblem } from '../node/midi/native-midi.ts';
import { fileProblem, JsonLinesFileOutput, openTarget, parseTargetSpec } from './midi-target.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'phaselock-target-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const errno = (code: string) => Object.assign(new Error(`${code}: raw message`), { code });

describe('parseTargetSpec', () => {
  it('reads record:, console, virtual:, native:, an index and a name', () => {
    assert.deepEqual(parseTargetSpec('record:out.jsonl'), { kind: 'record', path: 'out.jsonl' });
    assert.deepEqual(parseTargetSpec('console'), { kind: 'console' });
    assert.deepEqual(parseTargetSpec('virtual:phaselock out'), { kind: 'virtual', name: 'phaselock out' });
    assert.deepEqual(parseTargetSpec('native:IAC Bus 1'), { kind: 'port', port: 'IAC Bus 1' });
    assert.deepEqual(parseTargetSpec('native:2'), { kind: 'port', port: 2 });
    assert.deepEqual(parseTargetSpec('1'), { kind: 'port', port: 1 });
    assert.deepEqual(parseTargetSpec('USB MIDI'), { kind: 'port', port: 'USB MIDI' });
  });

  it('refuses a prefix without a name', () => {
    for (const spec of ['record:', 'virtual:', 'native:']) assert.throws(() => parseTargetSpec(spec), RangeError, spec);
  });
});

describe('record:FILE', () => {
  it('names the errno a user meets in words, anything else by its message', () => {
    assert.equal(fileProblem(errno('ENOENT')), 'no such directory');
    assert.equal(fileProblem(errno('EACCES')), 'permission denied');
    assert.equal(fileProblem(errno('EISDIR')), 'is a directory');
    assert.equal(fileProblem(errno('ENOSPC')), 'no space left on device');
    assert.equal(fileProblem(errno('EIO')), 'input/output error');
    assert.equal(fileProblem(errno('EWHATEVER')), 'EWHATEVER: raw message');
  });

  it('opening a file in a directory that does not exist rejects with "cannot write FILE: no such directory"', async () => {
    const file = path.join(dir, 'missing', 'x.jsonl');
    await assert.rejects(JsonLinesFileOutput.open(file), { message: `cannot write ${file}: no such directory` });
    await assert.rejects(openTarget(`record:${file}`), { message: `cannot write ${file}: no such directory` });
    await assert.rejects(JsonLinesFileOutput.open(dir), { message: `cannot write ${dir}: is a directory` });
  });

  it('a write error later aborts `failure` (never an uncaught error); close still resolves', { skip: !existsSync('/dev/full') && 'no /dev/full' }, async () => {
    const out = await JsonLinesFileOutput.open('/dev/full');
    assert.equal(out.failure.aborted, false);
    const failed = new Promise<unknown>((resolve) => out.failure.addEventListener('abort', () => resolve(out.failure.reason)));
    out.send(Uint8Array.of(0xfa), hrClock.micros());
    const reason = await failed;
    assert.ok(reason instanceof Error);
    assert.equal(reason.message, 'cannot write /dev/full: no space left on device');
    out.send(Uint8Array.of(0xfc), hrClock.micros()); // dropped, not thrown
    await out.close();
  });

  it('the constructor (background open) reports a bad path through `failure` too', async () => {
    const file = path.join(dir, 'missing', 'y.jsonl');
    const out = new JsonLinesFileOutput(file);
    await new Promise((resolve) => out.failure.addEventListener('abort', resolve));
    assert.equal((out.failure.reason as Error).message, `cannot write ${file}: no such directory`);
    await out.close();
  });

  it('writes one JSON line per message, when due', async () => {
    const file = path.join(dir, 'ok.jsonl');
    const out = await JsonLinesFileOutput.open(file);
    const t = hrClock.micros() + 5_000;
    out.send(Uint8Array.of(0xfc), t + 1);
    out.send(Uint8Array.of(0xfa), t);
    await out.close();
    assert.equal(out.failure.aborted, false);
    assert.equal(readFileSync(file, 'utf8'), `{"t":${t},"bytes":[250]}\n{"t":${t + 1},"bytes":[252]}\n`);
  });
});

describe('native outputs without a MIDI subsystem', () => {
  it('says the ALSA sequencer is missing (Linux), and nothing elsewhere', () => {
    assert.match(midiSubsystemProblem('linux', path.join(dir, 'no-seq')) ?? '', /^ALSA sequencer not available: .*no-seq does not exist/);
    assert.equal(midiSubsystemProblem('darwin', path.join(dir, 'no-seq')), undefined);
    assert.equal(midiSubsystemProblem('win32'), undefined);
  });

  it('a port and a virtual port fail with E_UNAVAILABLE and the reason', { skip: existsSync('/dev/snd/seq') && 'this machine has an ALSA sequencer' }, async () => {
    for (const spec of ['virtual:phaselock-test', 'phaselock-test-no-such-port']) {
      for (const mainThread of [false, true]) {
        await assert.rejects(openTarget(spec, { mainThread }), (err: { code?: string; message?: string }) => {
          assert.equal(err.code, 'E_UNAVAILABLE', `${spec}: ${err.message}`);
          assert.match(err.message ?? '', /^no MIDI subsystem \(|@julusian\/midi/);
          return true;
        });
      }
    }
  });
});
