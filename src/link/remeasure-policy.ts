/**
 * When a joined session is measured again, and which results count (L0, time passed in).
 * After a join: at 1, 2, 4 and 8 s, then every 30 s (spec 02 §7.3 has 30 s only). A result
 * replaces the transform only when its uncertainty (measurement.ts) is within 1.5× of the best
 * one seen, an allowance that doubles every minute so drift is still followed: a measurement
 * taken while the machine was busy cannot displace a better one, and one taken in a quiet
 * moment corrects a join made under load within seconds.
 * @module
 */
export const REMEASURE_MICROS = 30_000_000;
/** The early re-measurements after a join: 1, 2, 4 and 8 s. */
export const EARLY_REMEASURE_MICROS = [1_000_000, 2_000_000, 4_000_000, 8_000_000] as const;
/** A result is taken when its uncertainty is within this factor of the best one seen … */
const QUALITY_SLACK = 1.5;
/** … which doubles per this much age of the best one. */
const QUALITY_HALF_LIFE_MICROS = 60_000_000;

export class RemeasurePolicy {
  private step = 0;
  private best: { uncertainty: number; at: number } | undefined;

  /** A new session was joined: the schedule starts over and no result is known yet. */
  joined(): void {
    this.step = 0;
    this.best = undefined;
  }

  /** The measurement that led to the join had `uncertainty` (the schedule is left alone). */
  joinedWith(uncertainty: number, now: number): void {
    this.best = { uncertainty, at: now };
  }

  /** The peer stopped: results seen so far no longer count. */
  forget(): void {
    this.best = undefined;
  }

  /** The delay until the next re-measurement (and a step along the schedule). */
  nextDelay(): number {
    return EARLY_REMEASURE_MICROS[this.step++] ?? REMEASURE_MICROS;
  }

  /** Whether a re-measurement with `uncertainty` at `now` should replace the transform. */
  accept(uncertainty: number, now: number): boolean {
    const aged = (b: { uncertainty: number; at: number }) => b.uncertainty * 2 ** ((now - b.at) / QUALITY_HALF_LIFE_MICROS);
    if (this.best && uncertainty > aged(this.best) * QUALITY_SLACK) return false;
    if (!this.best || uncertainty < aged(this.best)) this.best = { uncertainty, at: now };
    return true;
  }

  /** The best uncertainty seen (diagnostics). */
  get bestUncertainty(): number | undefined {
    return this.best?.uncertainty;
  }
}
