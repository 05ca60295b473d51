/**
 * `MediaSync` (L1, inside `ShowPlayer`): brings mpv to the state the show wants — the file,
 * where it stands, paused or playing, its speed, the properties the cue list set — and keeps
 * what it knows of mpv (observed `pause`, `speed`, `audio-pts`/`time-pos`, `container-fps`;
 * the file it loaded). One reconciliation runs at a time; requests made meanwhile coalesce
 * into one more run that reads the wanted state afresh, so a burst of transport messages (SPP
 * then Continue 1 ms later) costs no stale commands.
 *
 * mpv going away (killed, restarted): everything known is forgotten and a warning says the
 * show keeps its state; on reconnection the file is loaded again, sought to where the show
 * stands now and unpaused if it plays. A file that ended (eof) or failed to load is not loaded
 * again until something asks explicitly (a transport seek, a cue, a reconnection) — a song
 * longer than its video does not loop on reloads.
 * @module
 */
import { PhaselockError, toError, type PhaselockErrorCode } from '../core/errors.ts';
import type { Clock, TimerHandle, Timers } from '../core/runtime.ts';
import type { CueValue } from './cue-list.ts';
import { MediaPosition } from './media-position.ts';
import type { MpvClient, MpvObservation } from './mpv-client.ts';
import type { MpvEndFile } from './mpv-protocol.ts';

/** What the show wants mpv to be doing now. */
export interface MediaTarget {
  /** The file, undefined for none (mpv idle). */
  file: string | undefined;
  /** Where it should stand now (s); negative: the show starts in `-mediaSeconds` s. */
  mediaSeconds: number;
  paused: boolean;
  properties: ReadonlyMap<string, CueValue>;
}

export interface MediaSyncHost {
  /** The wanted state, read at the clock's now (it moves while the show plays). */
  target(): MediaTarget;
  warn(code: PhaselockErrorCode, message: string): void;
  /** mpv was sought (a drift nudge in force is moot). */
  sought(): void;
}

export interface MediaSyncOptions {
  frameMicros: number;
  /** Drift tolerated while playing before a resync seeks (s). */
  seekThresholdSeconds: number;
  loadTimeoutMicros: number;
}

export class MediaSync {
  /** The file mpv has loaded (ours), undefined when none or unknown. */
  file: string | undefined;
  /** mpv's pause, undefined when unknown. */
  paused: boolean | undefined;
  readonly position = new MediaPosition();
  /** Host time before which position reports may still reflect a seek or a start (µs). */
  settledAfterMicros = 0;
  private speedKnown: number | undefined;
  private wantSpeed = 1;
  private hasAudio = false;
  private fps: number | undefined;
  private entryId: number | undefined;
  private blocked: string | undefined;
  private forceSeek = false;
  private dirty = false;
  private running: Promise<void> | undefined;
  private startTimer: TimerHandle | undefined;
  private readonly applied = new Map<string, CueValue>();
  private readonly observations: MpvObservation[] = [];
  private closed = false;

  constructor(
    private readonly mpv: MpvClient,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly options: MediaSyncOptions,
    private readonly host: MediaSyncHost,
  ) {}

  /** One video frame (s): from mpv's `container-fps` when known. */
  get frameSeconds(): number {
    return this.fps ? 1 / this.fps : this.options.frameMicros / 1e6;
  }

  /** A reconciliation is running. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  get speed(): number {
    return this.wantSpeed;
  }

  open(): void {
    const o = (name: string, fn: (v: unknown) => void) => this.observations.push(this.mpv.observeProperty(name, fn));
    o('pause', (v) => this.onPause(typeof v === 'boolean' ? v : undefined));
    o('speed', (v) => this.onSpeed(typeof v === 'number' && v > 0 ? v : undefined));
    o('audio-pts', (v) => this.onPosition('audio-pts', v as number | undefined));
    o('time-pos', (v) => this.onPosition('time-pos', v as number | undefined));
    o('container-fps', (v) => { this.fps = typeof v === 'number' && v >= 1 && v <= 300 ? v : undefined; });
    this.mpv.on('state', this.onState);
    this.mpv.on('end-file', this.onEndFile);
  }

  /**
   * Stops: nothing more is sent to mpv (a reconciliation under way ends at its next step);
   * the observations are undone without waiting for mpv.
   */
  close(): void {
    this.closed = true;
    this.startTimer?.cancel();
    this.mpv.off('state', this.onState);
    this.mpv.off('end-file', this.onEndFile);
    for (const o of this.observations.splice(0)) void o.dispose();
  }

  /**
   * Brings mpv to the wanted state soon. `explicit`: a seek is wanted whatever mpv reports,
   * and a file that ended or failed may be loaded again.
   */
  request(explicit = false): void {
    if (explicit) {
      this.forceSeek = true;
      this.blocked = undefined;
    }
    this.dirty = true;
    this.kick();
  }

  /** The speed to play at (the drift rule's nudge on the base speed). */
  setSpeed(speed: number): void {
    if (speed === this.wantSpeed) return;
    this.wantSpeed = speed;
    this.request();
  }

  /** Runs an mpv command now (a `command` cue); a failure is a warning. */
  command(command: readonly unknown[]): void {
    if (!this.mpv.connected) {
      this.host.warn('E_UNAVAILABLE', `cue command ${String(command[0])} skipped: mpv is not connected`);
      return;
    }
    this.mpv.request(command).catch((err: unknown) => this.failed(err, `cue command ${String(command[0])}`));
  }

  // ------------------------------------------------------------------ reconciliation

  private kick(): void {
    if (this.running || this.closed) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (this.dirty) this.kick();
    });
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      try {
        await this.syncOnce();
      } catch (err) {
        this.failed(err, 'sync');
      }
    }
  }

  /** mpv's client, unless closed (then the reconciliation ends here). */
  private get client(): MpvClient {
    if (this.closed) throw new PhaselockError('E_CLOSED', 'show: closed');
    return this.mpv;
  }

  private async syncOnce(): Promise<void> {
    if (!this.mpv.connected) return; // again on reconnection
    this.startTimer?.cancel();
    let t = this.host.target();
    if (t.paused && this.paused !== true) await this.setPause(true);
    if (t.file === undefined) {
      if (this.file !== undefined) {
        await this.client.command('stop');
        this.unloaded();
      }
      return;
    }
    if (this.file !== t.file) {
      if (this.blocked === t.file) return;
      await this.load(t.file);
      this.forceSeek = true;
      if (this.dirty) return; // the wanted state moved on meanwhile: the next run starts afresh
    }
    const properties = this.host.target().properties;
    if ([...properties].some(([name, value]) => this.applied.get(name) !== value)) await this.applyProperties(properties);
    t = this.host.target();
    const where = Math.max(0, t.mediaSeconds);
    const at = this.position.estimate(this.clock.micros());
    const tolerance = t.paused || this.paused !== false ? this.frameSeconds / 2 : this.options.seekThresholdSeconds;
    if (this.forceSeek || at === undefined || Math.abs(at - where) > tolerance) {
      this.forceSeek = false;
      await this.seek(where);
    }
    if (this.speedKnown !== this.wantSpeed) await this.applySpeed();
    if (t.paused) return;
    const startsIn = -this.host.target().mediaSeconds;
    if (startsIn > 0) {
      // Before the top (the first beat is a moment away): unpause when it comes.
      this.startTimer = this.timers.setTimeout(() => this.request(), Math.ceil(startsIn * 1e6));
      return;
    }
    if (this.paused !== false) await this.setPause(false);
  }

  private async load(file: string): Promise<void> {
    this.unloaded();
    const loaded = this.whenLoaded(file);
    try {
      const reply = await this.client.command('loadfile', file, 'replace');
      const id = (reply as { playlist_entry_id?: unknown } | undefined)?.playlist_entry_id;
      this.entryId = typeof id === 'number' && Number.isSafeInteger(id) ? id : undefined;
      await loaded.done;
    } catch (err) {
      if (this.mpv.connected) this.blocked = file;
      throw err;
    } finally {
      loaded.cancel();
    }
    this.file = file;
    this.hasAudio = false;
    this.position.seeked(0, this.clock.micros());
    this.settle();
  }

  /** Resolves on mpv's `file-loaded`; rejects when loading fails, mpv goes away, or it takes too long. */
  private whenLoaded(file: string): { done: Promise<void>; cancel(): void } {
    let cancel = () => undefined as void;
    const done = new Promise<void>((resolve, reject) => {
      const ok = () => { cancel(); resolve(); };
      const ended = (e: MpvEndFile) => {
        if (e.reason !== 'error') return;
        cancel();
        reject(new PhaselockError('E_UNAVAILABLE', `mpv could not load ${file}${e.fileError ? `: ${e.fileError}` : ''}`));
      };
      const lost = (s: string) => {
        if (s !== 'disconnected') return;
        cancel();
        reject(new PhaselockError('E_UNAVAILABLE', `mpv went away while loading ${file}`));
      };
      const timer = this.timers.setTimeout(() => {
        cancel();
        reject(new PhaselockError('E_TIMEOUT', `mpv did not load ${file} within ${this.options.loadTimeoutMicros / 1e6} s`));
      }, this.options.loadTimeoutMicros);
      cancel = () => {
        timer.cancel();
        this.mpv.off('file-loaded', ok);
        this.mpv.off('end-file', ended);
        this.mpv.off('state', lost);
      };
      this.mpv.on('file-loaded', ok);
      this.mpv.on('end-file', ended);
      this.mpv.on('state', lost);
    });
    done.catch(() => undefined);
    return { done, cancel: () => cancel() };
  }

  private async seek(seconds: number): Promise<void> {
    await this.client.command('seek', seconds, 'absolute+exact');
    this.position.seeked(seconds, this.clock.micros());
    this.settle();
    this.host.sought();
  }

  private async setPause(paused: boolean): Promise<void> {
    await this.client.setProperty('pause', paused);
    this.onPause(paused);
    if (!paused) this.settle();
  }

  private async applySpeed(): Promise<void> {
    const speed = this.wantSpeed;
    await this.client.setProperty('speed', speed);
    this.onSpeed(speed);
  }

  private async applyProperties(properties: ReadonlyMap<string, CueValue>): Promise<void> {
    for (const [name, value] of properties) {
      if (this.applied.get(name) === value) continue;
      try {
        await this.client.setProperty(name, value);
      } catch (err) {
        if (!(err instanceof PhaselockError && err.code === 'E_PROTOCOL')) throw err;
        this.host.warn('E_PROTOCOL', `cue set ${name}: ${err.message}`); // mpv refused: not retried
      }
      this.applied.set(name, value);
    }
  }

  /** Drift is measured only once a seek or a start has had time to show (a few frames). */
  private settle(): void {
    this.settledAfterMicros = this.clock.micros() + Math.max(100_000, 3 * this.frameSeconds * 1e6);
  }

  private failed(err: unknown, what: string): void {
    if (this.closed) return;
    const e = toError(err);
    const code = err instanceof PhaselockError ? err.code : 'E_STATE';
    if (code === 'E_CLOSED') return;
    if (code === 'E_UNAVAILABLE' && !this.mpv.connected) return; // said when mpv went away
    if (code === 'E_TIMEOUT') this.paused = undefined; // not known what mpv did
    this.host.warn(code, `${what}: ${e.message}`);
  }

  // ------------------------------------------------------------------ what mpv reports

  private unloaded(): void {
    this.file = undefined;
    this.entryId = undefined;
    this.position.clear();
  }

  private onPause(paused: boolean | undefined): void {
    this.paused = paused;
    this.position.setRate(paused === false ? (this.speedKnown ?? 1) : 0, this.clock.micros());
  }

  private onSpeed(speed: number | undefined): void {
    this.speedKnown = speed;
    if (this.paused === false) this.position.setRate(speed ?? 1, this.clock.micros());
  }

  private onPosition(name: 'audio-pts' | 'time-pos', seconds: number | undefined): void {
    if (seconds === undefined || this.file === undefined) return;
    // audio-pts runs smoothly when the file has audio; time-pos steps with video frames.
    if (name === 'audio-pts') this.hasAudio = true;
    else if (this.hasAudio) return;
    this.position.observe(seconds, this.clock.micros(), this.frameSeconds);
  }

  private readonly onEndFile = (e: MpvEndFile): void => {
    if (this.file === undefined) return;
    const ours = this.entryId !== undefined && e.playlistEntryId === this.entryId;
    if (!ours && !(this.entryId === undefined && (e.reason === 'eof' || e.reason === 'error'))) return;
    if (e.reason === 'eof' || e.reason === 'error') this.blocked = this.file;
    if (e.reason === 'error') this.host.warn('E_UNAVAILABLE', `mpv stopped playing ${this.file}${e.fileError ? `: ${e.fileError}` : ''}`);
    this.unloaded();
  };

  private readonly onState = (state: 'connected' | 'disconnected'): void => {
    if (state === 'disconnected') {
      this.startTimer?.cancel();
      this.unloaded();
      this.paused = undefined;
      this.speedKnown = undefined;
      this.fps = undefined;
      this.blocked = undefined;
      this.applied.clear();
      this.host.warn('E_UNAVAILABLE', 'mpv went away: the show keeps its state and takes it up again when mpv is back');
    } else {
      // A restarted mpv: idle and paused. Load, seek to where the show stands now, play if it plays.
      this.request(true);
    }
  };
}
