/**
 * `phaselock show` at run time (L3): the show (one file, or a cue list) → a `ShowPlayer` on
 * mpv (started here, or attached to: src/cli/show-mpv.ts), following a `MidiClockFollower` on
 * the `--from` source or a Link peer through `LinkShowTransport`; its events printed as lines.
 *
 * Lines on stdout, host time (µs) first: `armed`, `fired at beat B (media S s, FILE)`, then
 * `latency L ms from the Start (D ms from beat 0)` when mpv reports it plays (L from the
 * Start's host time, D from the first beat's — for Link, the bar the show starts on), `paused
 * at beat …`, `resumed at beat …`, `seek to beat …`, `cue ACTION at beat …`, `drift …`, `mpv
 * lost`, `mpv back`, `mpv exited …`, `MIDI clock` / `MIDI clock lost`. Warnings go to stderr.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Runtime } from '../core/runtime.ts';
import { MidiClockFollower } from '../midi/clock-follower.ts';
import { Link } from '../node/link/link.ts';
import { nodeRuntime } from '../node/link/node-runtime.ts';
import { CueListError, parseCueList } from '../show/cue-list.ts';
import { parseCueListYaml } from '../show/cue-list-yaml.ts';
import { LinkShowTransport } from '../show/link-show-transport.ts';
import { ShowPlayer, type ShowPlayerOptions, type ShowPosition } from '../show/show-player.ts';
import type { ShowTransport } from '../show/show-transport.ts';
import { runUntil } from './midi-session.ts';
import { openMidiSource, type MidiSourceSpec } from './midi-source.ts';
import { openShowMpv, type ShowMpv } from './show-mpv.ts';
import type { CommandIo } from './spec/command-spec.ts';

export interface ShowConfig {
  /** A media file or URL, or a cue list (.json, .yaml, .yml). */
  show: string;
  follow: { kind: 'midi'; from: MidiSourceSpec } | { kind: 'link'; quantum: number; interfaces: string[] | undefined };
  /** undefined: start mpv on a private socket. */
  mpvSocket: string | undefined;
  mpvArgs: string[];
  /** RTP-MIDI: session name, bind address, Bonjour. */
  name: string;
  address: string;
  advertise: boolean;
  durationSeconds: number | undefined;
}

const CMD = 'phaselock show';
/** Largest cue list read (bytes). */
const MAX_CUE_LIST_BYTES = 4 * 2 ** 20;
/** How often the drift figures are looked at for a line (µs). */
const DRIFT_REPORT_MICROS = 1_000_000;

/** Runs `phaselock show`; resolves to the exit code (0 ok, 1 failure). */
export async function runShow(cfg: ShowConfig, io: CommandIo): Promise<number> {
  const loaded = await loadShow(cfg.show, io);
  if (!loaded) return 1;
  const runtime = nodeRuntime();
  const line = (what: string, t = runtime.clock.micros()) => io.out(`${Math.round(t)} ${what}`);
  const fatal = new AbortController();
  const mpv = await openShowMpv(runtime, { socketPath: cfg.mpvSocket, args: cfg.mpvArgs, command: CMD, io, line, fatal });
  if (!mpv) return 1;
  const marks = new StartMarks();
  let follow: Followed;
  try {
    follow = await openTransport(cfg, runtime, io, line, marks);
  } catch (e) {
    io.err(`${CMD}: ${(e as Error).message}`);
    await mpv.close();
    return 1;
  }
  let show: ShowPlayer | undefined;
  let stopReports: (() => void) | undefined;
  try {
    show = new ShowPlayer(runtime, follow.transport, mpv.client, loaded.options);
    stopReports = report(show, mpv, marks, runtime, io, line);
    show.open();
    io.err(`showing ${loaded.description} in mpv at ${mpv.socketPath}${mpv.attached ? ' (attached)' : ''}; following ${follow.description}`);
    await runUntil(cfg.durationSeconds, io.signal, fatal.signal);
  } finally {
    stopReports?.();
    await show?.close();
    await follow.close();
    await mpv.close();
  }
  return fatal.signal.aborted ? 1 : 0;
}

// ------------------------------------------------------------------ the show file

interface LoadedShow {
  options: ShowPlayerOptions;
  description: string;
}

function isUrl(file: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(file);
}

/** The player's options for the argument: a cue list (.json, .yaml, .yml) or one file; undefined after saying what is wrong. */
async function loadShow(arg: string, io: CommandIo): Promise<LoadedShow | undefined> {
  if (isUrl(arg)) return { options: { media: arg }, description: arg };
  const file = path.resolve(arg);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error(`${arg} is not a file`);
    size = info.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.err(`${CMD}: ${code === 'ENOENT' ? `no such file: ${arg}` : code ? `cannot read ${arg}: ${(e as Error).message}` : (e as Error).message}`);
    return undefined;
  }
  const yaml = /\.ya?ml$/i.test(file);
  if (!yaml && !/\.json$/i.test(file)) return { options: { media: file }, description: file };
  if (size > MAX_CUE_LIST_BYTES) {
    io.err(`${CMD}: ${arg} is ${(size / 2 ** 20).toFixed(1)} MiB; a cue list may be at most ${MAX_CUE_LIST_BYTES / 2 ** 20} MiB`);
    return undefined;
  }
  try {
    const cues = (yaml ? parseCueListYaml : parseCueList)(await readFile(file, 'utf8'), { baseDir: path.dirname(file), fileExists: (f) => isFile(f) });
    const files = new Set(cues.cues.flatMap((c) => (c.do === 'load' ? [c.file] : [])));
    return { options: { cues }, description: `${file} (${cues.cues.length} cue(s), ${files.size} file(s))` };
  } catch (e) {
    io.err(e instanceof CueListError ? `${CMD}: ${arg}: ${e.message}` : `${CMD}: cannot read ${arg}: ${(e as Error).message}`);
    return undefined;
  }
}

function isFile(f: string): boolean {
  try {
    return existsSync(f) && statSync(f).isFile();
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ the transport

interface Followed {
  transport: ShowTransport;
  description: string;
  close(): Promise<void>;
}

/** The host times of the last Start or Continue, for the latency of the fire it causes. */
class StartMarks {
  last: { kind: 'Start' | 'Continue'; timeMicros: number; beatTimeMicros: number } | undefined;
  mark(kind: 'Start' | 'Continue') {
    return (e: { timeMicros: number; beatTimeMicros: number }) => {
      this.last = { kind, timeMicros: e.timeMicros, beatTimeMicros: e.beatTimeMicros };
    };
  }
}

/** The `--from` MIDI clock follower or the `--link` peer, opened. Throws an Error saying what failed. */
async function openTransport(cfg: ShowConfig, runtime: Runtime, io: CommandIo, line: (w: string, t?: number) => void, marks: StartMarks): Promise<Followed> {
  const warn = (w: Error) => io.err(`${CMD}: warning: ${w.message}`);
  if (cfg.follow.kind === 'link') {
    const link = new Link({ runtime, yieldTies: true, startStopSync: true, ...(cfg.follow.interfaces ? { interfaces: cfg.follow.interfaces } : {}) });
    link.on('warning', warn);
    link.on('peers', (n) => io.err(`Link: ${n} peer(s)`));
    let transport: LinkShowTransport;
    try {
      link.enable();
      transport = new LinkShowTransport(link, { quantum: cfg.follow.quantum }).open();
    } catch (e) {
      await link.close();
      throw e;
    }
    transport.on('warning', warn);
    transport.on('start', marks.mark('Start')).on('continue', marks.mark('Continue'));
    return {
      transport,
      description: `the Link session's start/stop (the show starts on the next bar of ${cfg.follow.quantum} beats)`,
      async close() {
        await transport.close();
        await link.close();
      },
    };
  }
  const follower = new MidiClockFollower({ clock: runtime.clock, timers: runtime.timers, ...(runtime.preciseTimers ? { preciseTimers: runtime.preciseTimers } : {}) }).open();
  follower.on('warning', warn);
  follower.on('start', marks.mark('Start')).on('continue', marks.mark('Continue'));
  follower.on('clockpresent', (present, t) => line(present ? 'MIDI clock' : 'MIDI clock lost', t));
  try {
    const source = await openMidiSource(cfg.follow.from, {
      runtime, name: cfg.name, address: cfg.address, advertise: cfg.advertise, command: CMD, io,
      onInput: (input) => follower.attach(input),
      onInputGone: (input) => follower.detach(input),
    });
    return {
      transport: follower, // a ShowTransport as it is (its position is constant while stopped)
      description: `MIDI clock from ${source.description}`,
      async close() {
        await follower.close();
        await source.close();
      },
    };
  } catch (e) {
    await follower.close();
    throw e;
  }
}

// ------------------------------------------------------------------ the lines

const beats = (b: number) => b.toFixed(2);
const where = (at: ShowPosition, withFile = false) =>
  `at beat ${beats(at.positionBeats)} (media ${at.mediaSeconds.toFixed(3)} s${withFile && at.file !== undefined ? `, ${at.file}` : ''})`;
const ms = (micros: number) => (micros / 1000).toFixed(1);

/** Prints the show's events, the latency of each fire and the drift corrections; returns the undo. */
function report(show: ShowPlayer, mpv: ShowMpv, marks: StartMarks, runtime: Runtime, io: CommandIo, line: (w: string, t?: number) => void): () => void {
  let firing: StartMarks['last'];
  show.on('armed', (armed) => { if (armed) line('armed'); });
  show.on('fired', (at) => {
    firing = marks.last;
    line(`fired ${where(at, true)}`);
  });
  show.on('paused', (at) => {
    firing = undefined;
    line(`paused ${where(at)}`);
  });
  show.on('resumed', (at) => line(`resumed ${where(at, true)}`));
  show.on('seeked', (at) => {
    firing = undefined;
    line(`seek to beat ${beats(at.positionBeats)} (media ${at.mediaSeconds.toFixed(3)} s${at.file !== undefined ? `, ${at.file}` : ''})`);
  });
  show.on('cue', (c) => line(`cue ${c.do} at beat ${beats(c.atBeats)}`));
  show.on('warning', (w) => io.err(`${CMD}: warning: ${w.message}`));
  // mpv confirming that it plays: the end of a fire's latency.
  const pause = mpv.client.observeProperty('pause', (paused) => {
    if (paused !== false || !firing) return;
    const t = runtime.clock.micros();
    line(`latency ${ms(t - firing.timeMicros)} ms from the ${firing.kind} (${ms(t - firing.beatTimeMicros)} ms from beat 0)`, t);
    firing = undefined;
  });
  let seen = { speed: 0, seeks: 0 };
  const check = () => {
    const d = show.driftStats;
    if (d.speedCorrections !== seen.speed || d.seekCorrections !== seen.seeks) {
      const action = d.seekCorrections !== seen.seeks ? 'seek' : `speed ${d.speed.toFixed(4)}`;
      const drifted = d.lastDriftSeconds === undefined ? '' : ` ${d.lastDriftSeconds >= 0 ? '+' : ''}${(d.lastDriftSeconds * 1000).toFixed(1)} ms`;
      line(`drift${drifted}: ${action} (${d.speedCorrections} speed, ${d.seekCorrections} seek corrections so far)`);
      seen = { speed: d.speedCorrections, seeks: d.seekCorrections };
    }
    timer = runtime.timers.setTimeout(check, DRIFT_REPORT_MICROS);
  };
  let timer = runtime.timers.setTimeout(check, DRIFT_REPORT_MICROS);
  return () => {
    timer.cancel();
    void pause.dispose();
  };
}
