/**
 * Following a DAW: how well the MIDI clock follower knows the tempo, how soon a show's video
 * starts after Start, and how far the video drifts over minutes — each beside the alternative.
 *
 *   node --import tsx bench/follow.ts [--minutes M] [--seeds N] [--repetitions R] [--only tempo,latency,drift]
 *   (or: npm run bench -- follow)
 *
 * 1. Tempo estimate vs jitter (VirtualTime, N seeds per condition, default 200): phaselock's
 *    `MidiClockFollower` beside a 24-tick moving average and the 47-tick filter
 *    (bench/follow-tempo.ts), at 120 and 174 bpm.
 * 2. Start → mpv playing on loopback RTP-MIDI, R repetitions (default 50) per sender
 *    (bench/follow-latency.ts), beside mpv's own IPC round trip.
 * 3. Video drift over M minutes (default 10), steady / 0.5 % drifting / drifting uncorrected,
 *    max and p99 of |drift| per minute (bench/follow-drift.ts).
 * Needs mpv (Debian's `mpv`, with encoding: the media is made by mpv at run time). Nothing is
 * corrected for the machine: every figure is host time measured in this run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nodeRuntime } from '../src/node/link/node-runtime.ts';
import { speedSteps, videoDrift } from './follow-drift.ts';
import { startLatency } from './follow-latency.ts';
import { fmtMs, makeMedia } from '../test/helpers/real-mpv.ts';
import { lateJitter, table, TEMPO_HEAD, TEMPO_NOTES, tempoCondition, tempoRows, uniformJitter } from './follow-tempo.ts';
import { max, median, quantile } from './stats.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!(v > 0)) throw new RangeError(`--${name} takes a positive number, got ${process.argv[i + 1]}`);
  return v;
}

const MINUTES = option('minutes', 10);
const SEEDS = Math.round(option('seeds', 200));
const REPETITIONS = Math.max(50, Math.round(option('repetitions', 50)));
const ONLY = process.argv.includes('--only') ? (process.argv[process.argv.indexOf('--only') + 1] ?? '').split(',') : ['tempo', 'latency', 'drift'];
const TEMPOS = [120, 174];
const JITTERS = [0, 0.5, 1, 2, 4].map(uniformJitter).concat([0.5, 1, 2, 4].map(lateJitter));

const ms = (us: number) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : 'n/a');
const pcts = (v: readonly number[]) => [ms(median(v)), ms(quantile(v, 0.99)), ms(max(v))];
const log = (s: string) => process.stderr.write(`${s}\n`);

function tempoSection(): void {
  console.log(`\n=== 1. Tempo estimate vs jitter (${SEEDS} seeds per row; ${SEEDS * 4} for the 2-beat error)`);
  console.log('phaselock: MidiClockFollower (TempoEstimator, default options: least squares over up to 96 ticks, outliers out, steps detected)');
  console.log('on VirtualTime; avg 24: mean interval of the last 24 ticks; avg 47: of the last 47 intervals (the "47-tick filter").');
  console.log('±A: each tick uniform in [−A, +A]; late A: one tick in four late by uniform (0, A], the rest on time.');
  for (const line of TEMPO_NOTES) console.log(line);
  for (const bpm of TEMPOS) {
    const t0 = performance.now();
    const rows = JITTERS.flatMap((j) => tempoRows(j, tempoCondition(j, bpm, SEEDS)));
    log(`  tempo ${bpm} bpm: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`\n${bpm} bpm (step: ${bpm} → ${bpm + 20} bpm after 8 beats)\n${table(TEMPO_HEAD, rows)}`);
  }
}

async function latencySection(media: string): Promise<void> {
  const runtime = nodeRuntime();
  log(`  start latency: ${REPETITIONS} repetitions per sender…`);
  const { runs, floor } = await startLatency(runtime, media, REPETITIONS);
  console.log(`\n=== 2. Start → mpv playing, RTP-MIDI on 127.0.0.1 → MidiClockFollower → ShowPlayer → mpv (${REPETITIONS} repetitions per sender)`);
  console.log('From the Start datagram\'s arrival at the receiving endpoint (the runtime\'s receive stamp) to: fired (ShowPlayer\'s event),');
  console.log('command (the player hands set_property pause=false to its MpvClient), reply (mpv\'s reply to it), confirmed (mpv\'s');
  console.log('pause=false property-change at the player\'s client). beat 0→confirmed: from the follower\'s time of the first beat. ms.');
  const head = ['sender', 'n', 'fired p50', 'p99', 'command p50', 'p99', 'reply p50', 'p99', 'max', 'confirmed p50', 'p99', 'max', 'beat 0→confirmed p50', 'p99', 'max'];
  const two = (v: readonly number[]) => [ms(median(v)), ms(quantile(v, 0.99))];
  const rows = runs.map((r) => [r.label, `${r.toConfirmed.length}${r.failed ? ` (${r.failed} failed)` : ''}`,
    ...two(r.toFired), ...two(r.toCommand), ...pcts(r.toReply), ...pcts(r.toConfirmed), ...pcts(r.beatToConfirmed)]);
  console.log(table(head, rows));
  console.log('\nmpv alone (a client of its own, the file loaded, nothing else running), ms:');
  console.log(table(['request', 'n', 'p50', 'p99', 'max'], [
    ['get_property pause: round trip', String(floor.getRtt.length), ...pcts(floor.getRtt)],
    ['set_property pause=false: reply', String(floor.unpauseReply.length), ...pcts(floor.unpauseReply)],
    ['set_property pause=false: property-change', String(floor.unpauseEvent.length), ...pcts(floor.unpauseEvent)],
  ]));
  const due = runs[0]!;
  const p99 = quantile(due.toConfirmed, 0.99) / 1000;
  const p99Reply = quantile(due.toReply, 0.99) / 1000;
  console.log(`target ≤ 5 ms p99 (sent when due, arrival → mpv confirms): property-change ${p99.toFixed(2)} ms, ${p99 <= 5 ? 'met' : 'MISSED'}; reply ${p99Reply.toFixed(2)} ms, ${p99Reply <= 5 ? 'met' : 'MISSED'}`);
}

async function driftSection(media: string): Promise<void> {
  const runtime = nodeRuntime();
  log(`  video drift: ${MINUTES} min…`);
  const runs = await videoDrift(runtime, media, MINUTES, (m) => log(`    minute ${m} of ${MINUTES}`));
  console.log(`\n=== 3. Video drift over ${MINUTES} min: |mpv audio-pts − transport position| sampled every second, ms (one frame: ${fmtMs(1 / 25, 0)} ms)`);
  console.log('Three shows at once, each on its own mpv. drifting: the DAW\'s clock runs 0.5 % fast (it says 120 bpm, plays 120.6);');
  console.log('no correction: ShowPlayer with driftCorrection false, i.e. mpv playing on its own once started.');
  const head = ['minute', ...runs.flatMap((r) => [`${r.label} max`, 'p99'])];
  const rows = runs[0]!.minutes.map((_, m) => [String(m + 1), ...runs.flatMap((r) => [fmtMs(max(r.minutes[m]!)), fmtMs(quantile(r.minutes[m]!, 0.99))])]);
  const all = runs.map((r) => r.minutes.flat());
  rows.push(['all', ...all.flatMap((v) => [fmtMs(max(v)), fmtMs(quantile(v, 0.99))])]);
  console.log(table(head, rows));
  for (const r of runs) {
    console.log(`${r.label}: ${r.speedCorrections} speed corrections, ${r.seekCorrections} seeks; ${r.missing} samples missing; largest probe RTT ${(r.maxRttMicros / 1000).toFixed(1)} ms`);
  }
  log('  mpv speed steps…');
  const steps = await speedSteps(runtime, media, 3);
  console.log('\nmpv alone: where it stands 400 ms after a speed change minus where the new speed would put it (ms; behind: negative).');
  console.log('A drift nudge is such a change: a step against the nudge delays the correction, and is seen as drift.');
  console.log(table(['speed change', 'n', 'p50', 'min', 'max'], [...steps].map(([change, v]) =>
    [change, String(v.length), fmtMs(median(v)), fmtMs(Math.min(...v)), fmtMs(max(v))])));
}

async function main(): Promise<void> {
  console.log(`follow benchmark — node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const started = performance.now();
  if (ONLY.includes('tempo')) tempoSection();
  if (ONLY.includes('latency') || ONLY.includes('drift')) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'phaselock-bench-follow-'));
    try {
      const media = makeMedia(dir, MINUTES * 60 * 1.005 + 30);
      if (ONLY.includes('latency')) await latencySection(media);
      if (ONLY.includes('drift')) await driftSection(media);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nmeasured in ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
