/**
 * Where mpv's media stands between the values it reports (L0, time passed in): the last
 * observed position, run on at the playing rate since it arrived. mpv reports `time-pos` per
 * video frame (and `audio-pts` per audio chunk) at the moment the frame is shown, so the value
 * plus the time since it changed is closer than the value alone — by up to a frame. Pure.
 * @module
 */
export class MediaPosition {
  private value: number | undefined;
  private atMicros = 0;
  private rate = 0;
  /** Where a seek while paused put the media: the frame shown there reports a little less. */
  private heldAt: number | undefined;

  /** Media seconds at `nowMicros`, undefined when unknown. */
  estimate(nowMicros: number): number | undefined {
    if (this.value === undefined) return undefined;
    return this.value + ((nowMicros - this.atMicros) / 1e6) * this.rate;
  }

  /** mpv reported `seconds` (time-pos or audio-pts), received at `nowMicros`. */
  observe(seconds: number, nowMicros: number, frameSeconds: number): void {
    // Paused after a seek to 10.013 s, mpv shows the frame at 10.000 s and says so; the media
    // still stands at 10.013 s (it plays on from there), so keep the seek's value.
    const held = this.heldAt;
    if (this.rate === 0 && held !== undefined && seconds <= held + 1e-6 && held - seconds < frameSeconds + 1e-6) return;
    this.value = seconds;
    this.atMicros = nowMicros;
  }

  /** A seek to `seconds` was done at `nowMicros`. */
  seeked(seconds: number, nowMicros: number): void {
    this.value = seconds;
    this.atMicros = nowMicros;
    this.heldAt = seconds;
  }

  /** The media plays at `rate` (0 paused, else mpv's speed) from `nowMicros`. */
  setRate(rate: number, nowMicros: number): void {
    if (rate === this.rate) return;
    if (this.value !== undefined) this.value = this.estimate(nowMicros);
    this.atMicros = nowMicros;
    this.rate = rate;
    if (rate !== 0) this.heldAt = undefined;
  }

  /** Nothing known (no file, or mpv went away). */
  clear(): void {
    this.value = undefined;
    this.heldAt = undefined;
  }
}
