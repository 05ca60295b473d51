/**
 * `phaselock clock --to <output>`: a Link-synced MIDI clock (composition root, L3). Its options
 * are defined in src/cli/commands/midi.ts.
 *
 * Its lines on stdout: the header, `start in X ms` once when it starts the transport (X: until
 * the Start message goes out), then one line per transport change it follows — a start or stop
 * by a peer, `continue at song position …` — and `stop` once when the clock stops, whether the
 * Stop was handed out by the transport following or again at close.
 * @module
 */
import { MidiClockOut } from '../midi/clock-out.ts';
import type { CommandIo } from './spec/command-spec.ts';
import { leadText, runUntil, startPlayer, withTargetAndLink, type MidiRunConfig } from './midi-session.ts';

export interface ClockRunConfig extends MidiRunConfig {
  clockWhileStopped: boolean;
  /** false: do not start the transport, follow the session's. */
  start: boolean;
}

/** Within this of our own start's time (µs), a `start` event is that start, already reported. */
const SAME_START_MICROS = 1000;

/** Runs `phaselock clock`; resolves to the exit code (0 ok, 1 failure). */
export async function runClock(cfg: ClockRunConfig, io: CommandIo): Promise<number> {
  const { out, err } = io;
  return withTargetAndLink('clock', cfg, cfg.bpm ?? 120, io, async (link, target, { stop }) => {
    const clock = new MidiClockOut(link, target.output, {
      quantum: cfg.quantum,
      latencyMicros: cfg.latencyMs * 1000,
      clockWhileStopped: cfg.clockWhileStopped,
      ...(target.preciseTimers ? { preciseTimers: target.preciseTimers } : {}),
    }); // opened by startPlayer (which may move beat 0 first) or below
    const lead = (t: number) => leadText(link, t, clock.latencyMicros);
    // The clock's events come when a message is handed to the output, up to a lookahead ahead;
    // a Stop withdrawn at close is handed out again. Report each transport change once.
    let running = false;
    /** Our own start, reported when made: its event (during startPlayer, or later) is not. */
    let starting = false;
    let ownStart: number | undefined;
    clock.on('start', (t) => {
      running = true;
      if (starting) return;
      if (ownStart !== undefined && Math.abs(t - ownStart) < SAME_START_MICROS) ownStart = undefined;
      else out(`start in ${lead(t)}`);
    });
    clock.on('continue', (t, p) => {
      running = true;
      out(`continue at song position ${p / 4} beats in ${lead(t)}`);
    });
    clock.on('stop', () => {
      if (!running) return;
      running = false;
      out('stop');
    });
    clock.on('warning', (w) => err(`warning: ${w.message}`));
    out(`MIDI clock to ${target.description}; ${link.captureAppSessionState().tempo.toFixed(2)} bpm, ${link.numPeers} peer(s)`);
    try {
      await playClock();
    } finally {
      await clock.close(); // Stop sent and delivered, however it ends
    }
    return 0;

    async function playClock(): Promise<void> {
      if (!cfg.start) clock.open();
      else {
        const playing = link.captureAppSessionState().isPlaying;
        starting = true;
        let t0: number;
        try {
          t0 = startPlayer(link, clock);
        } finally {
          starting = false;
        }
        // Already playing: the clock joins the session's song (SPP + Continue, reported then).
        if (!playing) {
          ownStart = t0;
          out(`start in ${lead(t0)}`);
        }
      }
      await runUntil(cfg.durationSeconds, stop);
      clock.stop();
    }
  });
}
