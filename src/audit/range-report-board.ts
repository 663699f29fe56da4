/**
 * Where the range pre-checks of one verification post their reports and verifyChain waits for
 * them in order, whoever checks them (worker threads on a SQLite file, lanes over a server's
 * pool). The first failure rejects every wait, present and future.
 */
import type { RangeReport } from './audit-verify-ranges.ts';

export class RangeReportBoard {
  private readonly reports = new Map<number, RangeReport>();
  private readonly waiting = new Map<number, { resolve: (r: RangeReport) => void; reject: (e: unknown) => void }>();
  private failure: { error: unknown } | undefined;

  readonly put = (r: RangeReport): void => {
    this.reports.set(r.index, r);
    this.waiting.get(r.index)?.resolve(r);
    this.waiting.delete(r.index);
  };

  readonly fail = (error: unknown): void => {
    this.failure ??= { error };
    for (const w of this.waiting.values()) w.reject(this.failure.error);
    this.waiting.clear();
  };

  get failed(): boolean {
    return this.failure !== undefined;
  }

  has(index: number): boolean {
    return this.reports.has(index);
  }

  get(index: number): Promise<RangeReport> {
    const r = this.reports.get(index);
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise((resolve, reject) => this.waiting.set(index, { resolve, reject }));
  }
}
