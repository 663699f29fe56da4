import { describe, expect, it } from 'vitest';
import { runReadinessChecks } from '../../src/web/readiness.ts';

describe('runReadinessChecks', () => {
  it('is ready with no checks and with passing sync and async checks', async () => {
    expect(await runReadinessChecks([])).toEqual({ ready: true, checks: [] });
    const r = await runReadinessChecks([{ name: 'a', check: () => undefined }, { name: 'b', check: async () => undefined }]);
    expect(r.ready).toBe(true);
  });

  it('a synchronous throw, a rejection with a non-Error, and a timeout each fail only their own check', async () => {
    const r = await runReadinessChecks(
      [
        { name: 'sync', check: () => { throw new Error('policies not loaded'); } },
        { name: 'odd', check: () => Promise.reject('plain string') },
        { name: 'hung', check: () => new Promise<void>(() => undefined) },
        { name: 'fine', check: () => undefined },
      ],
      30,
    );
    expect(r.ready).toBe(false);
    expect(r.checks).toEqual([
      { name: 'sync', ok: false, error: 'policies not loaded' },
      { name: 'odd', ok: false, error: 'plain string' },
      { name: 'hung', ok: false, error: 'no answer within 30 ms' },
      { name: 'fine', ok: true },
    ]);
  });

  it('keeps error text to one bounded line', async () => {
    const r = await runReadinessChecks([{ name: 'x', check: () => { throw new Error(`${'y'.repeat(500)}\nsecond line`); } }]);
    expect(r.checks[0]!.error).toHaveLength(200);
    expect(r.checks[0]!.error).not.toContain('\n');
  });
});
