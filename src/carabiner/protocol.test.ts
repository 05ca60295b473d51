import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LineFramer, formatBeatAtTime, formatPhaseAtTime, formatStatus, formatTimeAtBeat, formatVersion, parseCommand,
  parseTimeMicros,
} from './protocol.ts';

describe('parseCommand', () => {
  it('parses every command of the README with its arguments', () => {
    assert.deepEqual(parseCommand('status'), { cmd: 'status' });
    assert.deepEqual(parseCommand('version'), { cmd: 'version' });
    assert.deepEqual(parseCommand('bpm 140.0'), { cmd: 'bpm', bpm: 140 });
    assert.deepEqual(parseCommand('beat-at-time 73746356220 4'), { cmd: 'beat-at-time', timeMicros: 73746356220, quantum: 4 });
    assert.deepEqual(parseCommand('phase-at-time 73746356220 4'), { cmd: 'phase-at-time', timeMicros: 73746356220, quantum: 4 });
    assert.deepEqual(parseCommand('time-at-beat 100 4'), { cmd: 'time-at-beat', beat: 100, quantum: 4 });
    assert.deepEqual(parseCommand('force-beat-at-time 1.0 73746356220 4'),
      { cmd: 'force-beat-at-time', beat: 1, timeMicros: 73746356220, quantum: 4 });
    assert.deepEqual(parseCommand('request-beat-at-time -2 73746356220 3'),
      { cmd: 'request-beat-at-time', beat: -2, timeMicros: 73746356220, quantum: 3 });
    assert.deepEqual(parseCommand('enable-start-stop-sync'), { cmd: 'enable-start-stop-sync' });
    assert.deepEqual(parseCommand('disable-start-stop-sync'), { cmd: 'disable-start-stop-sync' });
    assert.deepEqual(parseCommand('start-playing 123'), { cmd: 'start-playing', timeMicros: 123 });
    assert.deepEqual(parseCommand('stop-playing 124'), { cmd: 'stop-playing', timeMicros: 124 });
  });

  it('answers bad-bpm for a missing, unparseable or out-of-range tempo, echoing the input', () => {
    for (const [line, response] of [
      ['bpm', 'bad-bpm'], ['bpm fast', 'bad-bpm fast'], ['bpm 19.99', 'bad-bpm 19.99'], ['bpm 999.5', 'bad-bpm 999.5'],
      ['bpm 0x40', 'bad-bpm 0x40'], ['bpm Infinity', 'bad-bpm Infinity'], ['bpm NaN', 'bad-bpm NaN'],
    ]) {
      assert.deepEqual(parseCommand(line!), { cmd: 'error', response }, line);
    }
    assert.deepEqual(parseCommand('bpm 20'), { cmd: 'bpm', bpm: 20 });
    assert.deepEqual(parseCommand('bpm 999'), { cmd: 'bpm', bpm: 999 });
  });

  it('names the first bad argument: bad-time, bad-quantum or bad-beat', () => {
    const word = (line: string) => {
      const r = parseCommand(line);
      return r && r.cmd === 'error' ? r.response.split(' ')[0] : r?.cmd;
    };
    assert.equal(word('beat-at-time'), 'bad-time');
    assert.equal(word('beat-at-time soon 4'), 'bad-time');
    assert.equal(word('beat-at-time 100'), 'bad-quantum');
    assert.equal(word('phase-at-time 100 0'), 'bad-quantum');
    assert.equal(word('phase-at-time 100 -4'), 'bad-quantum');
    assert.equal(word('time-at-beat x 4'), 'bad-beat');
    assert.equal(word('time-at-beat 1 q'), 'bad-quantum');
    assert.equal(word('force-beat-at-time 1 x 4'), 'bad-time');
    assert.equal(word('force-beat-at-time x 1 4'), 'bad-beat');
    assert.equal(word('request-beat-at-time 1 2'), 'bad-quantum');
    assert.equal(word('start-playing'), 'bad-time');
    assert.equal(word('stop-playing now'), 'bad-time');
    assert.equal(word('beat-at-time 1e300 4'), 'bad-time');
  });

  it('answers unsupported <command> for anything else, keeping the echo printable and short', () => {
    assert.deepEqual(parseCommand('frobnicate 1 2'), { cmd: 'error', response: 'unsupported frobnicate' });
    assert.deepEqual(parseCommand('STATUS'), { cmd: 'error', response: 'unsupported STATUS' });
    assert.deepEqual(parseCommand('a\u0007b'), { cmd: 'error', response: 'unsupported a?b' });
    const r = parseCommand('x'.repeat(500));
    assert.ok(r && r.cmd === 'error' && r.response.length < 80, JSON.stringify(r));
  });

  it('ignores blank lines, extra spaces, tabs, a trailing CR and extra arguments', () => {
    assert.equal(parseCommand(''), undefined);
    assert.equal(parseCommand('   \t '), undefined);
    assert.deepEqual(parseCommand('  bpm \t 128.5  \r'), { cmd: 'bpm', bpm: 128.5 });
    assert.deepEqual(parseCommand('status please'), { cmd: 'status' });
  });

  it('rounds a decimal time half away from zero', () => {
    assert.equal(parseTimeMicros('10.5'), 11);
    assert.equal(parseTimeMicros('-10.5'), -11);
    assert.equal(parseTimeMicros('9007199254740993'), undefined);
  });
});

describe('formatting', () => {
  it('reproduces the README examples byte for byte', () => {
    assert.equal(formatStatus({ peers: 0, bpm: 120, startMicros: 73743731220, beat: 597.73757 }),
      'status { :peers 0 :bpm 120.000000 :start 73743731220 :beat 597.737570 }');
    assert.equal(formatStatus({ peers: 0, bpm: 120, startMicros: 73743731220, beat: 597.73757, playing: true }),
      'status { :peers 0 :bpm 120.000000 :start 73743731220 :beat 597.737570 :playing true }');
    assert.equal(formatBeatAtTime(73746356220, 4, 5.25), 'beat-at-time { :when 73746356220 :quantum 4.000000 :beat 5.250000 }');
    assert.equal(formatPhaseAtTime(73746356220, 4, 1.25), 'phase-at-time { :when 73746356220 :quantum 4.000000 :phase 1.250000 }');
    assert.equal(formatTimeAtBeat(100, 4, 73793731220), 'time-at-beat { :beat 100.000000 :quantum 4.000000 :when 73793731220 }');
    assert.equal(formatVersion('1.1.0'), 'version "1.1.0"');
  });

  it('never prints a negative zero', () => {
    assert.equal(formatBeatAtTime(1, 4, -1e-9), 'beat-at-time { :when 1 :quantum 4.000000 :beat 0.000000 }');
  });
});

describe('LineFramer', () => {
  it('splits several lines in one chunk and joins a line split across chunks', () => {
    const f = new LineFramer();
    assert.deepEqual(f.push('status\nbpm 1'), [{ kind: 'line', text: 'status' }]);
    assert.equal(f.pending, 'bpm 1');
    assert.deepEqual(f.push('20\r\nversion\n'), [{ kind: 'line', text: 'bpm 120' }, { kind: 'line', text: 'version' }]);
    assert.equal(f.pending, '');
  });

  it('reports an overlong line once, drops it up to the next newline without buffering it, then goes on', () => {
    const f = new LineFramer(16);
    assert.deepEqual(f.push('x'.repeat(10)), []);
    assert.deepEqual(f.push('x'.repeat(10)), [{ kind: 'too-long' }]);
    assert.equal(f.pending, '');
    assert.deepEqual(f.push('y'.repeat(100_000)), []);
    assert.equal(f.pending, '');
    assert.deepEqual(f.push('zz\nstatus\n'), [{ kind: 'line', text: 'status' }]);
    assert.deepEqual(f.push(`${'a'.repeat(16)}\n`), [{ kind: 'line', text: 'a'.repeat(16) }]);
  });

  it('flush ends a partial line; reset forgets it', () => {
    const f = new LineFramer();
    f.push('status');
    assert.deepEqual(f.flush(), { kind: 'line', text: 'status' });
    assert.equal(f.flush(), undefined);
    f.push('bpm 15');
    f.reset();
    assert.deepEqual(f.push('0\n'), [{ kind: 'line', text: '0' }]);
  });
});
