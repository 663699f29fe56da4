/**
 * The sandbox's long-running operations: InProgress on the first poll, Succeeded from the second;
 * held, InProgress however often polled (a caller can be caught mid-operation); released, done on
 * the next poll, with the effect landing once.
 */
import { describe, expect, it } from 'vitest';
import { AsyncOperations } from '../../src/sandbox/arm/async-operations.ts';

const start = (ops: AsyncOperations, effect: () => void) =>
  ops.start({ subscriptionId: 's', namespace: 'Microsoft.Compute', location: 'westeurope', principalId: 'p', resourceId: '/r' }, effect);

describe('sandbox long-running operations', () => {
  it('complete on the second poll', () => {
    const ops = new AsyncOperations();
    let effects = 0;
    const op = start(ops, () => (effects += 1));
    expect(ops.poll(op.id)?.status).toBe('InProgress');
    expect(ops.poll(op.id)?.status).toBe('Succeeded');
    expect(effects).toBe(1);
    ops.close();
  });

  it('held, stay InProgress; released, complete on the next poll and the effect lands once', () => {
    const ops = new AsyncOperations();
    let effects = 0;
    ops.hold(true);
    const op = start(ops, () => (effects += 1));
    for (let i = 0; i < 5; i++) expect(ops.poll(op.id)?.status).toBe('InProgress');
    expect(effects).toBe(0);
    ops.hold(false);
    expect(ops.poll(op.id)?.status).toBe('Succeeded');
    expect(ops.poll(op.id)?.status).toBe('Succeeded');
    expect(effects).toBe(1);
    ops.close();
  });
});
