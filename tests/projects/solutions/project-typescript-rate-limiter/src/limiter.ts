/** A token bucket: starts full, refills continuously, never above its capacity. */
export class TokenBucket {
  private tokens: number;
  private last: number | null = null;

  constructor(
    readonly capacity: number,
    readonly refillPerSecond: number,
  ) {
    this.tokens = capacity;
  }

  /** Takes `n` tokens at time `nowMs` and answers true, or answers false and takes none. */
  tryTake(nowMs: number, n = 1): boolean {
    if (this.last !== null && nowMs > this.last) {
      const gained = ((nowMs - this.last) / 1000) * this.refillPerSecond;
      this.tokens = Math.min(this.capacity, this.tokens + gained);
    }
    this.last = Math.max(this.last ?? nowMs, nowMs);
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}
