// Quick start: join the Link session, print peers, tempo and transport changes, then the beat.
// Run: node --import tsx examples/link-quick-start.ts [--duration 3000]
import { Link } from '../src/index.ts';
import { durationMs, sleep } from './duration.ts';

await using link = new Link({ bpm: 120, startStopSync: true });
link.on('peers', (n) => console.log(`peers: ${n}`));
link.on('tempo', (bpm) => console.log(`tempo: ${bpm.toFixed(2)} bpm`));
link.on('playing', (p) => console.log(p ? 'playing' : 'stopped'));
link.enable();

const end = Date.now() + durationMs();
while (Date.now() < end) {
  const s = link.captureAppSessionState();
  const beat = s.beatAtTime(link.clock.micros(), 4);
  console.log(`beat ${beat.toFixed(2)}  tempo ${s.tempo.toFixed(2)}  peers ${link.numPeers}  ${s.isPlaying ? 'playing' : 'stopped'}`);
  await sleep(Math.min(500, Math.max(0, end - Date.now())));
}
