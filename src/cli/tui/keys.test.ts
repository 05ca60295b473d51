import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitKeys } from './keys.ts';

describe('splitKeys', () => {
  it('gives one key per character, line ends dropped', () => {
    assert.deepEqual(splitKeys('e E\n'), ['e', ' ', 'E']);
    assert.deepEqual(splitKeys('q\r\n'), ['q']);
  });

  it('drops escape sequences (arrows, function keys, SS3) and a lone Escape', () => {
    assert.deepEqual(splitKeys('\x1b[Ae\x1b[1;5Cw\x1bOPq\x1b'), ['e', 'w', 'q']);
  });

  it('keeps Ctrl-C as a key (raw mode delivers it as a byte)', () => {
    assert.deepEqual(splitKeys('\x03'), ['\x03']);
  });
});
