// The layer rule of DESIGN.md §1, checked mechanically (besides ESLint): outside src/node and
// src/cli (and the package root, a composition root), source never touches Node I/O, timers
// or wall clocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(import.meta.dirname, '..', 'src');
const EXEMPT = new Set(['node', 'cli']);

function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      if (dir === SRC && EXEMPT.has(name)) continue;
      yield* sourceFiles(full);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && full !== path.join(SRC, 'index.ts')) {
      yield full;
    }
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
  [/from\s+['"][./]*\/(node|cli)\//, 'an import of src/node or src/cli'],
];

test('L0/L1 source never touches node:, timers, Date.now, performance or process', () => {
  const offences: string[] = [];
  let files = 0;
  for (const file of sourceFiles(SRC)) {
    files++;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      if (/^\s*(\*|\/\*\*?)/.test(line)) return; // doc comments and examples
      for (const [re, what] of FORBIDDEN) if (re.test(code)) offences.push(`${path.relative(SRC, file)}:${i + 1}: ${what}`);
    });
  }
  assert.ok(files > 10, `only ${files} files scanned`);
  assert.deepEqual(offences, []);
});
