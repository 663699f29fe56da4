/**
 * A bounded map whose entries expire. The sandbox keeps sign-in flows, codes and refresh tokens
 * in memory; the bound stops a loop of requests from growing the process without limit (the
 * oldest entries go first).
 */
export class TtlMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.sweep();
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  /** The live value, or undefined when absent or expired. */
  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Like get, but also says whether the key existed and has expired. */
  lookup(key: string): { state: 'live'; value: V } | { state: 'expired'; value: V } | { state: 'absent' } {
    const e = this.entries.get(key);
    if (!e) return { state: 'absent' };
    if (e.expiresAt <= this.now()) return { state: 'expired', value: e.value };
    return { state: 'live', value: e.value };
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= t) this.entries.delete(k);
  }
}
