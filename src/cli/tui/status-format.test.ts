import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiveStatus } from './hut.ts';
import { formatJsonStatus, formatStatusText, phaseBar, renderScreen, visibleLength } from './status-format.ts';

const base: LiveStatus = {
  t: 123_456_789,
  enabled: true,
  numPeers: 1,
  quantum: 4,
  startStopSync: true,
  isPlaying: false,
  transport: 'stopped',
  tempo: 120,
  beat: 6.6012345678,
  phase: 2.6012345678,
  countInBeat: 6.6012345678,
};

describe('formatJsonStatus', () => {
  it('has every field, beat and phase rounded to 1e-6, and the reason', () => {
    assert.deepEqual(JSON.parse(formatJsonStatus(base, 'tick')), {
      t: 123456789, reason: 'tick', enabled: true, numPeers: 1, quantum: 4, startStopSync: true,
      isPlaying: false, tempo: 120, beat: 6.601235, phase: 2.601235,
    });
  });

  it('is one line, and isPlaying is null when the transport is not known', () => {
    const line = formatJsonStatus(base, 'status', { transportKnown: false });
    assert.ok(!line.includes('\n'));
    assert.equal(JSON.parse(line).isPlaying, null);
    assert.equal(JSON.parse(formatJsonStatus({ ...base, transport: 'unknown' }, 'tick')).isPlaying, null);
    assert.deepEqual(Object.keys(JSON.parse(line)), ['t', 'reason', 'enabled', 'numPeers', 'quantum', 'startStopSync', 'isPlaying', 'tempo', 'beat', 'phase']);
  });
});

describe('phaseBar', () => {
  it('lights the cell of the current beat', () => {
    assert.equal(phaseBar(0, 4), '[###][   ][   ][   ]');
    assert.equal(phaseBar(2.999, 4), '[   ][   ][###][   ]');
    assert.equal(phaseBar(3.5, 4), '[   ][   ][   ][###]');
  });

  it('has ceil(quantum) cells and narrows to one character per cell when wide cells do not fit', () => {
    assert.equal(phaseBar(2.2, 2.5), '[   ][   ][###]');
    assert.equal(phaseBar(5, 16, 40), '.....#..........');
    assert.equal(phaseBar(0, 1), '[###]');
  });
});

describe('renderScreen', () => {
  const text = (s: LiveStatus, opts = {}) => renderScreen(s, { width: 100, ...opts }).join('\n');

  it('shows every field LinkHut shows', () => {
    const screen = text(base);
    for (const re of [/enabled\s+yes/, /peers\s+1\b/, /quantum\s+4\b/, /start\/stop\s+sync on/, /transport\s+stopped/,
      /tempo\s+120\.00 bpm/, /beat\s+6\.60\b/, /count-in\s+-$/m, /\[ {3}\]\[ {3}\]\[###\]\[ {3}\]/]) {
      assert.match(screen, re);
    }
  });

  it('counts in with negative beats after a quantized start', () => {
    const screen = text({ ...base, isPlaying: true, transport: 'playing', beat: -2.5, phase: 1.5, countInBeat: -2.5 });
    assert.match(screen, /transport\s+playing/);
    assert.match(screen, /beat\s+-2\.50/);
    assert.match(screen, /count-in\s+-3 {3}\(beat 0 in 1\.25 s\)/);
  });

  it('counts in to the bar of the quantum the start was for, not to a beat the quantum moved', () => {
    const moved = text({ ...base, isPlaying: true, transport: 'playing', quantum: 8, beat: -1.4, phase: 6.6, countInBeat: 2.6 });
    assert.match(moved, /beat\s+-1\.40/);
    assert.match(moved, /count-in\s+-$/m);
    const during = text({ ...base, isPlaying: true, transport: 'playing', quantum: 3, beat: -1.5, phase: 1.5, countInBeat: -2.5 });
    assert.match(during, /count-in\s+-3 {3}\(beat 0 in 1\.25 s\)/);
  });

  it('says playing, stopped or unknown', () => {
    assert.match(text({ ...base, transport: 'unknown' }), /transport\s+unknown {2,}\[space\]/);
    assert.match(text(base), /transport\s+stopped/);
    assert.match(text({ ...base, isPlaying: true, transport: 'playing' }), /transport\s+playing/);
  });

  it('shows the help on demand and the last message', () => {
    assert.doesNotMatch(text(base), /tap tempo/);
    assert.match(text(base, { helpVisible: true, message: 'tempo 121.00 bpm' }), /T\s+tap tempo[\s\S]*q\s+quit/);
    assert.match(text(base, { message: 'tempo 121.00 bpm' }), /^ {2}tempo 121\.00 bpm$/m);
  });

  it('with colours only adds escapes: the visible text is the same', () => {
    const plain = renderScreen({ ...base, isPlaying: true, transport: 'playing' }, { width: 100 });
    const coloured = renderScreen({ ...base, isPlaying: true, transport: 'playing' }, { width: 100, color: true });
    assert.deepEqual(coloured.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '')), plain);
    assert.ok(coloured.some((l) => visibleLength(l) !== l.length));
  });
});

describe('formatStatusText', () => {
  it('prints peers, tempo, beat with quantum and phase, and transport', () => {
    assert.equal(formatStatusText(base), [
      'peers       1',
      'tempo       120.00 bpm',
      'beat        6.601 (quantum 4, phase 2.601)',
      'transport   stopped',
    ].join('\n'));
    assert.match(formatStatusText(base, { transportKnown: false }), /transport {3}unknown/);
    assert.match(formatStatusText({ ...base, transport: 'unknown' }), /transport {3}unknown \(Link shares/);
    assert.match(formatStatusText({ ...base, isPlaying: true, transport: 'playing' }), /transport {3}playing$/);
  });
});
