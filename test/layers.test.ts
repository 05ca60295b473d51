// The layer rule of DESIGN.md §1, checked mechanically (besides ESLint): outside src/node and
// src/cli (and the package root, a composition root), source never touches Node I/O, timers
// or wall clocks. The pure part of the CLI, src/cli/tui (the live view's model, keys, tap
// tempo, status text), is held to the same rule, and imports nothing else from src/cli.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(import.meta.dirname, '..', 'src');
const NODE = path.join(SRC, 'node');
const CLI = path.join(SRC, 'cli');
/** Pure code inside the composition root: L0/L1 rules apply. */
const CLI_PURE = path.join(CLI, 'tui');

const inside = (file: string, dir: string) => file === dir || file.startsWith(dir + path.sep);

/** Whether `file` (a path under src/) is held to the L0/L1 rule. */
function isL0L1(file: string): boolean {
  if (inside(file, CLI_PURE)) return true;
  return !inside(file, NODE) && !inside(file, CLI) && file !== path.join(SRC, 'index.ts');
}

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* sourceFiles(full);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && isL0L1(full)) yield full;
  }
}

const FORBIDDEN: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'a node: import'],
  // The injected Timers interface has a method of that name: `.setTimeout(` calls and member
  // declarations (`setTimeout(fn: …`) are fine; the global is not (ESLint checks it too).
  [/(^|[^.\w])setTimeout\s*\((?!\s*\w+\s*:)/, 'setTimeout'],
  [/(^|[^.\w])setInterval\s*\(/, 'setInterval'],
  [/\bDate\.now\s*\(/, 'Date.now'],
  [/\bperformance\.now\s*\(/, 'performance.now'],
  [/\bprocess\./, 'process'],
];

/** An import that points up: into src/node, or into src/cli outside its pure part. */
function importsUp(file: string, code: string): string | undefined {
  const spec = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/.exec(code)?.[1];
  if (!spec) return undefined;
  const target = path.resolve(path.dirname(file), spec);
  // L0/L1 never imports src/node or src/cli; src/cli/tui imports only itself from src/cli.
  const fromPureCli = inside(file, CLI_PURE) && inside(target, CLI_PURE);
  if (inside(target, NODE) || (inside(target, CLI) && !fromPureCli)) return `an import of ${path.relative(SRC, target)}`;
  return undefined;
}

test('L0/L1 source (and src/cli/tui) never touches node:, timers, Date.now, performance or process', () => {
  const offences: string[] = [];
  const scanned: string[] = [];
  for (const file of sourceFiles(SRC)) {
    scanned.push(path.relative(SRC, file));
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (/^\s*(\*|\/\*\*?)/.test(line)) return; // doc comments and examples
      const where = `${path.relative(SRC, file)}:${i + 1}`;
      for (const [re, what] of FORBIDDEN) if (re.test(code)) offences.push(`${where}: ${what}`);
      const up = importsUp(file, code);
      if (up) offences.push(`${where}: ${up}`);
    });
  }
  assert.ok(scanned.length > 10, `only ${scanned.length} files scanned`);
  for (const pure of ['hut.ts', 'keys.ts', 'tap-tempo.ts', 'status-format.ts']) {
    assert.ok(scanned.includes(path.join('cli', 'tui', pure)), `src/cli/tui/${pure} is not scanned`);
  }
  assert.deepEqual(offences, []);
});

test('the layer check itself flags upward imports (from src/cli/tui, and into it from L0/L1)', () => {
  const file = path.join(CLI_PURE, 'x.ts');
  assert.match(importsUp(file, "import { runLive } from '../live.ts';") ?? '', /cli\/live\.ts/);
  assert.match(importsUp(file, "import { Link } from '../../node/link/link.ts';") ?? '', /node\/link/);
  assert.equal(importsUp(file, "import type { TimelineSource } from '../../sched/timeline-source.ts';"), undefined);
  assert.equal(importsUp(file, "import { TapTempo } from './tap-tempo.ts';"), undefined);
  assert.match(importsUp(path.join(SRC, 'midi', 'x.ts'), "import { LinkHut } from '../cli/tui/hut.ts';") ?? '', /cli\/tui\/hut/);
});
