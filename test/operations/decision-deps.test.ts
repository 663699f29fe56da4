import { describe, expect, it } from 'vitest';
import { createDecisionDeps, rememberedDeriveAction } from '../../src/operations/decision-deps.ts';
import { alwaysSeen } from './support/always-seen.ts';
import { APP } from './support/operation-fixtures.ts';

type Derived = ReturnType<ReturnType<typeof rememberedDeriveAction>>;
const derived = (action: string): Derived => ({ action, scope: APP, isDataAction: false });

describe('remembered ARM actions', () => {
  it('resolves a method and path once and answers the same from then on', () => {
    const { deriveAction } = createDecisionDeps({ guardrails: { rules: [] }, runModes: {} } as never, { check: async () => ({}) as never }, { sightings: alwaysSeen });
    const first = deriveAction('GET', APP);
    expect(first.action).toBe('Microsoft.App/containerApps/read');
    expect(deriveAction('GET', APP)).toBe(first);
    // frozen: one caller cannot change what the next is told
    expect(Object.isFrozen(first)).toBe(true);
    expect(deriveAction('DELETE', APP).action).toBe('Microsoft.App/containerApps/delete');
  });

  it('remembers a call from the second time it is resolved recently, not the first', () => {
    const { deriveAction } = createDecisionDeps({ guardrails: { rules: [] }, runModes: {} } as never, { check: async () => ({}) as never });
    const first = deriveAction('GET', APP);
    const second = deriveAction('GET', APP);
    const third = deriveAction('GET', APP);
    expect([first === second, second === third]).toEqual([false, true]);
    expect([first, second, third].map((d) => d.action)).toEqual(Array(3).fill('Microsoft.App/containerApps/read'));
    // Each method and path is its own sighting: another call is not admitted by this one's.
    const other = deriveAction('DELETE', APP);
    expect(deriveAction('DELETE', APP)).not.toBe(other);
  });

  it('keeps at most `max` calls, forgetting the oldest, and never remembers a refusal', () => {
    const calls: string[] = [];
    const derive = rememberedDeriveAction((method, path) => {
      calls.push(`${method} ${path}`);
      if (path === '/bad') throw new Error('not an ARM operation');
      return derived(`${method}:${path}`);
    }, 2, alwaysSeen);
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

  it('asks the doorkeeper only about calls that resolved: a refusal is never a sighting', () => {
    const asked: string[] = [];
    const derive = rememberedDeriveAction((method, path) => {
      if (path === '/bad') throw new Error('not an ARM operation');
      return derived(`${method}:${path}`);
    }, 2, { sightText: (key) => (asked.push(key), false) });
    expect(() => derive('PUT', '/bad')).toThrow('not an ARM operation');
    const first = derive('GET', '/a');
    expect(derive('GET', '/a')).not.toBe(first);
    expect(asked).toEqual(['GET /a', 'GET /a']);
  });
});
