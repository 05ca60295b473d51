// YAML cue lists: the same list as JSON, bar.beat read as written, problems with their lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CueListError, parseCueList } from './cue-list.ts';
import { parseCueListYaml } from './cue-list-yaml.ts';

const problems = (fn: () => unknown): CueListError => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CueListError, String(err));
    return err;
  }
  assert.fail('expected a CueListError');
};

const YAML = `# two acts and a finale
bpm: 120
cues:
  - { at: 1.1, do: load, file: act1.mp4 }
  - at: 9.1          # the second act, on the downbeat of bar 9
    do: load
    file: act2.mp4
    offset: 2.5
  - { at: "17.3", do: set, property: volume, value: 50 }
  - { at: 2.3.3, do: pause }
  - { at: 96, do: command, command: [show-text, Finale, 2000] }
`;

const JSON_TEXT = JSON.stringify({
  bpm: 120,
  cues: [
    { at: '1.1', do: 'load', file: 'act1.mp4' },
    { at: '9.1', do: 'load', file: 'act2.mp4', offset: 2.5 },
    { at: '17.3', do: 'set', property: 'volume', value: 50 },
    { at: '2.3.3', do: 'pause' },
    { at: 96, do: 'command', command: ['show-text', 'Finale', 2000] },
  ],
});

describe('YAML cue lists', () => {
  it('give the same list as the JSON one; a plain 9.1 is bar 9 beat 1, a whole number is beats', () => {
    const y = parseCueListYaml(YAML);
    assert.deepEqual(y, parseCueList(JSON_TEXT));
    assert.deepEqual(y.cues.map((c) => c.atBeats), [0, 6.5, 32, 66, 96]);
  });

  it('a bare sequence of cues is a list too; relative files are checked against baseDir', () => {
    const seen: string[] = [];
    const list = parseCueListYaml('- { at: 1.1, do: load, file: a.mp4 }\n- { at: 5.1, do: load, file: /abs/b.mp4 }\n', {
      baseDir: '/srv/show', fileExists: (f) => (seen.push(f), true),
    });
    assert.equal(list.cues.length, 2);
    assert.deepEqual(seen, ['/srv/show/a.mp4', '/abs/b.mp4']);
  });

  it('every bad cue is a problem with its cue number and the line it starts on', () => {
    const e = problems(() => parseCueListYaml(`bpm: 120
cues:
  - { at: 1.1, do: load, file: act1.mp4 }
  - at: 9.5
    do: load
    file: act2.mp4
  - { at: 12.1, do: dance }
`));
    assert.deepEqual(e.problems.map((p) => [p.index, p.line]), [[1, 4], [2, 7]]);
    assert.match(e.message, /cue 2, line 4: .*bad position/);
    assert.match(e.message, /cue 3, line 7: .*dance/);
  });

  it('YAML syntax errors carry their line; duplicate keys are an error, not a silent overwrite', () => {
    const syntax = problems(() => parseCueListYaml('bpm: 120\ncues:\n  - { at: 1.1, do: load, file: a.mp4\n'));
    assert.match(syntax.message, /not valid YAML/);
    assert.ok((syntax.problems[0]?.line ?? 0) >= 3, `line ${syntax.problems[0]?.line}`);
    const dup = problems(() => parseCueListYaml('bpm: 120\nbpm: 90\ncues: []\n'));
    assert.match(dup.message, /line 2: not valid YAML: .*unique/i);
  });

  it('a document that expands aliases without end (billion laughs) is refused, not expanded', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    text += 'cues: *a8\n';
    const e = problems(() => parseCueListYaml(text));
    assert.match(e.message, /not usable YAML: .*alias/i);
  });

  it('not a string: TypeError', () => {
    assert.throws(() => parseCueListYaml(42 as unknown as string), TypeError);
  });
});
