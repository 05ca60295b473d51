/**
 * Rate limiting for warnings: a flood of bad datagrams must not become a flood of events.
 * Pure (time is passed in).
 * @module
 */
export class WarningLimiter {
  private windowStart = -Infinity;
  private count = 0;
  private suppressed = 0;

  constructor(private readonly perSecond: number) {}

  /**
   * The message to report at `nowMicros` (with a count of what was suppressed since the last
   * one), or undefined when over the limit.
   */
  admit(message: string, nowMicros: number): string | undefined {
    if (nowMicros - this.windowStart >= 1_000_000) {
      this.windowStart = nowMicros;
      this.count = 0;
    }
    if (++this.count > this.perSecond) {
      this.suppressed++;
      return undefined;
    }
    const suffix = this.suppressed > 0 ? ` (${this.suppressed} similar warnings suppressed)` : '';
    this.suppressed = 0;
    return message + suffix;
  }
}
