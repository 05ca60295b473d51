/**
 * `ShowPlayer` (L1): plays a show's media in mpv from a DAW's transport (`ShowTransport`: a
 * followed MIDI clock, or a Link adapter) — the stage video starts exactly when the engineer
 * presses play from the top, pauses on Stop, follows relocations, and stays on the music.
 *
 * The arm/fire rule (a Song Position Pointer is a seek, never a play event):
 * - **armed**: the transport stands stopped at position 0; the media waits paused at its top.
 * - **fire**: Start while armed, or Continue while armed (at position 0) — the media plays from
 *   the top (it already stands there: firing costs one `pause` = false).
 * - Continue elsewhere **resumes**: seek to the media time of the transport's position, play.
 * - Stop **pauses** (at the media time of the stopped position); the show arms again when
 *   that is 0.
 * - SPP while stopped **seeks** (the file and time the position maps to); while playing it is
 *   a relocation: seek and play on.
 * - Start while *not* armed (a restart while playing, a scrub then Start) never fires the
 *   show from the top: a `warning`, and the show **holds** (paused where it was) until the
 *   transport stops (then the rule applies again) or continues (resume).
 *
 * Beats map to media seconds through the cue list (`cueStateAt`) at the media's tempo: the
 * `bpm` option or the cue list's, else the transport's tempo latched when the show fires,
 * resumes or seeks ("seconds = beats × 60 / tempo at the time"; a tempo change over 1 % while
 * playing re-latches, continuing from where the media is). A show of one file is a cue list
 * that loads it at the top (`media` option).
 *
 * While playing, every `driftIntervalMicros` (250 ms) the media position (`audio-pts` when the
 * file has audio, else `time-pos`, run on since it was reported) is compared with the
 * transport's position mapped to media time; `DriftController` leaves it (within half a
 * frame), nudges mpv's `speed` by 1–5 %, or seeks (beyond 250 ms). Cues are run as the
 * transport crosses them (a timer at the next cue's time); `load`/`seek`/`pause`/`play`/`set`
 * are state (a seek lands in the state the cue list implies there), `command` cues are events
 * (run when crossed, and those at the top when the show fires).
 *
 * mpv killed or restarted: a `warning`, the show keeps its state; when `MpvClient` reconnects
 * the file is loaded again, sought to the transport's position and played if the show plays.
 * Bad input (Stop while stopped, Continue while playing, no tempo yet) is a `warning` and a
 * sensible state, never a throw.
 *
 * Lifecycle: the constructor wires; `open()` follows the transport and drives mpv (the caller
 * opens and closes the `MpvClient` and the transport); `close()` stops following (mpv is left
 * as it is).
 * @example
 * const mpv = await new MpvClient(runtime, { socket: '/run/show/mpv.sock', openTimeoutMicros: Infinity }).open();
 * await using show = new ShowPlayer(runtime, transport, mpv, { cues: parseCueList(text) }).open();
 * show.on('fired', (at) => log('show fired', at));
 * show.on('warning', (w) => log(w.message));
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import { PhaselockError, toError, type PhaselockErrorCode } from '../core/errors.ts';
import type { TimerHandle } from '../core/runtime.ts';
import { WarningLimiter } from '../core/warning-limiter.ts';
import type { CueList } from './cue-list.ts';
import { cuesCrossed, cueStateAt, isMediaCue, nextCueBeats } from './cue-state.ts';
import { DriftController } from './drift-controller.ts';
import { MediaSync, type MediaTarget } from './media-sync.ts';
import type { MpvClient } from './mpv-client.ts';
import {
  checkedOptions, type DriftStats, type ShowPlayerEvents, type ShowPlayerOptions, type ShowPlayerRuntime, type ShowPosition, type ShowState,
} from './show-player-types.ts';
import type { ShowTransport } from './show-transport.ts';

export type { DriftStats, ShowPlayerEvents, ShowPlayerOptions, ShowPlayerRuntime, ShowPosition, ShowState } from './show-player-types.ts';

/** Within this of 0 the position is the top (beats). */
const TOP_EPSILON = 1e-6;

export class ShowPlayer extends Emitter<ShowPlayerEvents> {
  readonly cueList: CueList;
  private readonly o: ReturnType<typeof checkedOptions>;
  private readonly sync: MediaSync;
  private readonly controller: DriftController;
  private readonly warnings = new WarningLimiter(10);
  private stateValue: ShowState = 'idle';
  /** The tempo beats map to media seconds at (bpm). */
  private mapBpm: number;
  /** The mapping was latched from the fallback (no tempo known): the first tempo re-latches. */
  private latchedFallback = false;
  private warnedFallback = false;
  /** After a re-latch while playing: media time at a position, within one cue segment. */
  private anchor: { beats: number; media: number; segment: number } | undefined;
  /** Cues at or before this position (beats) are done. */
  private cueCursor = 0;
  /** The drift rule's speed nudge in force (fraction). */
  private nudge = 0;
  private cueTimer: TimerHandle | undefined;
  private driftTimer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;
  private readonly stats = { lastDriftSeconds: undefined as number | undefined, checks: 0, speedCorrections: 0, seekCorrections: 0 };

  /** Wires only: nothing happens before `open()`. Throws TypeError/RangeError for bad options. */
  constructor(private readonly runtime: ShowPlayerRuntime, private readonly transport: ShowTransport, mpv: MpvClient, options: ShowPlayerOptions) {
    super();
    if (!transport || typeof transport.positionBeats !== 'function') throw new TypeError('ShowPlayer: transport must be a ShowTransport');
    this.o = checkedOptions(options);
    this.cueList = this.o.cues;
    this.mapBpm = this.o.fixedBpm ?? this.o.fallbackBpm;
    this.controller = new DriftController({
      deadbandSeconds: this.o.deadbandMicros / 1e6, seekThresholdSeconds: this.o.seekThresholdMicros / 1e6,
      minNudge: this.o.minNudge, maxNudge: this.o.maxNudge, gainPerSecond: this.o.nudgeGain,
    });
    this.sync = new MediaSync(mpv, runtime.clock, runtime.timers, {
      frameMicros: this.o.frameMicros, seekThresholdSeconds: this.o.seekThresholdMicros / 1e6, loadTimeoutMicros: this.o.loadTimeoutMicros,
    }, {
      target: () => this.target(),
      warn: (code, message) => this.warn(code, message),
      sought: () => this.sought(),
    });
  }

  get state(): ShowState {
    return this.stateValue;
  }

  /** Stopped at the top: the next Start (or Continue) fires the show. */
  get armed(): boolean {
    return this.stateValue === 'armed';
  }

  /** The tempo beats map to media seconds at now (bpm). */
  get mediaBpm(): number {
    return this.mapBpm;
  }

  /** The drift rule's figures: the last drift measured (s, media ahead positive), the speed asked of mpv, corrections. */
  get driftStats(): DriftStats {
    return { ...this.stats, speed: this.sync.speed };
  }

  /** Where the show stands now. */
  get position(): ShowPosition {
    return this.where();
  }

  /** Follows the transport from now: the show takes the state its position implies. Idempotent. */
  open(): this {
    if (this.closing) throw new PhaselockError('E_CLOSED', 'ShowPlayer: open: the player was closed');
    if (this.stateValue !== 'idle') return this;
    const t = this.transport;
    t.on('start', this.onStart);
    t.on('continue', this.onContinue);
    t.on('stop', this.onStop);
    t.on('position', this.onPosition);
    t.on('tempo', this.onTempo);
    this.sync.open();
    this.latch();
    const beats = t.positionBeats(this.runtime.clock.micros());
    this.cueCursor = beats;
    if (t.playing) {
      this.setState(this.o.joinPlaying ? 'playing' : 'holding');
      if (this.o.joinPlaying) this.emit('resumed', this.where());
    } else {
      this.setState(isTop(beats) ? 'armed' : 'stopped');
    }
    this.sync.request(true);
    this.scheduleCue();
    this.scheduleDrift();
    return this;
  }

  /** Stops following and driving mpv (left as it is: nothing is owed to it). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const t = this.transport;
      t.off('start', this.onStart);
      t.off('continue', this.onContinue);
      t.off('stop', this.onStop);
      t.off('position', this.onPosition);
      t.off('tempo', this.onTempo);
      this.cueTimer?.cancel();
      this.driftTimer?.cancel();
      this.stateValue = 'closed';
      this.sync.close();
      this.emit('close');
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected override onListenerError(err: unknown): void {
    this.warn('E_STATE', `a listener threw: ${toError(err).message}`);
  }

  // ------------------------------------------------------------------ the transport

  private readonly onStart = (): void => {
    if (this.stateValue === 'armed') return this.fire();
    if (this.stateValue === 'holding') return this.warn('E_STATE', 'Start while holding: not armed, the show still holds');
    const where = this.stateValue === 'playing' ? 'while playing (a restart mid-song)' : 'while stopped away from the top (after a seek elsewhere)';
    this.warn('E_STATE', `Start ${where}: the show is not armed, so it does not fire from the top; it holds until the transport stops (arm it at position 0) or continues`);
    const was = this.stateValue;
    this.setState('holding');
    this.stopCues();
    this.sync.request();
    if (was === 'playing') this.emit('paused', this.where());
  };

  private readonly onContinue = (): void => {
    if (this.stateValue === 'playing') return this.warn('E_STATE', 'Continue while playing: ignored');
    if (this.stateValue === 'armed') return this.fire();
    this.latch();
    const beats = this.beatsNow();
    this.setState('playing');
    this.cueCursor = beats;
    this.sync.request(true);
    this.scheduleCue();
    this.emit('resumed', this.where());
  };

  private readonly onStop = (): void => {
    if (this.stateValue === 'armed' || this.stateValue === 'stopped') return this.warn('E_STATE', 'Stop while stopped: nothing to do');
    const was = this.stateValue;
    this.anchor = undefined;
    this.setState(isTop(this.beatsNow()) ? 'armed' : 'stopped');
    this.stopCues();
    this.sync.request();
    if (was === 'playing') this.emit('paused', this.where());
  };

  private readonly onPosition = (beats: number): void => {
    if (!Number.isFinite(beats)) return this.warn('E_PROTOCOL', `position ${beats} is not a number: ignored`);
    if (this.stateValue === 'holding') return;
    this.latch();
    const missedStop = this.stateValue === 'playing' && !this.transport.playing;
    if (this.transport.playing && this.stateValue === 'playing') {
      this.cueCursor = beats; // a relocation while playing: play on from there
    } else {
      if (missedStop) this.warn('E_STATE', 'a seek while the show plays but the transport does not (a Stop was missed): the show stops');
      this.setState(isTop(beats) ? 'armed' : 'stopped');
      this.stopCues();
    }
    this.sync.request(true);
    this.scheduleCue();
    if (missedStop) this.emit('paused', this.where());
    this.emit('seeked', this.where());
  };

  private readonly onTempo = (bpm: number): void => {
    if (!(bpm > 0 && Number.isFinite(bpm))) return;
    if (this.o.fixedBpm === undefined && this.stateValue === 'playing'
      && (this.latchedFallback || Math.abs(bpm / this.mapBpm - 1) > this.o.retempoThreshold)) {
      const t = this.target();
      this.anchor = { beats: t.beats, media: t.mediaSeconds, segment: t.segment };
      this.mapBpm = bpm;
      this.latchedFallback = false;
    }
    if (this.stateValue === 'playing') {
      this.setSpeed(this.nudge); // the base speed follows the tempo; a nudge in force stays
      this.scheduleCue();
    }
  };

  private fire(): void {
    this.latch();
    const beats = this.beatsNow();
    this.setState('playing');
    this.cueCursor = Math.max(0, beats);
    this.sync.request(); // the media waits at the top already: just play (sent first, before any cue command)
    for (const c of this.cueList.cues) {
      if (c.do !== 'command' || c.atBeats > this.cueCursor) continue;
      this.emit('cue', c);
      this.runCue(c);
    }
    this.scheduleCue();
    this.emit('fired', this.where());
  }

  /** The mapping tempo from now: the media's, else the transport's (a fallback while it has none). */
  private latch(): void {
    this.anchor = undefined;
    this.controller.reset();
    this.pickTempo();
    this.setSpeed(0);
  }

  private pickTempo(): void {
    if (this.o.fixedBpm !== undefined) return;
    const bpm = this.transport.tempoBpm;
    if (bpm !== undefined && bpm > 0 && Number.isFinite(bpm)) {
      this.mapBpm = bpm;
      this.latchedFallback = false;
      return;
    }
    // Said when it matters — the show plays on a guessed tempo — not when a player opens before
    // any DAW is connected (or seeks while stopped: the first tempo re-latches without a jump).
    if (this.transport.playing && !this.warnedFallback) {
      this.warnedFallback = true;
      this.warn('E_STATE', `the transport has no tempo yet: beats map to media time at ${this.o.fallbackBpm} bpm until it has one`);
    }
    this.mapBpm = this.o.fallbackBpm;
    this.latchedFallback = true;
  }

  // ------------------------------------------------------------------ where the media should be

  private target(): MediaTarget & { beats: number; segment: number } {
    const beats = this.beatsNow();
    const s = cueStateAt(this.cueList, beats, this.mapBpm);
    let media = s.mediaSeconds;
    const a = this.anchor;
    if (a && a.segment === s.segment && !s.paused && beats >= 0) media = a.media + ((beats - a.beats) * 60) / this.mapBpm;
    if (this.stateValue === 'holding') {
      // Not following: the media stays where it is.
      return { file: this.sync.file ?? s.file, mediaSeconds: this.sync.position.estimate(this.runtime.clock.micros()) ?? media, paused: true, properties: s.properties, beats, segment: s.segment };
    }
    return { file: s.file, mediaSeconds: media, paused: this.stateValue !== 'playing' || s.paused, properties: s.properties, beats, segment: s.segment };
  }

  private where(): ShowPosition {
    const t = this.target();
    return { positionBeats: t.beats, mediaSeconds: t.mediaSeconds, file: t.file };
  }

  private beatsNow(): number {
    const beats = this.transport.positionBeats(this.runtime.clock.micros());
    return Number.isFinite(beats) ? beats : 0;
  }

  // ------------------------------------------------------------------ cues

  private scheduleCue(): void {
    this.cueTimer?.cancel();
    this.cueTimer = undefined;
    if (this.stateValue !== 'playing') return;
    const next = nextCueBeats(this.cueList, this.cueCursor);
    if (next === undefined) return;
    const bpm = this.transport.tempoBpm ?? this.mapBpm;
    const inMicros = ((next - this.beatsNow()) * 60e6) / bpm;
    this.cueTimer = this.runtime.timers.setTimeout(() => this.runCues(), Math.max(100, Math.ceil(inMicros)));
  }

  private runCues(): void {
    if (this.stateValue !== 'playing') return;
    const beats = this.beatsNow();
    const crossed = cuesCrossed(this.cueList, this.cueCursor, beats);
    this.cueCursor = Math.max(this.cueCursor, beats);
    let explicit = false;
    let state = false;
    for (const c of crossed) {
      this.emit('cue', c);
      if (c.do === 'command') this.runCue(c);
      else {
        state = true;
        explicit ||= c.do === 'load' || c.do === 'seek';
      }
    }
    if (state) {
      if (crossed.some(isMediaCue)) {
        this.controller.reset();
        this.setSpeed(0);
      }
      this.sync.request(explicit);
    }
    this.scheduleCue();
  }

  private runCue(c: CueList['cues'][number]): void {
    if (c.do === 'command') this.sync.command(c.command);
  }

  private stopCues(): void {
    this.cueTimer?.cancel();
    this.cueTimer = undefined;
  }

  // ------------------------------------------------------------------ drift

  private scheduleDrift(): void {
    this.driftTimer = this.runtime.timers.setTimeout(() => {
      this.scheduleDrift();
      this.runCues();
      this.checkDrift();
    }, this.o.driftIntervalMicros);
  }

  private checkDrift(): void {
    if (this.stateValue !== 'playing' || this.sync.busy) return;
    const t = this.target();
    if (t.paused || t.file === undefined) return;
    if (this.sync.file !== t.file || this.sync.paused !== false) {
      this.sync.request(); // not where it should be (a reload pending, someone paused mpv)
      return;
    }
    const now = this.runtime.clock.micros();
    const at = this.sync.position.estimate(now);
    if (!this.o.driftCorrection || t.mediaSeconds < 0 || at === undefined || now < this.sync.settledAfterMicros) return;
    const drift = at - t.mediaSeconds;
    this.stats.lastDriftSeconds = drift;
    this.stats.checks++;
    const action = this.controller.update(drift, now / 1e6);
    if (action.kind === 'seek') {
      this.stats.seekCorrections++;
      this.sync.request(true);
    } else {
      this.setSpeed(action.nudge);
    }
  }

  /** mpv's speed: the transport's rate over the media's (≈ 1 when latched), times the nudge. */
  private setSpeed(nudge: number): void {
    this.nudge = nudge;
    const tempo = this.transport.tempoBpm;
    const rate = tempo !== undefined && tempo > 0 && !this.latchedFallback ? tempo / this.mapBpm : 1;
    const base = Math.round(Math.min(2, Math.max(0.5, rate)) * 1000) / 1000;
    const speed = Math.round(base * (1 + nudge) * 10_000) / 10_000;
    if (speed !== this.sync.speed && nudge !== 0) this.stats.speedCorrections++;
    this.sync.setSpeed(speed);
  }

  private sought(): void {
    this.controller.reset();
    if (this.stateValue === 'playing') this.setSpeed(0);
  }

  // ------------------------------------------------------------------ state and warnings

  private setState(next: ShowState): void {
    const was = this.stateValue;
    this.stateValue = next;
    if (this.closing) return;
    if ((was === 'armed') !== (next === 'armed')) this.emit('armed', next === 'armed');
  }

  private warn(code: PhaselockErrorCode, message: string): void {
    if (this.listenerCount('warning') === 0) return;
    const text = this.warnings.admit(message, this.runtime.clock.micros());
    if (text !== undefined) this.emit('warning', new PhaselockError(code, `show: ${text}`));
  }
}

function isTop(beats: number): boolean {
  return Math.abs(beats) < TOP_EPSILON;
}
