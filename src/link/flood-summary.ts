/**
 * What a flood made a gateway refuse, summed up in one warning a second (L1). Per datagram this
 * is an increment: under 10 000 Alives/s, building a message each time would cost more than the
 * datagram, and one kind of refusal would use up the warning budget of the others.
 * @module
 */
import type { TimerHandle, Timers } from '../core/runtime.ts';

export type Refusal = 'responses' | 'pongs' | 'newIds' | 'full';

export class FloodSummary {
  private counts: Record<Refusal, number> = { responses: 0, pongs: 0, newIds: 0, full: 0 };
  private timer: TimerHandle | undefined;

  constructor(
    private readonly timers: Timers,
    /** Receives the summary (once a second while refusals happen). */
    private readonly report: (message: string) => void,
  ) {}

  refuse(kind: Refusal): void {
    this.counts[kind]++;
    if (this.timer !== undefined) return;
    this.timer = this.timers.setTimeout(() => this.flush(), 1_000_000);
  }

  close(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const r = this.counts;
    const parts = [
      r.responses > 0 ? `${r.responses} Responses and ${r.pongs} pongs not sent (rate limit)` : r.pongs > 0 ? `${r.pongs} pongs not sent (rate limit)` : '',
      r.newIds > 0 ? `${r.newIds} new node ids ignored (too many from one source)` : '',
      r.full > 0 ? `${r.full} new peers ignored (table full of established peers)` : '',
    ].filter(Boolean);
    this.counts = { responses: 0, pongs: 0, newIds: 0, full: 0 };
    if (parts.length > 0) this.report(parts.join('; '));
  }
}
