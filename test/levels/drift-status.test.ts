import { describe, expect, it } from 'vitest';
import type { AgentPlan } from '../../src/levels/level-enforcer.ts';
import { createDriftStatusSource } from '../../src/levels/drift-status.ts';

function planWith(p: { drift?: number; create?: number; del?: number; exceeds?: boolean }): AgentPlan {
  const many = (n = 0) => Array.from({ length: n }, () => ({}) as never);
  return {
    plan: {
      agent: { id: 'a', name: 'a', level: 'Reader', principalId: 'p' },
      desired: [],
      inPlace: [],
      toCreate: many(p.create),
      toDelete: many(p.del),
      drift: many(p.drift),
      effectiveLevel: { level: p.exceeds ? 'Privileged' : 'Reader', exceeds: !!p.exceeds, message: '' },
      notes: [],
    },
    inventory: [],
    releasedResourceGroups: [],
  };
}

describe('drift status for the start page', () => {
  it('reads drift, pending changes or in sync from the plan', async () => {
    const plans: Record<string, AgentPlan> = { drifted: planWith({ drift: 2, exceeds: true }), pending: planWith({ create: 1, del: 1 }), clean: planWith({}) };
    const source = createDriftStatusSource({ enforcer: { plan: async (id) => plans[id]! }, maxAgeSeconds: 60 });
    expect(await source.get('drifted')).toMatchObject({ state: 'drift', driftCount: 2, effectiveLevel: 'Privileged' });
    expect(await source.get('pending')).toMatchObject({ state: 'changes-pending', pendingChanges: 2 });
    expect(await source.get('clean')).toMatchObject({ state: 'in-sync', driftCount: 0, pendingChanges: 0 });
  });

  it('plans once per cache lifetime, once at a time, and remembers a failure as unknown with its first line', async () => {
    let now = Date.parse('2026-12-04T12:00:00Z');
    let calls = 0;
    let fail = true;
    const source = createDriftStatusSource({
      enforcer: {
        plan: async () => {
          calls++;
          await new Promise((r) => setTimeout(r, 5));
          if (fail) throw new Error('ARM said no\nstack...');
          return planWith({});
        },
      },
      maxAgeSeconds: 60,
      clock: () => new Date(now),
    });
    expect(source.peek('a')).toBeUndefined();
    const [one, two] = await Promise.all([source.get('a'), source.get('a')]);
    expect(calls).toBe(1);
    expect(one).toBe(two);
    expect(one).toMatchObject({ state: 'unknown', reason: 'ARM said no' });
    fail = false;
    expect((await source.get('a')).state).toBe('unknown');
    expect(calls).toBe(1);
    now += 61_000;
    expect((await source.get('a')).state).toBe('in-sync');
    expect(calls).toBe(2);
    expect(source.peek('a')?.state).toBe('in-sync');
  });

  it('reports drift once per episode (for notifications): found, still drifting, gone, found again', async () => {
    let now = Date.parse('2026-12-04T12:00:00Z');
    let drift = 1;
    const found: Array<[string, number]> = [];
    const source = createDriftStatusSource({
      enforcer: { plan: async () => planWith({ drift }) },
      maxAgeSeconds: 60,
      clock: () => new Date(now),
      onDriftFound: (agentId, status) => found.push([agentId, status.driftCount]),
    });
    await source.get('a');
    now += 61_000;
    drift = 2;
    await source.get('a');
    expect(found).toEqual([['a', 1]]);
    now += 61_000;
    drift = 0;
    await source.get('a');
    now += 61_000;
    drift = 3;
    await source.get('a');
    expect(found).toEqual([['a', 1], ['a', 3]]);
  });
});
