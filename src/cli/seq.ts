/**
 * `phaselock seq song.mid --to <output> [--loop]`: plays a Standard MIDI File on the Link
 * timeline (composition root, L3). The Link tempo drives playback; alone in the session the
 * command sets it from the file's first tempo unless `--bpm` is given. Its options are defined
 * in src/cli/commands/midi.ts.
 * @module
 */
import { open } from 'node:fs/promises';
import { DecodeError } from '../core/errors.ts';
import { LinkSequencer } from '../midi/sequencer.ts';
import { parseSmf, SMF_LIMITS } from '../midi/smf.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { leadText, runUntil, startPlayer, withTargetAndLink, type MidiRunConfig } from './midi-session.ts';

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
    // The size first: a file beyond the limit is refused before it is read (limits: midi/smf.ts);
    // a pipe (`<(…)`, /dev/stdin) has no size: it is read up to the limit and refused beyond.
    const bytes = await readBounded(cfg.file, SMF_LIMITS.maxBytes);
    if (!(bytes instanceof Uint8Array)) {
      const limit = `${SMF_LIMITS.maxBytes / 2 ** 20} MiB`;
      err(`phaselock seq: ${cfg.file} is ${bytes.size === undefined ? `more than ${limit}` : `${(bytes.size / 2 ** 20).toFixed(1)} MiB`}; the limit is ${limit}`);
      return 1;
    }
    song = parseSmf(bytes, {
      onWarning: (w) => err(`phaselock seq: warning: ${w}`),
    });
  } catch (e) {
    err(e instanceof DecodeError ? `phaselock seq: ${cfg.file}: ${e.message}` : `phaselock seq: ${(e as Error).message}`);
    return 1;
  }
  return withTargetAndLink('seq', cfg, cfg.bpm ?? song.tempoBpm ?? 120, io, async (link, target, { stop }) => {
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
    }); // opened by startPlayer, which may move beat 0 first
    seq.on('warning', (w) => err(`warning: ${w.message}`));
    seq.loadSmf(song);
    // The sequencer has its own copy: the parsed events (and their byte pool) can go now.
    const eventCount = song.events.length;
    song.events.length = 0;
    let ended!: () => void;
    const songEnd = new Promise<void>((resolve) => { ended = resolve; });
    seq.on('stop', () => ended());
    const tempo = link.captureAppSessionState().tempo;
    out(`${cfg.file}: ${eventCount} events, ${song.lengthBeats.toFixed(2)} beats${cfg.loop ? `, looping every ${bars * cfg.quantum} beats` : ''}; ` +
      `${tempo.toFixed(2)} bpm, ${link.numPeers} peer(s); to ${target.description}`);
    const playing = link.captureAppSessionState().isPlaying;
    const t0 = startPlayer(link, seq);
    // Already playing: the song starts on the session's next bar, as the sequencer follows it.
    out(playing ? 'joining the playing session: the song starts on its next bar' : `start in ${leadText(link, t0, seq.latencyMicros)}`);
    if (!cfg.loop) seq.stop({ atBeat: song.lengthBeats });
    const songOver = new AbortController();
    void songEnd.then(() => songOver.abort());
    try {
      await runUntil(cfg.durationSeconds, stop, songOver.signal);
      if (seq.playing) seq.stop();
    } finally {
      await seq.close(); // note-offs sent and delivered, however it ends
    }
    out('stopped');
    return 0;
  });
}

/**
 * The file's bytes, or `{ size }` when it is larger than `max` bytes (`size` undefined for a
 * pipe, read only up to `max + 1`). A regular file beyond the limit is not read at all.
 */
async function readBounded(file: string, max: number): Promise<Uint8Array | { size: number | undefined }> {
  const handle = await open(file, 'r');
  try {
    const info = await handle.stat();
    if (info.isFile() && info.size > max) return { size: info.size };
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(1 << 20, max + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) return { size: info.isFile() ? total : undefined };
    }
    if (chunks.length === 1) return chunks[0]!;
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
