import { Netns, startAbletonPeer, startPhaselockPeer, monoMicros, sleep } from './harness.ts';
const ns = await Netns.create('plx');
try {
  const ab = await startAbletonPeer(ns, { label: 'A' });
  const pl = await startPhaselockPeer(ns, { label: 'P' });
  await ab.command('enable');
  await sleep(1500);
  await pl.command('enable');
  await sleep(1500);
  const report = async (tag: string) => {
    const t0 = monoMicros() + 50_000;
    const times = Array.from({ length: 8 }, (_, i) => t0 + i * 123_457);
    const pa = await ab.phases(4, times);
    const pp = await pl.phases(4, times);
    console.log(tag, 'A', JSON.stringify(await ab.status()));
    console.log(tag, 'P', JSON.stringify(await pl.status()));
    console.log(tag, 'phase A', pa.phases.map((x) => x.toFixed(6)).join(' '));
    console.log(tag, 'phase P', pp.phases.map((x) => x.toFixed(6)).join(' '));
    console.log(tag, 'beats A', pa.beats.map((x) => x.toFixed(4)).join(' '));
    console.log(tag, 'beats P', pp.beats.map((x) => x.toFixed(4)).join(' '));
  };
  await report('joined');
  await ab.command('tempo 133.5'); await sleep(500);
  await report('A tempo');
  await pl.command('tempo 97.25'); await sleep(500);
  await report('P tempo');
  await pl.command('force-beat 1.3 4'); await sleep(500);
  await report('P force');
  await ab.command('force-beat 2 4'); await sleep(500);
  await report('A force');
  await ab.close(); await pl.close();
} finally {
  await ns.close();
}
