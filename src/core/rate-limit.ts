/**
 * Token buckets for replies a stranger can trigger (L0, pure: time is passed in). A bucket
 * holds up to `burst` tokens and regains `perSecond` per second; `KeyedBuckets` keeps one per
 * key (a source address) in a bounded map, oldest first out, behind one global bucket, so
 * neither one source nor many forged ones can make us send more than the global rate.
 * @module
 */

export interface RateLimit {
  /** Tokens at most (the burst a quiet source may spend at once). */
  burst: number;
  /** Tokens regained per second. */
  perSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly limit: RateLimit, nowMicros: number) {
    this.tokens = limit.burst;
    this.at = nowMicros;
  }

  /** Takes one token at `nowMicros` if there is one. */
  take(nowMicros: number): boolean {
    this.refill(nowMicros);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whether a token is available, without taking it. */
  peek(nowMicros: number): boolean {
    this.refill(nowMicros);
    return this.tokens >= 1;
  }

  private refill(nowMicros: number): void {
    const dt = nowMicros - this.at;
    if (dt > 0) this.tokens = Math.min(this.limit.burst, this.tokens + (dt * this.limit.perSecond) / 1e6);
    this.at = Math.max(this.at, nowMicros);
  }
}

export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly global: TokenBucket;

  constructor(
    private readonly perKey: RateLimit,
    global: RateLimit,
    private readonly maxKeys: number,
    nowMicros: number,
  ) {
    this.global = new TokenBucket(global, nowMicros);
  }

  /** One token for `key` and one from the global bucket, or false (and nothing taken). */
  take(key: string, nowMicros: number): boolean {
    let b = this.buckets.get(key);
    if (b) {
      // Refresh the key's place: the map is kept in least-recently-used order.
      this.buckets.delete(key);
    } else {
      b = new TokenBucket(this.perKey, nowMicros);
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    this.buckets.set(key, b);
    if (!this.global.peek(nowMicros) || !b.take(nowMicros)) return false;
    this.global.take(nowMicros);
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }
}
