// Quantized start: start the transport so beat 0 lands on the next bar of the session.
// With peers, the beats before it count in (negative); alone, it starts at once.
import { Link } from '../src/index.ts';
import { durationMs, sleep } from './duration.ts';

const quantum = 4;
await using link = new Link({ startStopSync: true });
link.enable();
await sleep(Math.min(1000, durationMs(3000) / 3));
const s = link.captureAppSessionState();
s.setIsPlayingAndRequestBeatAtTime(true, link.clock.micros(), 0, quantum);
link.commitAppSessionState(s);
const beat0 = s.timeAtBeat(0, quantum);
console.log(`playing; beat 0 at ${beat0} µs (in ${((beat0 - link.clock.micros()) / 1000).toFixed(1)} ms)`);
const end = Date.now() + durationMs(3000) * (2 / 3);
while (Date.now() < end) {
  const now = link.clock.micros();
  console.log(`beat ${link.captureAppSessionState().beatAtTime(now, quantum).toFixed(2)}`);
  await sleep(200);
}
