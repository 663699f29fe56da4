import { describe, expect, it } from 'vitest';
import { AsyncMutex } from '../../src/store/async-mutex.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('AsyncMutex', () => {
  it('runs critical sections one at a time, in arrival order', async () => {
    const mutex = new AsyncMutex();
    const events: string[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mutex.runExclusive(async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          events.push(`start ${i}`);
          await tick();
          events.push(`end ${i}`);
          inside -= 1;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(events).toEqual(Array.from({ length: 20 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
  });

  it('releases the lock when a section throws, and passes the error to its caller only', async () => {
    const mutex = new AsyncMutex();
    const failed = mutex.runExclusive(async () => {
      throw new Error('boom');
    });
    const next = mutex.runExclusive(async () => 'ran');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    expect(mutex.queued).toBe(0);
  });
});
