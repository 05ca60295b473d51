#!/usr/bin/env node
// phaselock's executable. Runs the built CLI (dist/cli/main.js) when it exists; in a source
// checkout without a build it registers tsx (a devDependency) and runs src/cli/main.ts, so
// `npx phaselock` works in the repository right after `npm install`.
// PHASELOCK_FROM_SOURCE=1 forces the source tree even when dist/ exists (tests, development).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/main.js', import.meta.url);
const source = new URL('../src/cli/main.ts', import.meta.url);

async function load() {
  const fromSource = process.env.PHASELOCK_FROM_SOURCE === '1' && existsSync(fileURLToPath(source));
  if (!fromSource && existsSync(fileURLToPath(dist))) return import(dist.href);
  if (!existsSync(fileURLToPath(source))) {
    throw new Error(`neither ${fileURLToPath(dist)} nor ${fileURLToPath(source)} exists`);
  }
  let api;
  try {
    api = await import('tsx/esm/api');
  } catch {
    throw new Error('dist/ is not built and tsx is not installed: run `npm install && npm run build`');
  }
  api.register();
  return import(source.href);
}

let code;
try {
  const { main } = await load();
  code = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`phaselock: ${err instanceof Error ? err.message : String(err)}\n`);
  code = 1;
}
process.exitCode = code;
// Every command closes what it opened; this only guards against a stray handle keeping the
// process alive after the command is done.
setTimeout(() => process.exit(code), 2000).unref();
