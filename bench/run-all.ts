/**
 * `npm run bench`: every benchmark in turn, each in its own process so one cannot disturb the
 * next. Pass names to run a subset: `npm run bench -- timeline timing`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ALL = ['timeline', 'link-interop', 'timing', 'rtpmidi', 'follow'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
let failed = 0;
for (const name of wanted) {
  const file = path.join(import.meta.dirname, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`no benchmark named ${name} (have: ${ALL.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n=== bench/${name}.ts ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
