// Query beat and phase: where are we in the bar (quantum 4) right now and 100 ms from now?
import { Link } from '../src/index.ts';
import { durationMs, sleep } from './duration.ts';

await using link = new Link();
link.enable();
const end = Date.now() + durationMs(2000);
while (Date.now() < end) {
  const s = link.captureAppSessionState();
  const now = link.clock.micros();
  const later = now + 100_000;
  console.log(
    `now: beat ${s.beatAtTime(now, 4).toFixed(3)} phase ${s.phaseAtTime(now, 4).toFixed(3)} | ` +
      `+100 ms: beat ${s.beatAtTime(later, 4).toFixed(3)} | next bar at ${s.timeAtBeat(Math.ceil(s.beatAtTime(now, 4) / 4) * 4, 4)} µs`,
  );
  await sleep(250);
}
