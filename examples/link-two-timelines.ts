// Two timelines sharing one session: two Link peers in one process find each other on the
// loopback interface, join one session and agree on phase, each with its own quantum.
import { Link } from '../src/index.ts';
import { durationMs, sleep } from './duration.ts';

await using drums = new Link({ bpm: 120, interfaces: ['127.0.0.1'] });
await using bass = new Link({ bpm: 90, interfaces: ['127.0.0.1'] });
drums.enable();
await sleep(300);
bass.enable();
const end = Date.now() + durationMs(2500);
while (Date.now() < end && (drums.numPeers === 0 || drums.numPeers !== bass.numPeers)) await sleep(20);
console.log(`drums sees ${drums.numPeers} peer, bass sees ${bass.numPeers} peer`);
const t = drums.clock.micros();
const d = drums.captureAppSessionState();
const b = bass.captureAppSessionState();
console.log(`tempo: drums ${d.tempo} bpm, bass ${b.tempo.toFixed(3)} bpm (the younger peer joined the older session)`);
console.log(`phase at quantum 4: drums ${d.phaseAtTime(t, 4).toFixed(4)}, bass ${b.phaseAtTime(t, 4).toFixed(4)}`);
console.log(`phase at quantum 3: drums ${d.phaseAtTime(t, 3).toFixed(4)}, bass ${b.phaseAtTime(t, 3).toFixed(4)}`);
