// Change the session tempo; every peer follows. Usage: ... link-change-tempo.ts [bpm]
import { Link } from '../src/index.ts';
import { durationMs, sleep } from './duration.ts';

const bpm = Number(process.argv.find((a) => /^\d+(\.\d+)?$/.test(a)) ?? 133.5);
await using link = new Link();
link.on('tempo', (t) => console.log(`session tempo is now ${t} bpm`));
link.enable();
await sleep(Math.min(1000, durationMs(1000) / 2)); // give discovery a moment to join a session
const s = link.captureAppSessionState();
s.setTempo(bpm, link.clock.micros());
link.commitAppSessionState(s);
await sleep(Math.min(1000, durationMs(1000) / 2));
console.log(`tempo: ${link.captureAppSessionState().tempo}`);
