/**
 * A `ShowTransport` driven by hand (a DAW in a test): `start()`, `continue()`, `stop()`,
 * `songPosition(beats)`, `setTempo(bpm)` change the transport and emit what a follower would;
 * the position runs on the clock at the tempo while playing. Nothing is checked — a test can
 * send a DAW's nonsense (Stop while stopped, Continue while playing) to see what a player does.
 * @example
 * const vt = new VirtualTime();
 * const daw = new FakeShowTransport(vt, { bpm: 120 });
 * daw.songPosition(0); daw.start(); vt.advance(2_000_000); // daw.positionBeats(vt.micros()) === 4
 * @module
 */
import { Emitter } from '../core/emitter.ts';
import type { Clock } from '../core/runtime.ts';
import type { ShowTransport, ShowTransportEvent, ShowTransportEvents } from '../show/show-transport.ts';

export interface FakeShowTransportOptions {
  /** Tempo (default 120; undefined: no tempo known yet). */
  bpm?: number | undefined;
  /** Where it stands (beats, default 0). */
  positionBeats?: number;
}

export class FakeShowTransport extends Emitter<ShowTransportEvents> implements ShowTransport {
  playing = false;
  tempoBpm: number | undefined;
  /** The position at `sinceMicros`. */
  private beats: number;
  private sinceMicros: number;

  constructor(readonly clock: Clock, options: FakeShowTransportOptions = {}) {
    super();
    this.tempoBpm = 'bpm' in options ? options.bpm : 120;
    this.beats = options.positionBeats ?? 0;
    this.sinceMicros = clock.micros();
  }

  positionBeats(atMicros: number): number {
    if (!this.playing) return this.beats;
    return this.beats + ((atMicros - this.sinceMicros) / 60e6) * (this.tempoBpm ?? 120);
  }

  /** MIDI Start: playing from 0 — `firstBeatInMicros` from now (a follower puts beat 0 on the next tick). */
  start(firstBeatInMicros = 0): void {
    this.rebase(-(firstBeatInMicros / 60e6) * (this.tempoBpm ?? 120));
    this.playing = true;
    this.emit('start', this.event(0));
  }

  /** MIDI Continue: playing from where it stands. */
  continue(): void {
    this.rebase();
    this.playing = true;
    this.emit('continue', this.event(this.beats));
  }

  /** MIDI Stop: stopped where it is. */
  stop(): void {
    this.rebase();
    this.playing = false;
    this.emit('stop', this.event(this.beats));
  }

  /** Song Position Pointer: a seek (a relocation while playing). */
  songPosition(beats: number): void {
    this.rebase(beats);
    this.emit('position', beats, this.clock.micros());
  }

  /** A new tempo estimate (undefined: none known; emits nothing then). */
  setTempo(bpm: number | undefined): void {
    this.rebase();
    this.tempoBpm = bpm;
    if (bpm !== undefined) this.emit('tempo', bpm);
  }

  private event(positionBeats: number): ShowTransportEvent {
    return { timeMicros: this.clock.micros(), positionBeats };
  }

  private rebase(beats = this.positionBeats(this.clock.micros())): void {
    this.beats = beats;
    this.sinceMicros = this.clock.micros();
  }
}
