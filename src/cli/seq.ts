/**
 * `phaselock seq song.mid --to <output> [--loop]`: plays a Standard MIDI File on the Link
 * timeline (composition root, L3). The Link tempo drives playback; alone in the session the
 * command sets it from the file's first tempo unless `--bpm` is given. Its options are defined
 * in src/cli/commands/midi.ts.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { LinkSequencer } from '../midi/sequencer.ts';
import { parseSmf } from '../midi/smf.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { runUntil, withTargetAndLink, type MidiRunConfig } from './midi-session.ts';

export interface SeqRunConfig extends MidiRunConfig {
  /** The .mid file. */
  file: string;
  /** Loop the song (length rounded up to whole bars). */
  loop: boolean;
}

/** Runs `phaselock seq`; resolves to the exit code (0 ok, 1 failure). */
export async function runSeq(cfg: SeqRunConfig, io: CommandIo): Promise<number> {
  const { out, err } = io;
  let song;
  try {
    song = parseSmf(new Uint8Array(await readFile(cfg.file)));
  } catch (e) {
    err(`phaselock seq: ${(e as Error).message}`);
    return 1;
  }
  return withTargetAndLink('seq', cfg, cfg.bpm ?? song.tempoBpm ?? 120, io, async (link, target) => {
    if (cfg.bpm !== undefined && link.numPeers === 0) {
      const s = link.captureAppSessionState();
      s.setTempo(cfg.bpm, link.clock.micros());
      link.commitAppSessionState(s);
    }
    const bars = Math.max(1, Math.ceil(song.lengthBeats / cfg.quantum - 1e-9));
    const seq = new LinkSequencer(link, target.output, {
      quantum: cfg.quantum,
      latencyMicros: cfg.latencyMs * 1000,
      ...(cfg.loop ? { loop: { lengthBeats: bars * cfg.quantum } } : {}),
      ...(target.preciseTimers ? { preciseTimers: target.preciseTimers } : {}),
    }).open();
    seq.on('warning', (w) => err(`warning: ${w.message}`));
    seq.loadSmf(song);
    let ended!: () => void;
    const songEnd = new Promise<void>((resolve) => { ended = resolve; });
    seq.on('stop', () => ended());
    const tempo = link.captureAppSessionState().tempo;
    out(`${cfg.file}: ${song.events.length} events, ${song.lengthBeats.toFixed(2)} beats${cfg.loop ? `, looping every ${bars * cfg.quantum} beats` : ''}; ` +
      `${tempo.toFixed(2)} bpm, ${link.numPeers} peer(s); to ${target.description}`);
    const t0 = seq.start();
    out(`start in ${((t0 - link.clock.micros()) / 1000).toFixed(1)} ms`);
    if (!cfg.loop) seq.stop({ atBeat: song.lengthBeats });
    const songOver = new AbortController();
    void songEnd.then(() => songOver.abort());
    await runUntil(cfg.durationSeconds, io.signal, songOver.signal);
    if (seq.playing) seq.stop();
    await seq.close(); // note-offs sent and delivered
    out('stopped');
    return 0;
  });
}
