// Change the session tempo; every peer follows.
// Run: node --import tsx examples/link-change-tempo.ts [bpm] [--duration ms]   (bpm default 133.5)
import { Link } from '../src/index.ts';
import { exampleArgs, sleep } from './duration.ts';

const args = exampleArgs();
if (args.positionals.length > 1) {
  console.error(`link-change-tempo: one tempo, please (got ${args.positionals.join(' ')})`);
  process.exit(2);
}
const bpm = Number(args.positionals[0] ?? 133.5);
if (!(bpm >= 20 && bpm <= 999)) {
  console.error(`link-change-tempo: the tempo must be a number in [20, 999] bpm, got '${args.positionals[0]}'`);
  process.exit(2);
}
const half = Math.min(1000, (args.durationMs ?? 2000) / 2);

await using link = new Link();
link.on('tempo', (t) => console.log(`session tempo is now ${t} bpm`));
link.enable();
await sleep(half); // give discovery a moment to join a session
const s = link.captureAppSessionState();
s.setTempo(bpm, link.clock.micros());
link.commitAppSessionState(s);
await sleep(half);
console.log(`tempo: ${link.captureAppSessionState().tempo}`);
