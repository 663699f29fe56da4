/**
 * Issue 11, item 1: a directly runnable request was answered `approved` and never ran when the
 * executor read the row it had just inserted through the shared read connection while a list
 * read held that connection's (older) snapshot. Many concurrent submits interleaved with list
 * reads: every directly runnable request must have been executed exactly once, and none may be
 * returned `approved` (accepted but not run).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { APP, makeAgent } from './support/operation-fixtures.ts';
import { createHarness, type Harness } from './support/operations-harness.ts';

const reader = makeAgent();
const read = (key: string) => ({ method: 'GET', path: APP, apiVersion: '2024-03-01', trigger: { kind: 'chat' }, idempotencyKey: key });

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ executionWaitMs: 60_000 });
  h.setArm(() => ({ status: 200, body: { name: 'app-frontend' } }));
});
afterEach(async () => {
  await h.close();
});

describe('read-your-writes under concurrent submits and list reads', () => {
  it('executes every directly runnable request; none is answered approved-but-unrun', async () => {
    const SUBMITS = 150;
    let listing = true;
    // List readers keep the shared read connection busy (an open read snapshot) the whole time.
    const seed = await h.module.service.submit(reader, read('seed'));
    if (!seed.ok) throw new Error('seed submit failed');
    const listers = Array.from({ length: 12 }, async (_, n) => {
      let lists = 0;
      while (listing) {
        // Agents polling one request and listing theirs: single-row reads and pages on the shared reader.
        if (n % 3 === 0) await h.module.service.list(reader, { limit: '20' });
        else await h.module.service.get(reader, seed.value.id);
        lists += 1;
      }
      return lists;
    });
    const results = await Promise.all(
      Array.from({ length: SUBMITS }, async (_, i) => {
        const r = await h.module.service.submit(reader, read(`race-${i}`));
        if (!r.ok) throw new Error(`submit ${i} failed: ${JSON.stringify(r.error)}`);
        return r.value;
      }),
    );
    listing = false;
    const lists = (await Promise.all(listers)).reduce((a, b) => a + b, 0);
    expect(lists).toBeGreaterThan(0);

    // Never answered `approved`: that is a request accepted for direct execution that did not run.
    const answeredApproved: OperationRequest[] = results.filter((r) => r.state === 'approved');
    expect(answeredApproved.map((r) => r.id)).toEqual([]);
    for (const r of results) {
      expect(await h.module.store.countExecutions(r.id)).toBe(1);
      expect((await h.module.store.get(r.id))?.request.state).toBe('succeeded');
    }
    // ARM saw each request exactly once.
    expect(h.armCalls).toHaveLength(SUBMITS + 1);
    const stuck = await h.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM operation_requests WHERE state = 'approved'");
    expect(stuck!.n).toBe(0);
  }, 120_000);
});
