import { describe, expect, it } from 'vitest';
import { armOperationOf, operationHash, submissionHash } from '../../src/operations/operation-hash.ts';
import type { OperationInput } from '../../src/operations/operation-types.ts';

const base: OperationInput = {
  method: 'PATCH',
  path: '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.App/containerApps/a',
  apiVersion: '2024-03-01',
  body: { properties: { template: { scale: { minReplicas: 1, maxReplicas: 3 } } } },
  justification: 'scale out',
  trigger: { kind: 'chat' },
  idempotencyKey: 'k',
};

describe('operation hash', () => {
  it('is SHA-256 hex over the canonical operation: key order does not matter', () => {
    const h = operationHash(armOperationOf(base));
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const reordered = { ...base, body: { properties: { template: { scale: { maxReplicas: 3, minReplicas: 1 } } } } };
    expect(operationHash(armOperationOf(reordered))).toBe(h);
  });

  it('changes with anything that is sent to ARM', () => {
    const h = operationHash(armOperationOf(base));
    expect(operationHash(armOperationOf({ ...base, method: 'PUT' }))).not.toBe(h);
    expect(operationHash(armOperationOf({ ...base, path: `${base.path}2` }))).not.toBe(h);
    expect(operationHash(armOperationOf({ ...base, apiVersion: '2024-03-02' }))).not.toBe(h);
    expect(operationHash(armOperationOf({ ...base, body: { properties: {} } }))).not.toBe(h);
    expect(operationHash(armOperationOf({ ...base, body: undefined }))).not.toBe(operationHash(armOperationOf({ ...base, body: null })));
  });

  it('ignores what is not sent to ARM, which the submission hash covers', () => {
    const h = operationHash(armOperationOf(base));
    const withOtherJustification: OperationInput = { ...base, justification: 'other' };
    expect(operationHash(armOperationOf(withOtherJustification))).toBe(h);
    expect(submissionHash({ ...base, justification: 'other' })).not.toBe(submissionHash(base));
    expect(submissionHash({ ...base, trigger: { kind: 'incident' } })).not.toBe(submissionHash(base));
    expect(submissionHash({ ...base })).toBe(submissionHash(base));
  });
});
