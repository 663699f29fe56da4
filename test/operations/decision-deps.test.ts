import { describe, expect, it } from 'vitest';
import { createDecisionDeps, rememberedDeriveAction } from '../../src/operations/decision-deps.ts';
import { APP } from './support/operation-fixtures.ts';

type Derived = ReturnType<ReturnType<typeof rememberedDeriveAction>>;
const derived = (action: string): Derived => ({ action, scope: APP, isDataAction: false });

describe('remembered ARM actions', () => {
  it('resolves a method and path once and answers the same from then on', () => {
    const { deriveAction } = createDecisionDeps({ guardrails: { rules: [] }, runModes: {} } as never, { check: async () => ({}) as never });
    const first = deriveAction('GET', APP);
    expect(first.action).toBe('Microsoft.App/containerApps/read');
    expect(deriveAction('GET', APP)).toBe(first);
    // frozen: one caller cannot change what the next is told
    expect(Object.isFrozen(first)).toBe(true);
    expect(deriveAction('DELETE', APP).action).toBe('Microsoft.App/containerApps/delete');
  });

  it('keeps at most `max` calls, forgetting the oldest, and never remembers a refusal', () => {
    const calls: string[] = [];
    const derive = rememberedDeriveAction((method, path) => {
      calls.push(`${method} ${path}`);
      if (path === '/bad') throw new Error('not an ARM operation');
      return derived(`${method}:${path}`);
    }, 2);
    derive('GET', '/a');
    derive('GET', '/b');
    derive('GET', '/a');
    expect(calls).toEqual(['GET /a', 'GET /b']);
    derive('GET', '/c'); // forgets GET /a
    derive('GET', '/b');
    derive('GET', '/a');
    expect(calls).toEqual(['GET /a', 'GET /b', 'GET /c', 'GET /a']);
    expect(() => derive('PUT', '/bad')).toThrow('not an ARM operation');
    expect(() => derive('PUT', '/bad')).toThrow('not an ARM operation');
    expect(calls.filter((c) => c === 'PUT /bad')).toHaveLength(2);
  });
});
