import { describe, expect, it } from 'vitest';
import { RUN_MODES, TRIGGER_KINDS, type RunMode, type TriggerKind } from '../../src/policies/policy-types.ts';
import { resolveRunMode, runModeAllows } from '../../src/policies/resolve-run-mode.ts';
import { parseWith, shippedPolicies } from './policy-fixtures.ts';

const shipped = shippedPolicies();

describe('resolveRunMode with the shipped run modes', () => {
  // trigger -> ceiling -> expected
  const matrix: Record<TriggerKind, Record<RunMode, RunMode>> = {
    chat: { ReadOnly: 'ReadOnly', Review: 'Review', Autonomous: 'Review' },
    incident: { ReadOnly: 'ReadOnly', Review: 'Review', Autonomous: 'Review' },
    scheduled: { ReadOnly: 'ReadOnly', Review: 'ReadOnly', Autonomous: 'ReadOnly' },
    manual: { ReadOnly: 'ReadOnly', Review: 'Review', Autonomous: 'Review' },
  };
  const rows = TRIGGER_KINDS.flatMap((t) => RUN_MODES.map((c) => [t, c, matrix[t][c]] as const));

  it.each(rows)('%s under a %s ceiling runs %s', (trigger, ceiling, expected) => {
    expect(resolveRunMode(trigger, ceiling, shipped)).toBe(expected);
  });
});

describe('resolveRunMode with a policy that allows Autonomous', () => {
  const policies = parseWith({
    'run-modes.yaml': 'triggers:\n  chat: Autonomous\n  incident: Autonomous\n  scheduled: Review\n  manual: ReadOnly\n',
  });
  const rows: [TriggerKind, RunMode, RunMode][] = [
    ['chat', 'Autonomous', 'Autonomous'],
    ['chat', 'Review', 'Review'],
    ['chat', 'ReadOnly', 'ReadOnly'],
    ['incident', 'Autonomous', 'Autonomous'],
    ['scheduled', 'Autonomous', 'Review'],
    ['scheduled', 'ReadOnly', 'ReadOnly'],
    // A generous ceiling never lifts what the policy sets.
    ['manual', 'Autonomous', 'ReadOnly'],
  ];
  it.each(rows)('%s under a %s ceiling runs %s', (trigger, ceiling, expected) => {
    expect(resolveRunMode(trigger, ceiling, policies)).toBe(expected);
  });
});

describe('resolveRunMode with input outside the vocabulary', () => {
  it.each(['pager', 'Chat', '', '__proto__', 'constructor'])('throws on trigger kind %j', (trigger) => {
    expect(() => resolveRunMode(trigger as TriggerKind, 'Autonomous', shipped)).toThrow(RangeError);
  });
  it.each(['autonomous', 'Admin', '', 'toString'])('throws on ceiling %j', (ceiling) => {
    expect(() => resolveRunMode('chat', ceiling as RunMode, shipped)).toThrow(RangeError);
  });
});

describe('runModeAllows', () => {
  const rows: [RunMode, boolean, ReturnType<typeof runModeAllows>][] = [
    ['ReadOnly', false, 'allow'],
    ['ReadOnly', true, 'refuse'],
    ['Review', false, 'allow'],
    ['Review', true, 'needs-consent'],
    ['Autonomous', false, 'allow'],
    ['Autonomous', true, 'allow'],
  ];
  it.each(rows)('%s, write=%s -> %s', (mode, isWrite, expected) => {
    expect(runModeAllows(mode, isWrite)).toBe(expected);
  });

  it('refuses for a mode it does not know, even a read', () => {
    expect(runModeAllows('Yolo' as RunMode, false)).toBe('refuse');
    expect(runModeAllows('autonomous' as RunMode, true)).toBe('refuse');
  });

  it('refuses when it cannot tell whether the operation writes', () => {
    expect(runModeAllows('Autonomous', undefined as unknown as boolean)).toBe('refuse');
    expect(runModeAllows('Review', 'false' as unknown as boolean)).toBe('refuse');
  });
});
